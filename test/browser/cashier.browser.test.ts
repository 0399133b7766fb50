import { createHash } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOrder,
  type MerchantSite,
  type SeededMerchant,
  seedMerchant,
  simulatePayment,
  startMerchantSite,
} from '../cashier/setup.js';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import { DESKTOP, launchChromium, openPage, PHONE, screenshot } from './browser.js';

/** The merchant's own check of the return sign (spec §3), independent of src/. */
const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');
function verifyReturn(url: URL, m: { appkey: string; appsecret: string }): boolean {
  const q = (k: string) => url.searchParams.get(k) ?? '';
  const expected = md5(
    md5(m.appkey + q('price') + q('type') + q('product_id') + q('order_id') + q('out_order_id')) +
      m.appsecret,
  );
  return q('sign') === expected;
}

describe('cashier page in Chromium', () => {
  let browser: Browser;
  let gw: TestGateway;
  let site: MerchantSite;
  let failing: MerchantSite;
  let m: SeededMerchant;
  let withTimeout: SeededMerchant;
  let failingMerchant: SeededMerchant;
  const clock = new TestClock();

  beforeAll(async () => {
    [browser, site, failing] = await Promise.all([
      launchChromium(),
      startMerchantSite('success'),
      startMerchantSite('fail'),
    ]);
    gw = await startTestGateway({ clock, env: { NOTIFY_RETRY_SCHEDULE: '3600' } });
    m = await seedMerchant(gw, site, { name: '星光小铺', returnQuery: '?from=shouyin' });
    withTimeout = await seedMerchant(gw, site, { name: '星光小铺', timeout: true });
    failingMerchant = await seedMerchant(gw, failing, { name: 'Slow Shop' });
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await Promise.all([site?.close(), failing?.close()]);
  });

  it('shows realprice, QR and countdown, then lands on the signed return URL after payment (phone)', async () => {
    await createOrder(gw, m, { price: '25' }); // so the buyer's order gets an adjusted realprice
    const o = await createOrder(gw, m, { price: '25', outOrderId: 'SHOP-20240501-001' });
    expect(o.realprice).toBe('24.99');
    const { context, page } = await openPage(browser, PHONE);
    await page.goto(o.pay_url);
    await expect(page.locator('#amt').textContent()).resolves.toBe('¥24.99');
    await expect(page.getByText('请务必支付此金额').isVisible()).resolves.toBe(true);
    const qr = page.locator('#qr');
    expect(await qr.isVisible()).toBe(true);
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 100)).toBe(true);
    expect(await page.locator('#cd').textContent()).toMatch(/^0[45]:[0-5]\d$/);
    expect(await page.locator('#open').getAttribute('href')).toMatch(
      /^alipays:\/\/platformapi\/startapp\?saId=10000007&qrcode=https%3A/,
    );
    // The countdown runs in the browser.
    const before = await page.locator('#cd').textContent();
    await page.waitForFunction((b) => document.getElementById('cd')?.textContent !== b, before);
    await screenshot(page, 'cashier-phone-waiting');

    await simulatePayment(gw, o.token);
    await page.waitForURL((u) => u.pathname === '/return', { timeout: 15_000 });
    const back = new URL(page.url());
    expect(back.origin).toBe(site.url);
    expect(back.searchParams.get('from')).toBe('shouyin');
    expect(Object.fromEntries(back.searchParams)).toMatchObject({
      price: '25.00',
      type: 'alipay',
      product_id: '0',
      order_id: String(o.order_id),
      out_order_id: 'SHOP-20240501-001',
    });
    expect(verifyReturn(back, m)).toBe(true);
    expect(site.notifications.some((n) => n.out_order_id === 'SHOP-20240501-001')).toBe(true);
    await context.close();
  });

  it('does the same on a desktop browser, where it asks to scan with the phone', async () => {
    const o = await createOrder(gw, m, { price: '88.8', type: 'wechat' });
    const { context, page } = await openPage(browser, DESKTOP);
    await page.goto(o.pay_url);
    await page.getByText('请打开手机微信，扫一扫上方二维码').waitFor();
    expect(await page.locator('#open').count()).toBe(0);
    await screenshot(page, 'cashier-desktop-waiting');
    await simulatePayment(gw, o.token);
    await page.waitForURL((u) => u.pathname === '/return');
    expect(verifyReturn(new URL(page.url()), m)).toBe(true);
    await context.close();
  });

  it('goes to the timeout URL when the order expires while open', async () => {
    const o = await createOrder(gw, withTimeout, { price: '9', outOrderId: 'TO-1' });
    const { context, page } = await openPage(browser, PHONE);
    await page.goto(o.pay_url);
    await page.locator('#qr').waitFor();
    clock.advance(301_000);
    await gw.services.orders.expireDue();
    await page.waitForURL((u) => u.pathname === '/timeout');
    const u = new URL(page.url());
    expect(u.searchParams.get('out_order_id')).toBe('TO-1');
    expect(u.searchParams.get('order_id')).toBe(String(o.order_id));
    await context.close();
  });

  it('shows "order closed" when the merchant has no timeout URL', async () => {
    const o = await createOrder(gw, m, { price: '9' });
    const { context, page } = await openPage(browser, PHONE);
    await page.goto(o.pay_url);
    await page.locator('#qr').waitFor();
    clock.advance(301_000);
    await gw.services.orders.expireDue();
    await page.getByRole('heading', { name: '订单已关闭' }).waitFor();
    expect(await page.locator('#qr').isVisible()).toBe(false);
    await screenshot(page, 'cashier-phone-closed');
    // Opened afresh it is the same page, straight away.
    await page.reload();
    expect(await page.locator('#m').getAttribute('data-phase')).toBe('closed');
    await context.close();
  });

  it('says the payment arrived while the merchant does not answer, and offers the return after 60 s', async () => {
    const o = await createOrder(gw, failingMerchant, { price: '15', outOrderId: 'SLOW-1' });
    const { context, page } = await openPage(browser, PHONE);
    await page.goto(o.pay_url);
    await page.locator('#qr').waitFor();
    await simulatePayment(gw, o.token);
    await page.getByText('已收到您的付款，正在通知商户').waitFor();
    expect(await page.locator('#back').isVisible()).toBe(false);
    await screenshot(page, 'cashier-phone-notifying');
    expect(failing.notifications.length).toBeGreaterThan(0);

    clock.advance(60_000);
    await page.locator('#back').waitFor({ state: 'visible' });
    await screenshot(page, 'cashier-phone-delayed');
    expect(page.url()).toContain('/pay/api');
    await page.locator('#back').click();
    await page.waitForURL((u) => u.pathname === '/return');
    const back = new URL(page.url());
    expect(back.searchParams.get('out_order_id')).toBe('SLOW-1');
    expect(verifyReturn(back, failingMerchant)).toBe(true);
    await context.close();
  });

  it('renders in English for an English browser', async () => {
    const o = await createOrder(gw, m, { price: '30' });
    const { context, page } = await openPage(browser, DESKTOP, { locale: 'en' });
    await page.goto(o.pay_url);
    await page.getByText('Pay exactly this amount').waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.getByText('Time left to pay').isVisible()).toBe(true);
    await screenshot(page, 'cashier-desktop-en');
    await page.getByRole('link', { name: '中文' }).click();
    await page.getByText('请务必支付此金额').waitFor();
    await context.close();
  });

  it('answers a bad id with a clear 404 page', async () => {
    const { context, page } = await openPage(browser, PHONE);
    const res = await page.goto(`${gw.url}/pay/api?id=doesnotexist123&type=alipay`);
    expect(res?.status()).toBe(404);
    await page.getByRole('heading', { name: '订单不存在' }).waitFor();
    await context.close();
  });

  it('falls back to polling when EventSource is missing', async () => {
    const o = await createOrder(gw, m, { price: '31' });
    const { context, page } = await openPage(browser, DESKTOP);
    await page.addInitScript(() => {
      delete (window as { EventSource?: unknown }).EventSource;
    });
    const polls: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('format=json')) polls.push(r.url());
    });
    await page.goto(o.pay_url);
    await page.locator('#qr').waitFor();
    await simulatePayment(gw, o.token);
    await page.waitForURL((u) => u.pathname === '/return');
    expect(polls.length).toBeGreaterThan(0);
    await context.close();
  });

  it('takes a payer from /pay/any through the cashier to the merchant', async () => {
    const { context, page } = await openPage(browser, PHONE);
    await page.goto(`${gw.url}/pay/any?appkey=${m.appkey}&token=${encodeURIComponent(m.payToken)}`);
    await page.locator('#price').fill('6.6');
    await page.locator('#custom').fill('13800000000');
    await screenshot(page, 'anypay-phone-form');
    await page.locator('#go').click();
    await page.waitForURL((u) => u.pathname === '/pay/api');
    await expect(page.locator('#amt').textContent()).resolves.toMatch(/^¥6\.\d\d$/);
    const token = new URL(page.url()).searchParams.get('id') as string;
    const order = await gw.services.orders.findByToken(token);
    expect(order).toMatchObject({ kind: 'anypay', custom: '13800000000', priceCents: 660 });
    await simulatePayment(gw, token);
    await page.waitForURL((u) => u.pathname === '/return');
    const back = new URL(page.url());
    expect(back.searchParams.get('out_order_id')).toBe(order?.outOrderId);
    expect(back.searchParams.get('price')).toBe('6.60');
    expect(verifyReturn(back, m)).toBe(true);
    await context.close();
  });
});
