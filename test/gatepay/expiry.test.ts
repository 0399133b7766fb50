import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  createParams,
  findOrderParams,
  type MerchantCreds,
  provisionMerchant,
} from '../helpers/gatepay.js';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';

const TTL_MS = 300_000;
const GRACE_MS = 600_000;

/** Orders past their deadline, late payments within the grace window, and what comes after it. */
describe('expiry and late payments', () => {
  const clock = new TestClock();
  let gw: TestGateway;
  let m: MerchantCreds & { id: number };
  let accountId: number;
  let seq = 0;

  beforeAll(async () => {
    // The sweeper runs once at start and then not for ten minutes of real time: reads must expire.
    gw = await startTestGateway({ clock, env: { EXPIRE_INTERVAL_MS: '600000' } });
    const p = await provisionMerchant(gw, { name: 'Expiry shop' });
    m = p.merchant;
    accountId = p.accounts.alipay!;
  });
  afterAll(() => gw.close());

  const create = async (price: string) => {
    const out = `exp-${++seq}`;
    const res = await call(
      gw.url,
      '/api/anypay/create',
      createParams(m, { price, type: 'alipay', out_order_id: out, custom: '' }),
    );
    expect(res.body!.code).toBe(100);
    return { out, ...(res.body!.data as { order_id: number; realprice: string; expire_time: number }) };
  };
  const find = async (out: string) =>
    (await call(gw.url, '/api/find/findOrder', findOrderParams(m, out))).body!.data;
  const statusRow = async (id: number) =>
    (
      await gw.services.db.kysely
        .selectFrom('orders')
        .select(['status', 'late'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).status;
  const pay = (amountCents: number, paidAt: number, reporterId = `bill-${++seq}`) =>
    gw.services.payments.record({
      accountId,
      type: 'alipay',
      amountCents,
      paidAt,
      reporterId,
      source: 'monitor',
    });

  it('says expired once the order is past its deadline, expiring it on read', async () => {
    const o = await create('1');
    expect(o.expire_time).toBe(Math.floor((clock.now() + TTL_MS) / 1000));
    clock.advance(TTL_MS - 1000);
    expect((await find(o.out)).order_status).toBe('unpaid');
    clock.advance(1000);
    expect(await statusRow(o.order_id)).toBe('unpaid');
    expect((await find(o.out)).order_status).toBe('expired');
    expect(await statusRow(o.order_id)).toBe('expired');
  });

  it('pays an expired order late when its payment arrives within the grace window', async () => {
    const o = await create('2');
    clock.advance(TTL_MS + 1000);
    expect((await find(o.out)).order_status).toBe('expired');
    clock.advance(GRACE_MS - 2000);
    const paidAt = clock.now();
    const r = await pay(200, paidAt);
    expect(r).toMatchObject({ outcome: 'late', orderId: o.order_id, late: true });
    const data = await find(o.out);
    expect(data).toMatchObject({ order_status: 'paid', late: true, paytime: Math.floor(paidAt / 1000) });
    const n = await gw.services.db.kysely
      .selectFrom('notifications')
      .select('order_id')
      .where('order_id', '=', o.order_id)
      .execute();
    expect(n).toHaveLength(1);
  });

  it('pays an unswept order on time when the money arrived before the deadline', async () => {
    const o = await create('3');
    const paidAt = clock.now() + TTL_MS - 5000;
    clock.advance(TTL_MS + 60_000); // the monitor reports a minute late
    expect(await pay(300, paidAt)).toMatchObject({ outcome: 'paid', orderId: o.order_id, late: false });
    expect(await find(o.out)).toMatchObject({ order_status: 'paid', late: false });
  });

  it('keeps an expired order’s realprice through the grace window, so a late payment finds its own order', async () => {
    const a = await create('4');
    clock.advance(TTL_MS + 1000);
    const b = await create('4');
    expect(a.realprice).toBe('4.00');
    expect(b.realprice).toBe('3.99');
    expect(await pay(400, clock.now())).toMatchObject({ outcome: 'late', orderId: a.order_id });
    expect((await find(b.out)).order_status).toBe('unpaid');
  });

  it('keeps a payment after the grace window unmatched and lets a new order take the realprice', async () => {
    const o = await create('5');
    clock.advance(TTL_MS + GRACE_MS + 1000);
    const r = await pay(500, clock.now());
    expect(r.outcome).toBe('unmatched');
    const row = await gw.services.db.kysely
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', r.paymentId)
      .executeTakeFirstOrThrow();
    expect(row.order_id).toBeNull();
    expect(Number(row.amount_cents)).toBe(500);
    expect((await find(o.out)).order_status).toBe('expired');

    const fresh = await create('5');
    expect(fresh.realprice).toBe('5.00');
    const slots = await gw.services.db.kysely
      .selectFrom('slots')
      .select('order_token')
      .where('account_id', '=', accountId)
      .where('amount_cents', '=', 500)
      .execute();
    expect(slots).toHaveLength(1);
    expect(fresh.order_id).not.toBe(o.order_id);
  });

  it('does not pay an order with money that arrived long before the order was created', async () => {
    const o = await create('6');
    const r = await pay(600, clock.now() - 10 * 60_000);
    expect(r.outcome).toBe('unmatched');
    expect((await find(o.out)).order_status).toBe('unpaid');
    // Its own payment still pays it.
    expect(await pay(600, clock.now())).toMatchObject({ outcome: 'paid', orderId: o.order_id });
  });

  it('gives an expired product order’s stock back and takes it again when paid late', async () => {
    const { id } = await gw.services.products.add({
      merchantId: m.id,
      name: 'Last one',
      price: '7',
      stock: 1,
    });
    const stock = async () =>
      (
        await gw.services.db.kysely
          .selectFrom('products')
          .select('stock')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).stock;
    const res = await call(
      gw.url,
      '/api/stablepay/create',
      createParams(m, { product_id: String(id), type: 'alipay', out_order_id: 'exp-stock', custom: '' }),
    );
    expect(res.body!.code).toBe(100);
    expect(await stock()).toBe(0);
    clock.advance(TTL_MS + 1000);
    expect((await find('exp-stock')).order_status).toBe('expired');
    expect(await stock()).toBe(1);
    expect(await pay(700, clock.now())).toMatchObject({ outcome: 'late' });
    expect(await stock()).toBe(0);
  });
});

describe('the expirer', () => {
  const clock = new TestClock();
  let gw: TestGateway;
  let m: MerchantCreds;

  beforeAll(async () => {
    gw = await startTestGateway({ clock, env: { EXPIRE_INTERVAL_MS: '20' } });
    m = (await provisionMerchant(gw, { name: 'Sweep shop' })).merchant;
  });
  afterAll(() => gw.close());

  it('sweeps unpaid orders past their deadline without anyone reading them', async () => {
    const res = await call(
      gw.url,
      '/api/anypay/create',
      createParams(m, { price: '1', type: 'alipay', out_order_id: 'sweep', custom: '' }),
    );
    const id = res.body!.data.order_id as number;
    const status = async () =>
      (
        await gw.services.db.kysely
          .selectFrom('orders')
          .select('status')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).status;
    await new Promise((r) => setTimeout(r, 100));
    expect(await status()).toBe('unpaid');
    clock.advance(TTL_MS);
    const deadline = Date.now() + 3000;
    while ((await status()) !== 'expired' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(await status()).toBe('expired');
  });
});
