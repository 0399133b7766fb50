import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type MerchantSite, type SeededMerchant, seedMerchant, startMerchantSite } from './setup.js';

describe('quick collection page /pay/any', () => {
  let gw: TestGateway;
  let site: MerchantSite;
  let m: SeededMerchant;
  beforeAll(async () => {
    site = await startMerchantSite();
    // Many posts from one address; the per-address limits are tested in anypay-limits.http.test.ts.
    gw = await startTestGateway({ env: { PAY_ANY_CREATE_LIMIT: '1000', PAY_ANY_BAD_TOKEN_LIMIT: '1000' } });
    m = await seedMerchant(gw, site, { name: '街角咖啡' });
  });
  afterAll(async () => {
    await gw?.close();
    await site?.close();
  });

  const link = (q: Record<string, string>) => `${gw.url}/pay/any?${new URLSearchParams(q)}`;
  const post = (form: Record<string, string>) =>
    fetch(`${gw.url}/pay/any`, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' });

  it('refuses a wrong or missing pay token with 403', async () => {
    for (const q of [
      { appkey: m.appkey, token: `${m.payToken}x` },
      { appkey: m.appkey, token: m.payToken.toUpperCase() === m.payToken ? 'x' : m.payToken.toUpperCase() },
      { appkey: m.appkey },
      { appkey: 'nope', token: m.payToken },
      {},
    ]) {
      const r = await fetch(link(q as Record<string, string>));
      expect(r.status).toBe(403);
      expect(await r.text()).toContain('链接无效');
    }
    const p = await post({ appkey: m.appkey, token: 'wrong', price: '1', type: 'alipay' });
    expect(p.status).toBe(403);
  });

  it('shows a form for the amount, contact and method', async () => {
    const r = await fetch(link({ appkey: m.appkey, token: m.payToken }));
    expect(r.status).toBe(200);
    const page = await r.text();
    expect(page).toContain('街角咖啡');
    expect(page).toMatch(/<input class="money" id="price" name="price"[^>]*value=""[^>]* autofocus>/);
    expect(page).toContain('name="custom"');
    expect(page).toContain('value="alipay" checked');
    expect(page).toContain('value="wechat"');
  });

  it('locks the given price and contact with stable=1, and uses the dark skin with skin=1', async () => {
    const page = await (
      await fetch(
        link({ appkey: m.appkey, token: m.payToken, price: '12.5', custom: 'a@b.c', stable: '1', skin: '1' }),
      )
    ).text();
    expect(page).toMatch(/name="price"[^>]*value="12.5" readonly>/);
    expect(page).toMatch(/name="custom"[^>]*value="a@b.c" readonly>/);
    expect(page).toContain('<input type="hidden" name="stable" value="1">');
    expect(page).toContain('<body class="dark">');
  });

  it('shows the form again with an error for a bad amount', async () => {
    for (const price of ['', '0', 'abc', '1.234', '-5', '1e3']) {
      const r = await post({ appkey: m.appkey, token: m.payToken, price, type: 'alipay', custom: 'me' });
      expect(r.status).toBe(400);
      const page = await r.text();
      expect(page).toContain('请输入有效金额');
      expect(page).toContain('value="me"');
    }
    const en = await post({ appkey: m.appkey, token: m.payToken, price: 'x', type: 'alipay', lang: 'en' });
    expect(await en.text()).toContain('Enter a valid amount');
  });

  it('creates an any-amount order and sends the payer to its cashier (303)', async () => {
    const r = await post({
      appkey: m.appkey,
      token: m.payToken,
      price: ' 18.8 ',
      custom: '<me>',
      type: 'wechat',
    });
    expect(r.status).toBe(303);
    const location = r.headers.get('location') as string;
    expect(location).toMatch(new RegExp(`^${gw.url}/pay/api\\?id=[\\w-]+&type=wechat$`));
    const order = await gw.services.orders.findByToken(new URL(location).searchParams.get('id') as string);
    expect(order).toMatchObject({
      merchantId: m.id,
      kind: 'anypay',
      type: 'wechat',
      priceCents: 1880,
      productId: '0',
      custom: '<me>',
      status: 'unpaid',
    });
    expect(order?.outOrderId).toMatch(/^any-[\w-]{16}$/);
    const cashier = await (await fetch(location)).text();
    expect(cashier).toContain('18.80');
    expect(cashier).toContain('微信支付');

    const again = await post({ appkey: m.appkey, token: m.payToken, price: '18.8', type: 'wechat' });
    expect(again.headers.get('location')).not.toBe(location);
  });

  it('says so when no receiving account can take the order', async () => {
    const other = await gw.services.merchants.add({
      name: 'Empty',
      notifyUrl: `${site.url}/notify`,
      returnUrl: `${site.url}/return`,
    });
    const r = await post({ appkey: other.appkey, token: other.payToken, price: '1', type: 'alipay' });
    expect(r.status).toBe(503);
    expect(await r.text()).toContain('无可用支付方式');
  });
});
