import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIR } from '../../src/console/static.js';
import type { Merchant } from '../../src/merchants/merchant.model.js';
import type { Order } from '../../src/orders/order.model.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { order, payExactly, report } from '../console/orders-fixtures.js';
import { Receiver } from '../notify/receiver.js';
import { DESKTOP, launchChromium, openPage, PHONE, screenshot } from './browser.js';

const SHOP_USER = { email: 'owner@tea.example.com', password: 'tea shop password' };
const OTHER_USER = { email: 'owner@noodles.example.com', password: 'noodle shop password' };

const fitsWidth = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

async function signIn(page: Page, gw: TestGateway, who: typeof SHOP_USER, lang: 'en' | 'zh', next: string) {
  await page.goto(`${gw.url}/admin/sign-in?lang=${lang}&next=${encodeURIComponent(next)}`);
  await page.locator('input#email').fill(who.email);
  await page.locator('input#password').fill(who.password);
  await page.locator('button[type=submit]').click();
  await page.waitForURL((u) => u.pathname === `/admin${next.split('?')[0]}`);
}

describe('console orders, notifications and payments pages in Chromium', () => {
  let browser: Browser;
  let gw: TestGateway;
  let receiver: Receiver;
  let tea: Merchant;
  let noodles: Merchant;
  let alipay: number;
  let paid999: Order;
  let typoFor: Order;
  let typoPayment: number;
  let theirs: Order;

  const row = (orderId: number) =>
    gw.services.db.kysely
      .selectFrom('notifications')
      .selectAll()
      .where('order_id', '=', orderId)
      .executeTakeFirstOrThrow();
  async function settle(orderId: number, state: string) {
    for (let i = 0; i < 200 && (await row(orderId)).state !== state; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect((await row(orderId)).state).toBe(state);
  }

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIR, 'index.html'))) {
      throw new Error('the console is not built: run `npm run build:console` before the browser tests');
    }
    browser = await launchChromium();
    receiver = await Receiver.start();
    gw = await startTestGateway({ env: { NOTIFY_RETRY_SCHEDULE: '0' } });
    const s = gw.services;
    tea = await s.merchants.set(
      (
        await s.merchants.add({
          name: '茶叶小铺',
          notifyUrl: receiver.url,
          returnUrl: 'http://127.0.0.1:9/return',
        })
      ).id,
      {
        allowOffline: true,
      },
    );
    noodles = await s.merchants.set(
      (
        await s.merchants.add({
          name: 'Noodles',
          notifyUrl: receiver.url,
          returnUrl: 'http://127.0.0.1:9/return',
        })
      ).id,
      { allowOffline: true },
    );
    receiver.trust(tea).trust(noodles);
    alipay = (
      await s.accounts.add({
        merchantId: tea.id,
        type: 'alipay',
        name: '柜台支付宝',
        qrContent: 'https://qr.alipay.com/x',
      })
    ).id;
    await s.accounts.add({ merchantId: tea.id, type: 'wechat', name: '柜台微信', qrContent: 'wxp://x' });
    await s.accounts.add({
      merchantId: noodles.id,
      type: 'alipay',
      name: 'Noodle Alipay',
      qrContent: 'https://qr.alipay.com/y',
    });
    await s.users.add({ ...SHOP_USER, role: 'merchant', merchantId: tea.id });
    await s.users.add({ ...OTHER_USER, role: 'merchant', merchantId: noodles.id });

    // A paid 9.99 order whose shop endpoint failed both attempts.
    receiver.next('http-500', 'http-500');
    paid999 = await order(s, tea, { price: 999, out: 'TEA-0999', custom: '绿茶 x1' });
    await payExactly(s, paid999);
    await settle(paid999.id, 'failed');
    // Some history around it.
    for (const [price, type] of [
      [1500, 'alipay'],
      [2800, 'wechat'],
      [680, 'alipay'],
    ] as const) {
      const o = await order(s, tea, { price, type, out: `TEA-${price}` });
      if (price !== 2800) {
        await payExactly(s, o);
        await settle(o.id, 'delivered');
      }
    }
    // A buyer paid 20.10 for a 20.00 order: unmatched, the order is its candidate.
    typoFor = await order(s, tea, { price: 2000, out: 'TEA-2000' });
    typoPayment = (await report(s, { accountId: alipay, cents: 2010 })).paymentId;
    theirs = await order(s, noodles, { price: 1234, out: 'NOODLE-1' });
    // The 9.99 buyer paid twice: the second payment stays in the inbox (its order was paid).
    await report(s, { accountId: alipay, cents: 999, paidAt: paid999.createdAt });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await receiver?.close();
  });

  it('finds who paid 9.99, shows its history, and resends its failed notification once the endpoint is fixed', async () => {
    const { context, page } = await openPage(browser, DESKTOP, { locale: 'en' });
    try {
      await signIn(page, gw, SHOP_USER, 'en', '/orders');
      await page.getByRole('cell', { name: 'TEA-2000' }).waitFor();
      await page.getByLabel('Paid amount', { exact: true }).fill('9.99');
      await Promise.all([
        page.waitForResponse(
          (r) => r.url().includes('/admin/api/orders?') && r.url().includes('paid_amount=9.99'),
        ),
        page.getByRole('button', { name: 'Search', exact: true }).click(),
      ]);
      await page.getByText('1 shown', { exact: true }).waitFor();
      await expect(page.getByRole('cell', { name: 'TEA-2000' }).count()).resolves.toBe(0);

      // The CSV of the filtered list.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Export CSV' }).click(),
      ]);
      const csv = readFileSync((await download.path()) as string, 'utf8');
      expect(csv.split('\r\n')[0]).toContain('Paid amount');
      expect(csv).toContain('TEA-0999');
      expect(csv).not.toContain('TEA-2000');

      await page.getByRole('button', { name: String(paid999.id), exact: true }).click();
      const drawer = page.getByRole('dialog');
      await drawer.getByText('Payment of ¥9.99 received (monitor)').waitFor();
      await drawer.getByText('Matched automatically: order paid').waitFor();
      await expect(drawer.getByText(/^Notification failed \(HTTP 500/).count()).resolves.toBe(2);
      await drawer.getByText('Gave up after 2 attempts').waitFor();
      await page.waitForTimeout(500); // the drawer's slide-in animation
      await screenshot(page, 'console-order-detail-en-desktop');

      receiver.answer('success');
      await drawer.getByRole('button', { name: 'Resend notification' }).click();
      await page.getByText('Resent: Delivered').waitFor();
      await drawer.getByText(/^Shop notified \(HTTP 200/).waitFor();
      expect((await row(paid999.id)).state).toBe('delivered');
      expect(receiver.forOrder(paid999.id).at(-1)?.signValid).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('resends every failing notification of the shop from the notifications page', async () => {
    receiver.next('http-500', 'http-500');
    const o = await order(gw.services, tea, { price: 4400, out: 'TEA-4400' });
    await payExactly(gw.services, o);
    await settle(o.id, 'failed');
    receiver.answer('success');
    const { context, page } = await openPage(browser, DESKTOP, { locale: 'en' });
    try {
      await signIn(page, gw, SHOP_USER, 'en', '/notifications');
      // Failing first: the newest failed one heads the list.
      const first = page.locator('tbody tr.ant-table-row').first();
      await first.getByText('TEA-4400').waitFor();
      await first.getByText('Failed', { exact: true }).waitFor();
      await first.getByText(/^HTTP 500 ·/).waitFor();
      await page.getByRole('button', { name: 'Resend all failing' }).click();
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.getByText('1 notifications queued again').waitFor();
      await settle(o.id, 'delivered');
    } finally {
      await context.close();
    }
  });

  it('attaches an unmatched payment to the order it belongs to, with a confirmation', async () => {
    const { context, page } = await openPage(browser, DESKTOP, { locale: 'en' });
    try {
      await signIn(page, gw, SHOP_USER, 'en', '/payments');
      await page
        .getByText('No order was waiting for this amount when it was paid', { exact: false })
        .waitFor();
      await page.getByText('The order waiting for this amount was already paid (paid twice?)').waitFor();
      await page.getByRole('link', { name: String(typoFor.id), exact: true }).waitFor();
      await screenshot(page, 'console-payments-en-desktop');
      await page.getByRole('button', { name: 'Attach', exact: true }).click();
      await page.getByText(`Attach ¥20.10 to order ${typoFor.id} (TEA-2000)?`, { exact: false }).waitFor();
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.getByText(`Attached to order ${typoFor.id}`).waitFor();
      await page.getByRole('link', { name: String(typoFor.id), exact: true }).waitFor({ state: 'detached' });
      await page.getByText('The order waiting for this amount was already paid (paid twice?)').waitFor();
      const p = await gw.services.db.kysely
        .selectFrom('payments')
        .selectAll()
        .where('id', '=', typoPayment)
        .executeTakeFirstOrThrow();
      expect(Number(p.order_id)).toBe(typoFor.id);
      const audit = await gw.services.db.kysely
        .selectFrom('audit_log')
        .selectAll()
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      expect(audit).toMatchObject({ actor: `console:${SHOP_USER.email}`, action: 'payment.attach' });
    } finally {
      await context.close();
    }
  });

  it("shows a merchant user another merchant's order as not found", async () => {
    const { context, page } = await openPage(browser, DESKTOP, { locale: 'en' });
    try {
      await signIn(page, gw, SHOP_USER, 'en', `/orders/${theirs.id}`);
      await page.getByText('This order could not be found').waitFor();
      await expect(page.getByText('NOODLE-1').count()).resolves.toBe(0);
    } finally {
      await context.close();
    }
  });

  for (const lang of ['en', 'zh'] as const) {
    for (const [device, spec] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      it(`renders every page of the slice (${lang}, ${device}) without sideways scrolling`, async () => {
        const { context, page } = await openPage(browser, spec, { locale: lang === 'en' ? 'en' : 'zh-CN' });
        try {
          await signIn(page, gw, SHOP_USER, lang, '/orders');
          await page
            .getByText('TEA-0999')
            .first()
            .waitFor()
            .catch(async (err: unknown) => {
              await screenshot(page, `debug-orders-${lang}-${device}`);
              console.log(await page.locator('body').innerText());
              throw err;
            });
          expect(await fitsWidth(page)).toBe(true);
          await screenshot(page, `console-orders-${lang}-${device}`);

          await page.goto(`${gw.url}/admin/orders/${paid999.id}`);
          await page.getByText(lang === 'en' ? 'History' : '订单经过').waitFor();
          expect(await fitsWidth(page)).toBe(true);
          if (!(lang === 'en' && device === 'desktop'))
            await screenshot(page, `console-order-detail-${lang}-${device}`);

          await page.goto(`${gw.url}/admin/notifications`);
          await page.getByText('TEA-0999').first().waitFor();
          expect(await fitsWidth(page)).toBe(true);
          await screenshot(page, `console-notifications-${lang}-${device}`);

          await page.goto(`${gw.url}/admin/payments`);
          await page
            .getByText(lang === 'en' ? 'Unmatched payments' : '未匹配款项', { exact: true })
            .waitFor();
          expect(await fitsWidth(page)).toBe(true);
          if (!(lang === 'en' && device === 'desktop'))
            await screenshot(page, `console-payments-${lang}-${device}`);
        } finally {
          await context.close();
        }
      });
    }
  }
});
