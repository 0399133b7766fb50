import { afterEach, describe, expect, it } from 'vitest';
import { countRows } from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type MerchantSite, type SeededMerchant, seedMerchant, startMerchantSite } from './setup.js';

/** The per-address limits of the unsigned quick collection page. */
describe('/pay/any limits per client address', () => {
  let gw: TestGateway | undefined;
  let site: MerchantSite | undefined;
  afterEach(async () => {
    await gw?.close();
    await site?.close();
    gw = site = undefined;
  });

  const start = async (env: Record<string, string>) => {
    site = await startMerchantSite();
    gw = await startTestGateway({ env });
    return { gw, m: await seedMerchant(gw, site) };
  };
  const headers = (address?: string): Record<string, string> =>
    address ? { 'x-forwarded-for': address } : {};
  const post = (g: TestGateway, form: Record<string, string>, address?: string) =>
    fetch(`${g.url}/pay/any`, {
      method: 'POST',
      body: new URLSearchParams(form),
      redirect: 'manual',
      headers: headers(address),
    });
  const order = (m: SeededMerchant, price = '5') => ({
    appkey: m.appkey,
    token: m.payToken,
    price,
    type: 'alipay',
  });
  const link = (g: TestGateway, q: Record<string, string>) =>
    fetch(`${g.url}/pay/any?${new URLSearchParams(q)}`);

  it('creates at most PAY_ANY_CREATE_LIMIT orders per address in the window, then answers 429', async () => {
    const { gw: g, m } = await start({ PAY_ANY_CREATE_LIMIT: '2', QUICK_ORDERS_PER_ADDRESS: '100' });
    expect((await post(g, order(m, '5'))).status).toBe(303);
    expect((await post(g, order(m, '6'))).status).toBe(303);
    const before = await countRows(g);
    const limited = await post(g, order(m, '7'));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('content-type')).toContain('text/html');
    expect(await limited.text()).toMatch(/操作过于频繁[\s\S]*请 \d+ 秒后再试/);
    expect(await countRows(g), 'no order held for a limited request').toEqual(before);
    const en = await post(g, { ...order(m, '8'), lang: 'en' });
    expect(await en.text()).toMatch(/Too many attempts[\s\S]*try again in \d+ seconds/);
    // Showing the form is not creating an order.
    expect((await link(g, { appkey: m.appkey, token: m.payToken })).status).toBe(200);
  });

  it('answers 429 to an address after PAY_ANY_BAD_TOKEN_LIMIT wrong links, even for a right one', async () => {
    const { gw: g, m } = await start({ PAY_ANY_BAD_TOKEN_LIMIT: '2' });
    expect((await link(g, { appkey: m.appkey, token: 'wrong' })).status).toBe(403);
    expect((await post(g, { ...order(m), token: 'wrong' })).status).toBe(403);
    expect((await link(g, { appkey: m.appkey, token: m.payToken })).status).toBe(429);
    const before = await countRows(g);
    expect((await post(g, order(m))).status).toBe(429);
    expect(await countRows(g)).toEqual(before);
  });

  it('does not count the 403 of a disabled merchant’s own link as guessing', async () => {
    const { gw: g, m } = await start({ PAY_ANY_BAD_TOKEN_LIMIT: '2' });
    await g.services.merchants.set(m.id, { enabled: false });
    for (let i = 0; i < 4; i++)
      expect((await link(g, { appkey: m.appkey, token: m.payToken })).status).toBe(403);
  });

  it('counts each client address apart behind a trusted proxy', async () => {
    const { gw: g, m } = await start({ PAY_ANY_BAD_TOKEN_LIMIT: '1', TRUST_PROXY: '127.0.0.1' });
    const wrong = (a: string) =>
      fetch(`${g.url}/pay/any?appkey=${m.appkey}&token=wrong`, { headers: headers(a) }).then((r) => r.status);
    expect(await wrong('203.0.113.1')).toBe(403);
    expect(await wrong('203.0.113.1')).toBe(429);
    expect(await wrong('203.0.113.2')).toBe(403);
  });

  it('hands the payer’s address to order creation, an IPv6 one by its /64', async () => {
    const { gw: g, m } = await start({ TRUST_PROXY: '127.0.0.1' });
    const addressOf = async (r: Response) => {
      expect(r.status).toBe(303);
      const token = new URL(r.headers.get('location')!).searchParams.get('id')!;
      const row = await g.services.db.kysely
        .selectFrom('orders')
        .select(['client_address'])
        .where('token', '=', token)
        .executeTakeFirstOrThrow();
      return row.client_address;
    };
    expect(await addressOf(await post(g, order(m, '3'), '203.0.113.7'))).toBe('203.0.113.7');
    expect(await addressOf(await post(g, order(m, '4'), '2001:db8:1:2:3:4:5:6'))).toBe('2001:db8:1:2::');
    expect(await addressOf(await post(g, order(m, '5'), '::ffff:198.51.100.5'))).toBe('198.51.100.5');
  });
});
