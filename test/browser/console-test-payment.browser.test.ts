import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIR } from '../../src/console/static.js';
import { ConsoleClient } from '../console/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { Receiver } from '../notify/receiver.js';
import { DESKTOP, launchChromium, openPage, PHONE, screenshot } from './browser.js';

const SHOP_USER = { email: 'owner@tea.example.com', password: 'tea shop password' };

async function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

describe('console test payment in Chromium', () => {
  let browser: Browser;
  let gw: TestGateway;
  let receiver: Receiver;
  let merchantId: number;

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIR, 'index.html'))) {
      throw new Error('the console is not built: run `npm run build:console` before the browser tests');
    }
    browser = await launchChromium();
    gw = await startTestGateway();
    receiver = await Receiver.start();
    const m = await gw.services.merchants.add({
      name: '茶叶小铺',
      notifyUrl: receiver.url,
      returnUrl: 'https://tea.example/r',
    });
    receiver.trust(m);
    merchantId = m.id;
    await gw.services.accounts.add({
      merchantId,
      type: 'alipay',
      name: '前台支付宝',
      qrContent: 'https://qr.alipay.com/abc',
    });
    await gw.services.users.add({ ...SHOP_USER, role: 'merchant', merchantId });
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await receiver?.close();
  });

  it('runs a test payment from creation to notified, watched live', async () => {
    const { context, page } = await openPage(browser, DESKTOP);
    try {
      await page.goto(`${gw.url}/admin/sign-in?lang=en`);
      await page.getByLabel('Email', { exact: true }).fill(SHOP_USER.email);
      await page.getByLabel('Password', { exact: true }).fill(SHOP_USER.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page
        .getByRole('navigation', { name: 'Menu' })
        .getByRole('link', { name: 'Test payment', exact: true })
        .click();
      await page.getByRole('heading', { name: 'Test payment' }).waitFor();

      await page.getByLabel('Amount', { exact: true }).fill('12.30');
      await page.getByRole('button', { name: 'Create test order', exact: true }).click();
      await page.waitForURL(/[?&]order=\d+/);
      const orderId = Number(new URL(page.url()).searchParams.get('order'));
      const order = await gw.services.orders.findById(orderId);
      expect(order).toMatchObject({ origin: 'test', status: 'unpaid', priceCents: 1230 });
      expect(order!.outOrderId).toMatch(/^TEST-/);
      await page.getByText('TEST', { exact: true }).first().waitFor();
      await page.getByText(order!.outOrderId).waitFor();
      await page.getByTestId('order-status').getByText('Unpaid').waitFor();

      // The real cashier page, in a new tab.
      const cashierLink = page.getByRole('link', { name: 'Open cashier page' });
      expect(await cashierLink.getAttribute('target')).toBe('_blank');
      const [cashier] = await Promise.all([context.waitForEvent('page'), cashierLink.click()]);
      await cashier.waitForLoadState();
      expect(cashier.url()).toContain(`/pay/api?id=${order!.token}`);
      expect(await cashier.content()).toContain((order!.realpriceCents / 100).toFixed(2));
      await cashier.close();
      await screenshot(page, 'console-test-payment-created-en-desktop');

      await page.getByRole('button', { name: 'Simulate payment', exact: true }).click();
      await page.getByTestId('order-status').getByText('Paid').waitFor();
      // The notification lands after the simulate answer: only the page's polling can show it.
      await page.getByTestId('notify-state').getByText('Confirmed by the merchant (success)').waitFor();
      await page
        .getByTestId('notify-attempt')
        .getByText(/HTTP 200/)
        .waitFor();
      await page.getByText('Finished').waitFor();
      const got = receiver.requests.find((r) => r.params.order_id === String(orderId));
      expect(got?.signValid).toBe(true);
      expect(await page.getByRole('button', { name: 'Simulate payment' }).isDisabled()).toBe(true);
      await screenshot(page, 'console-test-payment-en-desktop');

      // Paid elsewhere (another tab, the CLI): the page follows on its own.
      await page.getByRole('button', { name: 'Create test order', exact: true }).click();
      await page.waitForURL((u) => Number(u.searchParams.get('order')) !== orderId);
      const second = Number(new URL(page.url()).searchParams.get('order'));
      await page.getByTestId('order-status').getByText('Unpaid').waitFor();
      await gw.services.payments.simulateForOrder(second);
      await page.getByTestId('order-status').getByText('Paid').waitFor();
      await page.getByTestId('notify-state').getByText('Confirmed by the merchant (success)').waitFor();
    } finally {
      await context.close();
    }
  });

  it('says in words that no account can take an amount, or that it is not an amount', async () => {
    const { context, page } = await openPage(browser, DESKTOP);
    try {
      const c = new ConsoleClient(gw.url);
      await c.signIn(SHOP_USER.email, SHOP_USER.password);
      await context.addCookies([{ name: 'shouyin_session', value: c.cookie!, url: gw.url }]);
      await page.goto(`${gw.url}/admin/test-payment?lang=en`);
      await page.getByText('WeChat', { exact: true }).click();
      await page.getByLabel('Amount', { exact: true }).fill('5');
      await page.getByRole('button', { name: 'Create test order', exact: true }).click();
      await page.getByText(/No WeChat receiving account can take 5\.00 right now/).waitFor();
      await page.getByLabel('Amount', { exact: true }).fill('5.001');
      await page.getByRole('button', { name: 'Create test order', exact: true }).click();
      await page.getByText('Enter an amount above 0 with at most 2 decimals').waitFor();
    } finally {
      await context.close();
    }
  });

  for (const [device, spec] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    for (const lang of ['zh', 'en'] as const) {
      it(`renders the test payment page with a paid, notified order (${lang}, ${device})`, async () => {
        const c = new ConsoleClient(gw.url);
        await c.signIn(SHOP_USER.email, SHOP_USER.password);
        const created = await c.post('/test-payment/orders', { amount: '8.80', type: 'alipay' });
        const id = created.body.order.id;
        await c.post(`/test-payment/orders/${id}/simulate`);
        await receiver.until(() => receiver.requests.some((r) => r.params.order_id === String(id)));
        const { context, page } = await openPage(browser, spec);
        try {
          await context.addCookies([{ name: 'shouyin_session', value: c.cookie!, url: gw.url }]);
          await page.goto(`${gw.url}/admin/test-payment?order=${id}&lang=${lang}`);
          await page
            .getByTestId('notify-state')
            .getByText(lang === 'en' ? 'Confirmed by the merchant (success)' : '商户已确认（success）')
            .waitFor();
          expect(await fitsWidth(page)).toBe(true);
          await screenshot(page, `console-test-payment-${lang}-${device}`);
        } finally {
          await context.close();
        }
      });
    }
  }
});
