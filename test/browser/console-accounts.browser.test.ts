import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIR } from '../../src/console/static.js';
import { decodeQrImage } from '../../src/qrcode/decode.js';
import { qrPng } from '../../src/qrcode/png.js';
import { ConsoleClient } from '../console/client.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { DESKTOP, launchChromium, openPage, PHONE, screenshot } from './browser.js';

const SHOP_USER = { email: 'owner@tea.example.com', password: 'tea shop password' };
const ALIPAY = 'https://qr.alipay.com/fkx19475h2qwxzqpe8d1e2';

async function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

describe('console receiving accounts and products in Chromium', () => {
  let browser: Browser;
  let gw: TestGateway;
  let merchantId: number;
  let pairedId: number;

  /** A context already signed in (over the API, as the sign-in page would) and re-authenticated. */
  async function signedInContext(
    device: typeof DESKTOP | typeof PHONE,
  ): Promise<{ context: BrowserContext; page: Page }> {
    const c = new ConsoleClient(gw.url);
    const r = await c.signIn(SHOP_USER.email, SHOP_USER.password);
    expect(r.status).toBe(200);
    expect((await c.post('/reauth', { password: SHOP_USER.password })).status).toBe(200);
    const opened = await openPage(browser, device);
    await opened.context.addCookies([{ name: 'shouyin_session', value: c.cookie!, url: gw.url }]);
    return opened;
  }

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIR, 'index.html'))) {
      throw new Error('the console is not built: run `npm run build:console` before the browser tests');
    }
    browser = await launchChromium();
    gw = await startTestGateway();
    const s = gw.services;
    merchantId = (
      await s.merchants.add({
        name: '茶叶小铺',
        notifyUrl: 'https://tea.example/n',
        returnUrl: 'https://tea.example/r',
      })
    ).id;
    await s.users.add({ ...SHOP_USER, role: 'merchant', merchantId });
    const paired = await s.accounts.add({
      merchantId,
      type: 'wechat',
      name: '微信收款',
      qrContent: 'wxp://f2f0example',
    });
    pairedId = paired.id;
    await s.accounts.set(paired.id, {
      vmqEnabled: true,
      window: '09:00-23:00',
      max: '500',
      dailyCap: '5000',
    });
    await s.accounts.heartbeat([paired.id]);
    await s.payments.record({
      accountId: paired.id,
      type: 'wechat',
      amountCents: 1999,
      paidAt: Date.now() - 60_000,
      reporterId: 'seed-1',
      source: 'monitor',
    });
    await s.accounts.importFixedCodes(paired.id, [
      { amountCents: 1000, content: 'wxp://f2f0ten', source: '10.00.png' },
      { amountCents: 2000, content: 'wxp://f2f0twenty', source: '20.00.png' },
    ]);
    const tea = await s.products.addCategory(merchantId, '茶叶', 1);
    await s.products.addCategory(merchantId, '茶具', 2);
    await s.products.add({ merchantId, name: '西湖龙井 250g', price: '128', stock: 12, categoryId: tea.id });
    await s.products.add({ merchantId, name: '正山小种', price: '66.6', stock: 0, categoryId: tea.id });
    await s.products.add({ merchantId, name: '白瓷盖碗', price: '45', categoryId: tea.id, enabled: false });
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('adds an account by uploading a QR image: decoded on the server, previewed, then saved', async () => {
    const { context, page } = await openPage(browser, DESKTOP);
    try {
      await page.goto(`${gw.url}/admin/sign-in?lang=en`);
      await page.getByLabel('Email', { exact: true }).fill(SHOP_USER.email);
      await page.getByLabel('Password', { exact: true }).fill(SHOP_USER.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page
        .getByRole('navigation', { name: 'Menu' })
        .getByRole('link', { name: 'Accounts', exact: true })
        .click();
      await page.getByRole('heading', { name: 'Accounts' }).waitFor();
      await page.getByRole('button', { name: 'Add account' }).first().click();

      const dialog = page.getByRole('dialog');
      await dialog.getByText('Alipay', { exact: true }).click();
      await dialog.getByLabel('Name', { exact: true }).fill('Front desk');
      await dialog.locator('input[type=file]').setInputFiles({
        name: 'receiving-code.png',
        mimeType: 'image/png',
        buffer: qrPng(ALIPAY, 300),
      });
      // The server read the code: its content and the code redrawn are shown before saving.
      await dialog.getByTestId('decoded-qr').getByText(ALIPAY).waitFor();
      const preview = await dialog.getByRole('img', { name: 'Decoded QR code' }).getAttribute('src');
      expect(decodeQrImage(Buffer.from(preview!.split(',')[1]!, 'base64'))).toBe(ALIPAY);
      await screenshot(page, 'console-accounts-add-en-desktop');
      await dialog.getByRole('button', { name: 'Save' }).click();

      await page.waitForURL(/\/admin\/accounts\/\d+$/);
      const id = Number(new URL(page.url()).pathname.split('/').pop());
      await page.getByTestId('stored-qr').getByText(ALIPAY).waitFor();
      const stored = await gw.services.accounts.get(id);
      expect(stored).toMatchObject({ merchantId, type: 'alipay', name: 'Front desk', qrContent: ALIPAY });

      // A picture without a QR code is refused in words, and nothing is added.
      await page.getByRole('link', { name: 'Back to accounts' }).click();
      await page.getByRole('link', { name: 'Front desk' }).waitFor();
      const before = (await gw.services.accounts.list(merchantId)).length;
      await page.getByRole('button', { name: 'Add account' }).first().click();
      await dialog.getByLabel('Name', { exact: true }).fill('Blurry');
      await dialog.locator('input[type=file]').setInputFiles({
        name: 'cat.png',
        mimeType: 'image/png',
        buffer: qrPng('x', 50).subarray(0, 40),
      });
      await dialog.getByText('This image could not be read').waitFor();
      expect(await dialog.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
      expect((await gw.services.accounts.list(merchantId)).length).toBe(before);
    } finally {
      await context.close();
    }
  });

  it('shows the pairing string and the monitor key after the password is confirmed again', async () => {
    const { context, page } = await openPage(browser, DESKTOP);
    try {
      const c = new ConsoleClient(gw.url);
      await c.signIn(SHOP_USER.email, SHOP_USER.password);
      await context.addCookies([{ name: 'shouyin_session', value: c.cookie!, url: gw.url }]);
      await page.goto(`${gw.url}/admin/accounts/${pairedId}/pairing?lang=en`);
      await page.getByText('Confirm your password').waitFor();
      await page.getByLabel('Password', { exact: true }).fill(SHOP_USER.password);
      await page.getByRole('button', { name: 'Confirm' }).click();
      const key = (await gw.services.accounts.get(pairedId)).monitorKey;
      await page
        .getByTestId('pairing-string')
        .getByText(`${new URL(gw.config.publicUrl).host}/${key}`)
        .waitFor();
      await page.getByTestId('monitor-key').getByText(key).waitFor();
      await page.getByRole('img', { name: 'Pairing QR code' }).waitFor();

      await page.getByRole('button', { name: 'Rotate key' }).click();
      await page.getByRole('tooltip').getByRole('button', { name: 'Rotate key' }).click();
      await page.getByText('Rotated.').waitFor();
      const fresh = (await gw.services.accounts.get(pairedId)).monitorKey;
      expect(fresh).not.toBe(key);
      await page.getByTestId('monitor-key').getByText(fresh).waitFor();
    } finally {
      await context.close();
    }
  });

  for (const [device, spec] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    for (const lang of ['zh', 'en'] as const) {
      it(`renders the account, pairing and product pages (${lang}, ${device})`, async () => {
        const { context, page } = await signedInContext(spec);
        try {
          const shots: Array<[string, string, string]> = [
            ['accounts', '/accounts', '微信收款'],
            [
              'account-detail',
              `/accounts/${pairedId}`,
              lang === 'en' ? 'Fixed-amount codes (2)' : '固定金额码（2）',
            ],
            [
              'pairing',
              `/accounts/${pairedId}/pairing`,
              lang === 'en' ? 'Shouyin monitor API' : '收银监控 API',
            ],
            ['products', '/products', '西湖龙井 250g'],
          ];
          for (const [name, path, text] of shots) {
            await page.goto(`${gw.url}/admin${path}?lang=${lang}`);
            await page.getByText(text, { exact: true }).first().waitFor();
            await page.waitForFunction(() => !document.querySelector('.ant-skeleton'));
            expect(await fitsWidth(page), `${name} fits ${device}`).toBe(true);
            await screenshot(page, `console-${name}-${lang}-${device}`);
          }
        } finally {
          await context.close();
        }
      });
    }
  }
});
