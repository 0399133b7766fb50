import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CONSOLE_DIR } from '../../src/console/static.js';
import type { Merchant } from '../../src/merchants/merchant.model.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { paidOrder } from '../notify/fixtures.js';
import { Receiver } from '../notify/receiver.js';
import { DESKTOP, launchChromium, openPage, PHONE, screenshot } from './browser.js';

const SHOP_USER = { email: 'owner@tea.example.com', password: 'tea shop password' };

/** The page is no wider than the window: nothing to scroll sideways on a phone. */
const fitsWidth = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

async function signIn(page: Page, gw: TestGateway, lang: 'en' | 'zh', next: string) {
  await page.goto(`${gw.url}/admin/sign-in?lang=${lang}&next=${encodeURIComponent(next)}`);
  await page.locator('input#email').fill(SHOP_USER.email);
  await page.locator('input#password').fill(SHOP_USER.password);
  await page.locator('button[type=submit]').click();
  await page.waitForURL((u) => u.pathname === `/admin${next.split('?')[0]}`);
}

describe('console settings page in Chromium', () => {
  let browser: Browser;
  let gw: TestGateway;
  let receiver: Receiver;
  let merchant: Merchant;

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIR, 'index.html'))) {
      throw new Error('the console is not built: run `npm run build:console` before the browser tests');
    }
    browser = await launchChromium();
    receiver = await Receiver.start();
    gw = await startTestGateway();
    merchant = await gw.services.merchants.add({
      name: '茶叶小铺',
      notifyUrl: 'http://127.0.0.1:9/notify',
      returnUrl: 'http://127.0.0.1:9/return',
    });
    receiver.trust(merchant);
    await gw.services.users.add({ ...SHOP_USER, role: 'merchant', merchantId: merchant.id });
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await receiver?.close();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
  });

  it('saves the callback URLs and a test notification reaches the receiver with a valid sign', async () => {
    const { context, page } = await openPage(browser, DESKTOP, { locale: 'en' });
    try {
      await signIn(page, gw, 'en', '/settings');
      const notify = page.getByLabel('Async notify URL', { exact: true });
      await notify.waitFor();
      await notify.fill(receiver.url);
      await page.getByLabel('Sync return URL', { exact: true }).fill('http://127.0.0.1:9/thanks');
      await page.getByLabel('Timeout URL', { exact: true }).fill('http://127.0.0.1:9/late');
      await Promise.all([
        page.waitForResponse(
          (r) => r.url().includes('/admin/api/settings') && r.request().method() === 'PUT',
        ),
        page.getByRole('button', { name: 'Save', exact: true }).click(),
      ]);
      await page.getByText('Saved', { exact: true }).waitFor();
      const saved = await gw.services.merchants.get(merchant.id);
      expect(saved).toMatchObject({
        notifyUrl: receiver.url,
        returnUrl: 'http://127.0.0.1:9/thanks',
        timeoutUrl: 'http://127.0.0.1:9/late',
      });

      await page.getByRole('button', { name: 'Send test notification', exact: true }).click();
      await page.getByText('The shop answered success: the notification counts as delivered.').waitFor();
      const result = page.getByRole('region', { name: 'Test notification' });
      await result.getByText('200', { exact: true }).waitFor();
      await result.getByText('success', { exact: true }).waitFor();
      expect(receiver.requests).toHaveLength(1);
      const got = receiver.requests[0]!;
      // Checked by the receiver's own md5 and HMAC code (test/notify/receiver.ts).
      expect(got.signValid).toBe(true);
      expect(got.webhookValid).toBe(true);
      expect(got.params.out_order_id).toMatch(/^TEST-/);
      expect(got.params.test).toBe('1');
      await screenshot(page, 'console-settings-test-notification-en-desktop');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('shows how the last notification was signed, and reveals the appsecret after the password', async () => {
    const current = await gw.services.merchants.set(merchant.id, { notifyUrl: receiver.url });
    await gw.services.accounts.add({
      merchantId: merchant.id,
      type: 'alipay',
      name: 'tea alipay',
      qrContent: 'https://qr.alipay.com/tea',
    });
    const order = await paidOrder(gw.services, current, 990);
    await receiver.until(() => receiver.forOrder(order.id).length > 0, 10_000, 'the notification');
    const sent = receiver.forOrder(order.id)[0]!.params;

    const { context, page } = await openPage(browser, DESKTOP, { locale: 'en' });
    try {
      await signIn(page, gw, 'en', '/settings');
      await page.getByText(sent.sign!, { exact: true }).waitFor();
      await page.getByLabel('Your sign', { exact: true }).fill(sent.sign!.toUpperCase());
      await page.getByRole('button', { name: 'Compare', exact: true }).click();
      await page.getByText('Only the letter case differs', { exact: false }).waitFor();
      await page.getByLabel('Your sign', { exact: true }).fill(sent.sign!);
      await page.getByRole('button', { name: 'Compare', exact: true }).click();
      await page.getByText('The sign matches: your verification is right.').waitFor();

      expect(await page.getByText(current.appsecret).count()).toBe(0);
      await page.getByRole('button', { name: 'Reveal', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Enter your password again' });
      await dialog.getByLabel('Password', { exact: true }).fill(SHOP_USER.password);
      await dialog.getByRole('button', { name: 'Confirm', exact: true }).click();
      await page.getByText(current.appsecret, { exact: true }).waitFor();
    } finally {
      await context.close();
    }
  }, 60_000);

  for (const [device, spec] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    for (const lang of ['en', 'zh'] as const) {
      it(`renders the settings page and the dashboard checklist (${lang}, ${device})`, async () => {
        const { context, page } = await openPage(browser, spec, { locale: lang === 'en' ? 'en' : 'zh-CN' });
        try {
          await signIn(page, gw, lang, '/settings');
          await page
            .getByLabel(lang === 'en' ? 'Async notify URL' : '异步回调地址', { exact: true })
            .waitFor();
          await page.getByText(lang === 'en' ? 'Signature helper' : '签名助手', { exact: true }).waitFor();
          await page
            .getByRole('button', { name: lang === 'en' ? 'Send test notification' : '发送测试通知' })
            .click();
          await page
            .getByText(lang === 'en' ? 'The shop answered success' : '对方回复了 success', { exact: false })
            .waitFor();
          expect(await fitsWidth(page)).toBe(true);
          await screenshot(page, `console-settings-${lang}-${device}`);

          // The account has no monitor yet: the checklist is on the dashboard.
          await page.goto(`${gw.url}/admin/`);
          const checklist = page.getByText(
            lang === 'en' ? 'Set up before taking payments' : '开始收款前的设置',
          );
          await checklist.waitFor();
          expect(await fitsWidth(page)).toBe(true);
          await screenshot(page, `console-checklist-${lang}-${device}`);
        } finally {
          await context.close();
        }
      }, 60_000);
    }
  }
});
