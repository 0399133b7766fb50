import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIR } from '../../src/console/static.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { DESKTOP, launchChromium, openPage, PHONE, screenshot } from './browser.js';

const OPERATOR = { email: 'boss@example.com', password: 'correct horse battery' };
const SHOP = { email: 'owner@tea.example.com', password: 'shop owner password' };

/** The page is no wider than the window: nothing to scroll sideways on a phone. */
const fitsWidth = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

async function signIn(page: Page, url: string, who: { email: string; password: string }, lang: 'en' | 'zh') {
  const en = lang === 'en';
  await page.goto(`${url}/admin/sign-in?lang=${en ? 'en' : 'zh-CN'}`);
  await page.getByLabel(en ? 'Email' : '邮箱', { exact: true }).fill(who.email);
  await page.getByLabel(en ? 'Password' : '密码', { exact: true }).fill(who.password);
  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/admin/api/sign-in')),
    page.getByRole('button', { name: en ? 'Sign in' : '登录', exact: true }).click(),
  ]);
  await page.getByRole('heading', { name: en ? 'Dashboard' : '概览' }).waitFor();
}

describe('console dashboard and operator pages in Chromium', () => {
  let browser: Browser;
  let gw: TestGateway;
  let teaId: number;

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIR, 'index.html'))) {
      throw new Error('the console is not built: run `npm run build` before the browser tests');
    }
    browser = await launchChromium();
    gw = await startTestGateway();
    const s = gw.services;
    const m = await s.merchants.add({
      name: '星光茶铺',
      notifyUrl: 'http://127.0.0.1:9/notify',
      returnUrl: 'https://tea.example.com/return',
    });
    teaId = m.id;
    const merchant = await s.merchants.set(m.id, { allowOffline: true });
    const alipay = await s.accounts.add({
      merchantId: m.id,
      type: 'alipay',
      name: '支付宝 A',
      qrContent: 'https://qr.alipay.com/a',
    });
    await s.accounts.add({ merchantId: m.id, type: 'wechat', name: '微信 B', qrContent: 'wxp://b' });
    await s.accounts.heartbeat([alipay.id]);
    for (const [i, cents] of [1990, 3000, 990].entries()) {
      const { order } = await s.orders.create({
        merchant,
        kind: 'anypay',
        type: 'alipay',
        pricing: { by: 'amount', priceCents: cents },
        outOrderId: `b-${i}`,
        custom: '',
        fingerprint: `b-${i}`,
      });
      await s.payments.record({
        accountId: alipay.id,
        type: 'alipay',
        amountCents: order.realpriceCents,
        paidAt: Date.now() - (2 - i) * 60_000,
        reporterId: `b-${i}`,
        source: 'monitor',
      });
    }
    await s.payments.record({
      accountId: alipay.id,
      type: 'alipay',
      amountCents: 4321,
      paidAt: Date.now(),
      reporterId: 'stray',
      source: 'monitor',
    });
    await s.users.add({ ...OPERATOR, role: 'operator' });
    await s.users.add({ ...SHOP, role: 'merchant', merchantId: m.id });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('shows the dashboard and every operator page in English on a desktop, and adds a merchant', async () => {
    const { context, page } = await openPage(browser, DESKTOP, { locale: 'en' });
    try {
      await signIn(page, gw.url, OPERATOR, 'en');
      await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
      await page.getByText('Amount received', { exact: true }).waitFor();
      await page.getByText('¥59.80').waitFor(); // 19.90 + 30.00 + 9.90
      await page.getByRole('img', { name: /^Chart of the amounts received: 支付宝 A ¥59\.80/ }).waitFor();
      expect(await page.locator('canvas').count()).toBeGreaterThan(0);
      await page.getByText('Unmatched payments', { exact: true }).waitFor();
      await screenshot(page, 'console-dashboard-en-desktop');
      await page.getByText('30 days', { exact: true }).click();
      await page.waitForURL(/period=30d/);
      await page.getByText('per day').waitFor();

      const nav = page.getByRole('navigation', { name: 'Menu' });
      await nav.getByRole('link', { name: 'Merchants', exact: true }).click();
      await page.getByRole('heading', { name: 'Merchants' }).waitFor();
      await page.getByText('星光茶铺').waitFor();
      await page.getByRole('button', { name: 'Add merchant' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Name', { exact: true }).fill('Noodle bar');
      await dialog.getByLabel('Notify URL', { exact: true }).fill('https://noodles.example.com/notify');
      await dialog.getByLabel('Return URL', { exact: true }).fill('not a url');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await dialog.getByText('Enter an address starting with http:// or https://').waitFor();
      await dialog.getByLabel('Return URL', { exact: true }).fill('https://noodles.example.com/return');
      await Promise.all([
        page.waitForResponse(
          (r) => r.url().endsWith('/admin/api/merchants') && r.request().method() === 'POST',
        ),
        dialog.getByRole('button', { name: 'Create' }).click(),
      ]);
      await page.getByRole('cell', { name: /^Noodle bar/ }).waitFor();
      await dialog.waitFor({ state: 'hidden' });
      expect((await gw.services.merchants.list()).map((m) => m.name)).toContain('Noodle bar');
      await screenshot(page, 'console-merchants-en-desktop');

      await nav.getByRole('link', { name: 'Users', exact: true }).click();
      await page.getByRole('heading', { name: 'Users' }).waitFor();
      await page.getByText(SHOP.email).waitFor();
      await page.getByRole('button', { name: 'Add user' }).waitFor();
      await screenshot(page, 'console-users-en-desktop');

      await nav.getByRole('link', { name: 'Audit log', exact: true }).click();
      await page.getByRole('heading', { name: 'Audit log' }).waitFor();
      await page.getByText('merchant.add').first().waitFor();
      await page.getByText(`console:${OPERATOR.email}`).first().waitFor();
      await screenshot(page, 'console-audit-en-desktop');

      await nav.getByRole('link', { name: 'System', exact: true }).click();
      await page.getByRole('heading', { name: 'System' }).waitFor();
      await page.getByText('Notification queue').waitFor();
      await page.getByText(`SQLite · ${gw.dbPath}`).waitFor();
      await screenshot(page, 'console-system-en-desktop');
    } finally {
      await context.close();
    }
  });

  for (const [lang, device, spec] of [
    ['zh', 'desktop', DESKTOP],
    ['en', 'phone', PHONE],
    ['zh', 'phone', PHONE],
  ] as const) {
    it(`fits the dashboard and the operator pages on a ${device} in ${lang === 'en' ? 'English' : 'Chinese'}`, async () => {
      const { context, page } = await openPage(browser, spec, { locale: lang === 'en' ? 'en' : 'zh-CN' });
      try {
        await signIn(page, gw.url, OPERATOR, lang);
        const heading = (en: string, zh: string) =>
          page.getByRole('heading', { name: lang === 'en' ? en : zh });
        for (const [path, en, zh, shot] of [
          ['/', 'Dashboard', '概览', 'dashboard'],
          ['/merchants', 'Merchants', '商户', 'merchants'],
          ['/users', 'Users', '用户', 'users'],
          ['/audit', 'Audit log', '审计日志', 'audit'],
          ['/system', 'System', '系统状态', 'system'],
        ] as const) {
          await page.goto(`${gw.url}/admin${path}`);
          await heading(en, zh).waitFor();
          await page
            .locator('.ant-skeleton')
            .first()
            .waitFor({ state: 'detached' })
            .catch(() => undefined);
          if (path === '/') await page.getByRole('img', { name: /支付宝 A/ }).waitFor();
          if (path === '/merchants') await page.getByText('星光茶铺').waitFor();
          expect(await fitsWidth(page), `${path} on ${device}`).toBe(true);
          await screenshot(page, `console-${shot}-${lang}-${device}`);
        }
      } finally {
        await context.close();
      }
    });
  }

  it('shows a merchant user its own dashboard, and not the operator pages', async () => {
    const { context, page } = await openPage(browser, DESKTOP, { locale: 'en' });
    try {
      await signIn(page, gw.url, SHOP, 'en');
      await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
      await page.getByText('¥59.80').waitFor();
      expect(await page.getByRole('link', { name: 'Merchants', exact: true }).count()).toBe(0);
      await page.goto(`${gw.url}/admin/merchants`);
      await page.getByText('You are not allowed to do this.').waitFor();
      const api = await page.evaluate(async () => (await fetch('/admin/api/merchants')).status);
      expect(api).toBe(404);
      const other = await page.evaluate(
        async (id) => (await fetch(`/admin/api/dashboard?merchant_id=${id}`)).status,
        teaId + 1,
      );
      expect(other).toBe(404);
    } finally {
      await context.close();
    }
  });
});
