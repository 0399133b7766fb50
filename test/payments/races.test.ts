import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transactionRetries } from '../../src/db/tx.js';
import { call, createParams, type MerchantCreds, provisionMerchant } from '../helpers/gatepay.js';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { MonitorClient } from '../monitor/monitor-client.js';

const sec = (ms: number) => Math.floor(ms / 1000);
const cli = { actor: 'cli:test' };

/**
 * Money invariants under real concurrency. On PostgreSQL the requests and service calls below
 * run as concurrent transactions on separate connections; on SQLite they run one after another
 * (better-sqlite3 is synchronous: two-processes.test.ts races processes on one file instead).
 */
describe(`money under concurrency (${TEST_DIALECT})`, () => {
  let gw: TestGateway;
  const clock = new TestClock(Date.UTC(2025, 0, 6, 4, 0, 0)); // 12:00 in China

  beforeAll(async () => {
    gw = await startTestGateway({ clock });
  });
  afterAll(() => gw.close());

  const db = () => gw.services.db.kysely;

  async function shop(name: string) {
    const { merchant, accounts } = await provisionMerchant(gw, { name });
    const accountId = accounts.alipay!;
    const acc = (await gw.services.accounts.get(accountId))!;
    return { merchant, accountId, monitor: new MonitorClient(gw.url, accountId, acc.monitorKey, clock.now) };
  }

  let seq = 0;
  async function create(
    m: MerchantCreds,
    price: string,
    endpoint = 'anypay',
    extra: Record<string, string> = {},
  ) {
    const out = `r-${++seq}`;
    const params =
      endpoint === 'anypay'
        ? createParams(m, { price, type: 'alipay', out_order_id: out, custom: '' })
        : endpoint === 'stablepay'
          ? createParams(m, { product_id: price, type: 'alipay', out_order_id: out, custom: '' })
          : createParams(m, { fields: price, type: 'alipay', out_order_id: out, custom: '' });
    const r = await call(gw.url, `/api/${endpoint}/create`, { ...params, ...extra });
    return r.body!;
  }

  async function unmatchedPayment(monitor: MonitorClient, amount: string, id: string) {
    const r = await monitor.payments([{ id, type: 'alipay', amount, paid_at: sec(clock.nowMs) }]);
    expect(r.body.results[0].result).toBe('unmatched');
    return r.body.results[0].payment_id as number;
  }

  const notificationsOf = (orderId: number) =>
    db().selectFrom('notifications').select('id').where('order_id', '=', orderId).execute();
  const paymentsOf = (orderId: number) =>
    db().selectFrom('payments').select('id').where('order_id', '=', orderId).execute();

  it('gives 30 concurrent same-price orders 30 distinct realprices when 100 amounts are free', async () => {
    const { merchant } = await shop('Burst');
    const answers = await Promise.all(Array.from({ length: 30 }, () => create(merchant, '20')));
    expect(answers.map((a) => a.code)).toEqual(Array(30).fill(100));
    expect(new Set(answers.map((a) => a.data.realprice)).size).toBe(30);
  });

  it('attaches one payment to only one of two orders asked for at once', async () => {
    const { merchant, monitor } = await shop('Attach twice');
    const o1 = await create(merchant, '30');
    const o2 = await create(merchant, '30');
    const p = await unmatchedPayment(monitor, '12.34', 'stray-1');
    const results = await Promise.allSettled([
      gw.services.payments.attach(p, o1.data.order_id, cli),
      gw.services.payments.attach(p, o2.data.order_id, cli),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason.name).toBe('InvalidInputError');
    expect(refused.reason.message).toMatch(/already attached/);
    const paid = await db()
      .selectFrom('orders')
      .select(['id', 'status'])
      .where('id', 'in', [o1.data.order_id, o2.data.order_id])
      .where('status', '=', 'paid')
      .execute();
    expect(paid).toHaveLength(1);
    expect(await notificationsOf(paid[0]!.id)).toHaveLength(1);
  });

  it('pays an order once when an operator attaches a payment while the monitor reports its own', async () => {
    const { merchant, monitor } = await shop('Attach vs report');
    const o = await create(merchant, '31');
    const stray = await unmatchedPayment(monitor, '1.11', 'stray-2');
    const [attached, reported] = await Promise.allSettled([
      gw.services.payments.attach(stray, o.data.order_id, cli),
      monitor.payments([
        { id: 'own-2', type: 'alipay', amount: o.data.realprice, paid_at: sec(clock.nowMs) },
      ]),
    ]);
    const reportResult = reported.status === 'fulfilled' ? reported.value.body.results[0].result : 'error';
    // Exactly one of them paid the order; the other was refused or left unmatched.
    if (attached.status === 'fulfilled') expect(reportResult).toBe('unmatched');
    else {
      expect(attached.reason.name).toBe('InvalidInputError');
      expect(reportResult).toBe('matched');
    }
    expect(await paymentsOf(o.data.order_id)).toHaveLength(1);
    expect(await notificationsOf(o.data.order_id)).toHaveLength(1);
  });

  it('pays an order once when an operator marks it paid while the monitor reports it', async () => {
    const { merchant, monitor } = await shop('Mark vs report');
    const orders = await Promise.all(Array.from({ length: 5 }, () => create(merchant, '32')));
    const settled = await Promise.allSettled(
      orders.flatMap((o, i) => [
        gw.services.payments.markPaid(o.data.order_id, { ...cli, reason: 'saw it in the app' }),
        monitor.payments([
          { id: `mk-${i}`, type: 'alipay', amount: o.data.realprice, paid_at: sec(clock.nowMs) },
        ]),
      ]),
    );
    // A refusal is the clear "already paid", never a lost update surfacing from the database.
    for (const r of settled) if (r.status === 'rejected') expect(r.reason.message).toMatch(/already paid/);
    for (const o of orders) {
      const row = await db()
        .selectFrom('orders')
        .selectAll()
        .where('id', '=', o.data.order_id)
        .executeTakeFirstOrThrow();
      expect(row.status).toBe('paid');
      expect(await paymentsOf(o.data.order_id)).toHaveLength(1);
      expect(await notificationsOf(o.data.order_id)).toHaveLength(1);
    }
  });

  it('keeps stock exact when expiry races the payments of the expiring orders', async () => {
    const { merchant, monitor } = await shop('Stock race');
    const product = await gw.services.products.add({
      merchantId: merchant.id,
      name: 'Tea',
      price: '3',
      stock: 40,
    });
    const orders = await Promise.all(
      Array.from({ length: 20 }, () => create(merchant, String(product.id), 'stablepay')),
    );
    expect(orders.map((o) => o.code)).toEqual(Array(20).fill(100));
    const t0 = clock.nowMs;
    clock.advance(301_000); // every order is now past its deadline, inside grace
    // Half the buyers paid in time; the phone reports exactly as the expirer sweeps.
    const [, answer] = await Promise.all([
      gw.services.orders.expireDue(),
      monitor.payments(
        orders
          .filter((_, i) => i % 2 === 0)
          .map((o, i) => ({
            id: `st-${i}`,
            type: 'alipay',
            amount: o.data.realprice,
            paid_at: sec(t0 + 100_000),
          })),
      ),
    ]);
    expect(answer.body.results.map((r: any) => r.result)).toEqual(Array(10).fill('matched'));
    await gw.services.orders.expireDue();
    const stock = await db()
      .selectFrom('products')
      .select('stock')
      .where('id', '=', product.id)
      .executeTakeFirstOrThrow();
    expect(stock.stock).toBe(40 - 10);
    clock.nowMs = t0;
  });

  it('flags and audits a late payment whose unit was sold again meanwhile, without negative stock', async () => {
    const { merchant, monitor } = await shop('Oversold');
    const product = await gw.services.products.add({
      merchantId: merchant.id,
      name: 'Last one',
      price: '4',
      stock: 1,
    });
    const t0 = clock.nowMs;
    const first = await create(merchant, String(product.id), 'stablepay');
    expect(first.code).toBe(100);
    clock.advance(301_000);
    await gw.services.orders.expireDue(); // the unit goes back on the shelf
    const second = await create(merchant, String(product.id), 'stablepay');
    expect(second.code).toBe(100); // and is sold again
    // The first buyer had paid inside the grace window; the report arrives now.
    const late = await monitor.payments([
      { id: 'over-1', type: 'alipay', amount: first.data.realprice, paid_at: sec(t0 + 290_000) },
    ]);
    expect(late.body.results[0]).toMatchObject({ result: 'matched', order_id: first.data.order_id });
    const row = await db()
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', first.data.order_id)
      .executeTakeFirstOrThrow();
    expect([row.status, row.oversold]).toEqual(['paid', 1]);
    const stock = await db()
      .selectFrom('products')
      .select('stock')
      .where('id', '=', product.id)
      .executeTakeFirstOrThrow();
    expect(stock.stock).toBe(0);
    const audit = await db()
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'order.oversold')
      .where('subject', '=', `order:${first.data.order_id}`)
      .execute();
    expect(audit).toHaveLength(1);
    clock.nowMs = t0;
  });

  it('creates concurrent multi-product orders listing the same products in opposite orders without deadlock', async () => {
    const { merchant } = await shop('Grouppay');
    const a = await gw.services.products.add({ merchantId: merchant.id, name: 'A', price: '1', stock: 1000 });
    const b = await gw.services.products.add({ merchantId: merchant.id, name: 'B', price: '2', stock: 1000 });
    const deadlocksBefore = transactionRetries.get('40P01') ?? 0;
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        // Distinct quantities give distinct prices, so no two claims wait on one slot.
        create(merchant, i % 2 ? `${a.id}:1,${b.id}:${i + 1}` : `${b.id}:${i + 1},${a.id}:1`, 'grouppay'),
      ),
    );
    expect(answers.map((x) => x.code)).toEqual(Array(40).fill(100));
    expect(transactionRetries.get('40P01') ?? 0).toBe(deadlocksBefore);
    const stock = await db()
      .selectFrom('products')
      .select('stock')
      .where('id', 'in', [a.id, b.id])
      .orderBy('id')
      .execute();
    expect(stock.map((s) => s.stock)).toEqual([960, 1000 - (40 * 41) / 2]);
  });

  it('keeps a daily cap under concurrent orders, counting their realprices', async () => {
    const { merchant, accountId } = await shop('Capped');
    await gw.services.accounts.set(accountId, { dailyCap: '100.00' });
    await gw.services.merchants.set(merchant.id, { offsetDirection: 'up' });
    const answers = await Promise.all(Array.from({ length: 15 }, () => create(merchant, '10')));
    const ok = answers.filter((a) => a.code === 100);
    const total = ok.reduce((s, a) => s + Math.round(Number(a.data.realprice) * 100), 0);
    expect(total).toBeLessThanOrEqual(10_000);
    // 10.00 + 10.01 + … + 10.08 = 90.36; a tenth order (≥ 10.09) would pass 100.00.
    expect(ok).toHaveLength(9);
    for (const r of answers.filter((a) => a.code !== 100)) expect(r.code).toBe(204);
  });
});
