import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LostUpdateError, transact } from '../../src/db/tx.js';
import { lockOrderById, markOrderPaid } from '../../src/orders/order.repository.js';
import { attachPayment } from '../../src/payments/payment.repository.js';
import { createScratchPostgres, type ScratchDatabase } from '../helpers/database.js';
import { call, createParams, type MerchantCreds, provisionMerchant } from '../helpers/gatepay.js';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import { MonitorClient } from '../monitor/monitor-client.js';

const sec = (ms: number) => Math.floor(ms / 1000);
const cli = { actor: 'cli:test' };

/**
 * Exact interleavings on PostgreSQL, whichever database the rest of the suite runs on: a second
 * connection holds a row lock and changes the row (as a concurrent report, attach or expiry
 * would), the service call starts and must wait on that lock, then the holder commits. Each
 * service must decide on the committed row (it locks what it reads), never on a stale read
 * that a guarded UPDATE then has to reject.
 */
describe('row locks on PostgreSQL', () => {
  let scratch: ScratchDatabase;
  let gw: TestGateway;
  const clock = new TestClock(Date.UTC(2025, 0, 6, 4, 0, 0));
  let seq = 0;

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    gw = await startTestGateway({ clock, env: { DATABASE_URL: scratch.url } });
  });
  afterAll(async () => {
    await gw.close();
    await scratch.drop();
  });

  async function shop() {
    const { merchant, accounts } = await provisionMerchant(gw, { name: `Shop ${++seq}` });
    const accountId = accounts.alipay!;
    const acc = (await gw.services.accounts.get(accountId))!;
    return { merchant, monitor: new MonitorClient(gw.url, accountId, acc.monitorKey, clock.now) };
  }

  async function create(m: MerchantCreds, p: { price?: string; product_id?: string }) {
    const params = createParams(m, { ...p, type: 'alipay', out_order_id: `i-${++seq}`, custom: '' });
    const r = await call(gw.url, p.price ? '/api/anypay/create' : '/api/stablepay/create', params);
    expect(r.body!.code).toBe(100);
    return r.body!.data as { order_id: number; realprice: string };
  }

  /** Opens a transaction on its own connection, runs `sql` in it and keeps it open. */
  async function holdLock(statements: string[]) {
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    await client.query('begin');
    for (const s of statements) await client.query(s);
    return {
      /** Waits until another backend is blocked on a lock, then commits. */
      commitOnceBlocked: async () => {
        for (let i = 0; i < 200; i++) {
          const { rows } = await client.query(
            `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
          );
          if (rows[0].n > 0) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        await client.query('commit');
        await client.end();
      },
    };
  }

  it('refuses to mark paid an order a report paid meanwhile with a clear "already paid"', async () => {
    const { merchant } = await shop();
    const o = await create(merchant, { price: '5' });
    const holder = await holdLock([
      `select id from orders where id = ${o.order_id} for update`,
      `update orders set status = 'paid', paid_at = ${clock.nowMs} where id = ${o.order_id}`,
    ]);
    const marking = gw.services.payments
      .markPaid(o.order_id, { ...cli, reason: 'seen' })
      .catch((e: Error) => e);
    await holder.commitOnceBlocked();
    expect(String(await marking)).toMatch(/InvalidInputError: .*already paid/);
  });

  it('refuses a simulated payment for an order paid meanwhile, recording nothing', async () => {
    const { merchant } = await shop();
    const o = await create(merchant, { price: '5' });
    const holder = await holdLock([
      `select id from orders where id = ${o.order_id} for update`,
      `update orders set status = 'paid', paid_at = ${clock.nowMs} where id = ${o.order_id}`,
    ]);
    const simulating = gw.services.payments.simulateForOrder(o.order_id).catch((e: Error) => e);
    await holder.commitOnceBlocked();
    expect(String(await simulating)).toMatch(/ConflictError: .*already paid/);
    const payments = await gw.services.db.kysely
      .selectFrom('payments')
      .select('id')
      .where('source', '=', 'simulate')
      .execute();
    expect(payments).toHaveLength(0);
  });

  it('refuses to attach a payment another attach gave to an order meanwhile', async () => {
    const { merchant, monitor } = await shop();
    const o1 = await create(merchant, { price: '6' });
    const o2 = await create(merchant, { price: '6' });
    const r = await monitor.payments([
      { id: 'stray', type: 'alipay', amount: '1.23', paid_at: sec(clock.nowMs) },
    ]);
    const p = r.body.results[0].payment_id as number;
    const holder = await holdLock([
      `select id from payments where id = ${p} for update`,
      `update payments set order_id = ${o1.order_id} where id = ${p}`,
    ]);
    const attaching = gw.services.payments.attach(p, o2.order_id, cli).catch((e: Error) => e);
    await holder.commitOnceBlocked();
    expect(String(await attaching)).toMatch(/InvalidInputError: .*already attached/);
  });

  it('pays an order the expirer expired meanwhile and takes its stock back again', async () => {
    const { merchant, monitor } = await shop();
    const product = await gw.services.products.add({
      merchantId: merchant.id,
      name: 'Tea',
      price: '3',
      stock: 5,
    });
    const o = await create(merchant, { product_id: String(product.id) });
    // The expirer's transaction: the order expires and its unit goes back on the shelf.
    const holder = await holdLock([
      `select id from orders where id = ${o.order_id} for update`,
      `update orders set status = 'expired' where id = ${o.order_id}`,
      `update products set stock = stock + 1 where id = ${product.id}`,
    ]);
    const reporting = monitor.payments([
      { id: 'pay', type: 'alipay', amount: o.realprice, paid_at: sec(clock.nowMs) },
    ]);
    await holder.commitOnceBlocked();
    expect((await reporting).body.results[0]).toMatchObject({ result: 'matched', order_id: o.order_id });
    const stock = await gw.services.db.kysely
      .selectFrom('products')
      .select('stock')
      .where('id', '=', product.id)
      .executeTakeFirstOrThrow();
    expect(stock.stock).toBe(4);
  });

  it('rolls back a paid transition whose guarded update finds the order changed', async () => {
    const { merchant } = await shop();
    const o = await create(merchant, { price: '7' });
    const stale = (await gw.services.orders.findById(o.order_id))!;
    await gw.services.payments.markPaid(o.order_id, { ...cli, reason: 'seen' });
    const before = await gw.services.db.kysely
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', o.order_id)
      .execute();
    await expect(
      transact(gw.services.db, (trx) =>
        markOrderPaid(trx, stale, { paidAt: 1, paymentId: 999, late: false, holdUntil: 1, oversold: false }),
      ),
    ).rejects.toBeInstanceOf(LostUpdateError);
    const after = await gw.services.db.kysely
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', o.order_id)
      .execute();
    expect(after).toEqual(before);
    // A fresh read under the lock sees the truth.
    const fresh = await transact(gw.services.db, (trx) => lockOrderById(trx, o.order_id));
    expect(fresh?.status).toBe('paid');
  });

  it('rolls back giving an already attached payment to a second order', async () => {
    const { merchant, monitor } = await shop();
    const o1 = await create(merchant, { price: '8' });
    const o2 = await create(merchant, { price: '8' });
    const r = await monitor.payments([
      { id: 'p', type: 'alipay', amount: o1.realprice, paid_at: sec(clock.nowMs) },
    ]);
    const p = r.body.results[0].payment_id as number;
    await expect(
      transact(gw.services.db, (trx) => attachPayment(trx, p, o2.order_id, false)),
    ).rejects.toBeInstanceOf(LostUpdateError);
    const row = await gw.services.db.kysely
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', p)
      .executeTakeFirstOrThrow();
    expect(Number(row.order_id)).toBe(o1.order_id);
  });
});
