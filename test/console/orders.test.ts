import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listOrders } from '../../src/orders/order.query.js';
import { findOrderById } from '../../src/orders/order.repository.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import type { ConsoleClient } from './client.js';
import { addShop, consoleSetup, order, payExactly, report, type Shop } from './orders-fixtures.js';

const ids = (r: { body: { orders: Array<{ id: number }> } }) => r.body.orders.map((o) => o.id);
const qs = (q: Record<string, string | number>) =>
  new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)]));

describe(`console orders list on ${TEST_DIALECT}`, () => {
  let gw: TestGateway;
  const clock = new TestClock(Date.now());
  let op: ConsoleClient;
  let a: Shop;
  let b: Shop;
  let n = 0;

  beforeAll(async () => {
    // The expirer stays out of the way: tests see unpaid orders past their deadline as they are.
    gw = await startTestGateway({ clock, env: { EXPIRE_INTERVAL_MS: '600000' } });
    ({ op, a, b } = await consoleSetup(gw));
  });
  afterAll(() => gw?.close());

  const freshShop = () => addShop(gw, `shop${++n}`, 'http://127.0.0.1:9/notify');

  it('pages through orders newest first with an opaque cursor, without repeats or gaps when orders share a creation time', async () => {
    const s = await freshShop();
    const made: number[] = [];
    for (let i = 0; i < 4; i++) made.push((await order(gw.services, s.merchant, { price: 100 + i })).id);
    clock.advance(1000);
    for (let i = 0; i < 3; i++) made.push((await order(gw.services, s.merchant, { price: 200 + i })).id);
    const expected = [...made.slice(4).reverse(), ...made.slice(0, 4).reverse()];

    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await s.client.get(`/orders?${qs({ limit: 3, ...(cursor ? { cursor } : {}) })}`);
      expect(r.status).toBe(200);
      seen.push(...ids(r));
      cursor = r.body.next_cursor;
      if (cursor) expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(expected);
    // A page exactly full at the end says so: no cursor to an empty page.
    const all = await s.client.get('/orders?limit=7');
    expect(ids(all)).toEqual(expected);
    expect(all.body.next_cursor).toBeNull();
  });

  it('shows each order with its amounts, account, state and notification state', async () => {
    const s = await freshShop();
    const o = await order(gw.services, s.merchant, { price: 990, custom: 'c-1', out: 'shop-1' });
    const r = await s.client.get('/orders');
    expect(r.body.orders[0]).toEqual({
      id: o.id,
      out_order_id: 'shop-1',
      merchant_id: s.merchant.id,
      account_id: s.alipay,
      account_name: `${s.merchant.name} Alipay`,
      type: 'alipay',
      kind: 'anypay',
      origin: 'api',
      title: expect.any(String),
      custom: 'c-1',
      price: '9.90',
      realprice: '9.90',
      paid_amount: null,
      state: 'unpaid',
      late: false,
      oversold: false,
      created_at: clock.nowMs,
      expires_at: o.expiresAt,
      paid_at: null,
      notify_state: null,
    });
  });

  it('filters by state (an unpaid order past its deadline counts as expired), type, account, shop order number and date range', async () => {
    const s = await freshShop();
    const t0 = clock.nowMs;
    const paid = await order(gw.services, s.merchant, { price: 1000, out: 'f-paid' });
    const lapsed = await order(gw.services, s.merchant, { price: 3000, out: 'f-lapsed' });
    clock.advance(10_000);
    await payExactly(gw.services, paid);
    clock.advance(300_000); // `lapsed` is past its deadline; the expirer has not run
    const swept = await order(gw.services, s.merchant, { price: 4000, out: 'f-swept' });
    clock.advance(301_000);
    await gw.services.orders.expireDue(swept.id);
    const open = await order(gw.services, s.merchant, { price: 2000, type: 'wechat', out: 'f-open' });
    expect((await findOrderById(gw.services.db.kysely, lapsed.id))?.status).toBe('unpaid');

    const list = async (q: Record<string, string | number>) => {
      const r = await s.client.get(`/orders?${qs(q)}`);
      expect(r.status).toBe(200);
      return ids(r);
    };
    expect(await list({ state: 'paid' })).toEqual([paid.id]);
    expect(await list({ state: 'unpaid' })).toEqual([open.id]);
    expect(await list({ state: 'expired' })).toEqual([swept.id, lapsed.id]);
    expect((await s.client.get('/orders?state=expired')).body.orders.map((o: any) => o.state)).toEqual([
      'expired',
      'expired',
    ]);
    expect(await list({ type: 'wechat' })).toEqual([open.id]);
    expect(await list({ type: 'alipay' })).toEqual([swept.id, lapsed.id, paid.id]);
    expect(await list({ account_id: s.wechat })).toEqual([open.id]);
    expect(await list({ account_id: s.alipay, state: 'expired' })).toEqual([swept.id, lapsed.id]);
    expect(await list({ out_order_id: 'f-lapsed' })).toEqual([lapsed.id]);
    expect(await list({ out_order_id: 'f-laps' })).toEqual([]); // exact, not a prefix
    expect(await list({ created_from: t0, created_before: t0 + 1 })).toEqual([lapsed.id, paid.id]);
    expect(await list({ created_from: t0 + 1 })).toEqual([open.id, swept.id]);
    expect(await list({ created_before: t0 })).toEqual([]);
    // An operator finds a shop order number without choosing the merchant first.
    expect(ids(await op.get(`/orders?${qs({ out_order_id: 'f-open' })}`))).toEqual([open.id]);
  });

  it('finds who paid an amount: paid orders whose payment was that amount, including a payment attached at another amount', async () => {
    const s = await freshShop();
    const p1 = await order(gw.services, s.merchant, { price: 999 }); // 9.99
    const p2 = await order(gw.services, s.merchant, { price: 999 }); // 9.98: the slot 9.99 is held
    expect(p2.realpriceCents).toBe(998);
    const asked = await order(gw.services, s.merchant, { price: 999, type: 'wechat' }); // unpaid, asks 9.99
    await payExactly(gw.services, p1);
    await payExactly(gw.services, p2);
    // A buyer typed 9.99 for an order of 12.00: nobody held 9.99 then, so an owner attached it.
    const typo = await order(gw.services, s.merchant, { price: 1200 });
    const paidNow = await report(gw.services, { accountId: s.alipay, cents: 999 });
    expect(paidNow.outcome).toBe('unmatched');
    const attach = await s.client.post(`/payments/${paidNow.paymentId}/attach`, { order_id: typo.id });
    expect(attach.status).toBe(200);
    // …and an order holding 12.34 that an owner paid with a 12.30 payment is not "paid 12.34".
    const other = await order(gw.services, s.merchant, { price: 1234 });
    const short = await report(gw.services, { accountId: s.alipay, cents: 1230 });
    expect(short.outcome).toBe('unmatched');
    expect((await s.client.post(`/payments/${short.paymentId}/attach`, { order_id: other.id })).status).toBe(
      200,
    );

    // An order that held 8.88 past its grace and was then attached a payment of exactly 8.88.
    const slow = await order(gw.services, s.merchant, { price: 888 });
    clock.advance(1000_000);
    const exact = await report(gw.services, { accountId: s.alipay, cents: 888 });
    expect(exact.outcome).toBe('unmatched');
    expect((await s.client.post(`/payments/${exact.paymentId}/attach`, { order_id: slow.id })).status).toBe(
      200,
    );
    expect(ids(await s.client.get('/orders?paid_amount=8.88'))).toEqual([slow.id]);

    const who = await s.client.get('/orders?paid_amount=9.99');
    expect(ids(who)).toEqual([typo.id, p1.id]);
    expect(who.body.orders.map((o: any) => [o.realprice, o.paid_amount])).toEqual([
      ['12.00', '9.99'],
      ['9.99', '9.99'],
    ]);
    expect(ids(await s.client.get('/orders?paid_amount=9.98'))).toEqual([p2.id]);
    expect(ids(await s.client.get('/orders?paid_amount=12.34'))).toEqual([]);
    expect(ids(await s.client.get('/orders?paid_amount=12.3'))).toEqual([other.id]);
    expect(ids(await s.client.get('/orders?paid_amount=9.99&state=paid'))).toEqual([typo.id, p1.id]);
    // Asking for 9.99 is not having paid it.
    expect(ids(await s.client.get('/orders?paid_amount=9.99&state=unpaid'))).toEqual([]);
    expect(asked.realpriceCents).toBe(999);
    // Paged like any list.
    const first = await s.client.get('/orders?paid_amount=9.99&limit=1');
    expect(ids(first)).toEqual([typo.id]);
    const second = await s.client.get(
      `/orders?${qs({ paid_amount: '9.99', limit: 1, cursor: first.body.next_cursor })}`,
    );
    expect(ids(second)).toEqual([p1.id]);
    expect(second.body.next_cursor).toBeNull();
  });

  it('refuses bad filters with a clear message', async () => {
    const bad = async (query: string, message: RegExp) => {
      const r = await a.client.get(`/orders?${query}`);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_input');
      expect(r.body.message).toMatch(message);
      expect(JSON.stringify(r.body)).not.toMatch(/at .*\.ts:\d+/);
    };
    await bad('state=lost', /state must be unpaid, paid or expired/);
    await bad('type=paypal', /alipay or wechat/);
    await bad('paid_amount=9.999', /amount like 9\.99/);
    await bad('paid_amount=-1', /amount like 9\.99/);
    await bad('paid_amount=0', /amount like 9\.99/);
    await bad('cursor=not-a-cursor!', /cursor is not valid/);
    await bad(`cursor=${Buffer.from('1.2.3').toString('base64url')}`, /cursor is not valid/);
    await bad('created_from=2000&created_before=1000', /ends before it starts/);
    await bad('limit=101', /limit/);
    await bad('account_id=abc', /account_id/);
  });

  it("answers a merchant user 404 for another merchant's orders, accounts and exports, the same as for none", async () => {
    const theirs = await order(gw.services, b.merchant, { price: 555 });
    const none = await a.client.get('/orders/999999');
    expect(none.status).toBe(404);
    expect(none.body).toEqual({ error: 'not_found', message: 'Not found.' });
    expect((await a.client.get(`/orders/${theirs.id}`)).body).toEqual(none.body);
    expect((await a.client.get(`/orders?merchant_id=${b.merchant.id}`)).status).toBe(404);
    const account = await a.client.get(`/orders?account_id=${b.alipay}`);
    expect(account.status).toBe(404);
    expect(account.body).toEqual((await a.client.get('/orders?account_id=999999')).body);
    expect((await a.client.get(`/orders/export.csv?merchant_id=${b.merchant.id}`)).status).toBe(404);
    // Its own list never holds the other merchant's orders.
    expect(ids(await a.client.get('/orders?limit=100'))).not.toContain(theirs.id);
    expect(ids(await b.client.get('/orders?limit=100'))).toContain(theirs.id);
    // The operator sees both, or one merchant when it asks.
    expect(ids(await op.get(`/orders?merchant_id=${b.merchant.id}&limit=100`))).toContain(theirs.id);
    expect(ids(await op.get(`/orders?merchant_id=${a.merchant.id}&limit=100`))).not.toContain(theirs.id);
  });

  it('checks filters in the service too, for callers without a route schema', async () => {
    const deps = { db: gw.services.db, clock: gw.services.clock };
    await expect(listOrders(deps, { merchantId: null, createdFrom: -1 })).rejects.toThrow(/not a valid time/);
    await expect(listOrders(deps, { merchantId: null, createdBefore: 1.5 })).rejects.toThrow(
      /not a valid time/,
    );
    await expect(listOrders(deps, { merchantId: null }, { limit: 0 })).rejects.toThrow(/1 to 100 orders/);
    await expect(listOrders(deps, { merchantId: null }, { limit: 101 })).rejects.toThrow(/1 to 100 orders/);
    await expect(listOrders(deps, { merchantId: null, outOrderId: 'x'.repeat(201) })).rejects.toThrow(
      /too long/,
    );
  });

  it('needs a session', async () => {
    const anon = await fetch(`${gw.url}/admin/api/orders`);
    expect(anon.status).toBe(401);
    expect((await anon.json()).error).toBe('unauthenticated');
  });
});
