import type { IncomingMessage } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { transact } from '../../src/db/tx.js';
import { call, createParams, type MerchantCreds, provisionMerchant } from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { MonitorClient } from '../monitor/monitor-client.js';

/**
 * Group commit seen from outside: real HTTP requests to one gateway on SQLite share COMMITs, and
 * a request that fails inside a shared batch fails alone.
 */
describe.runIf(process.env.SHOUYIN_TEST_DB !== 'postgres')('group commit of real requests', () => {
  let gw: TestGateway;
  // A fresh gateway per test, its expirer idle, so the COMMITs counted are the requests' own.
  beforeEach(async () => {
    gw = await startTestGateway({ env: { EXPIRE_INTERVAL_MS: '600000' } });
  });
  afterEach(() => gw.close());

  const db = () => gw.services.db;
  const k = () => gw.services.db.kysely;
  const create = (m: MerchantCreds, path: string, p: Parameters<typeof createParams>[1]) =>
    call(gw.url, `/api/${path}/create`, createParams(m, p));

  /**
   * Holds the write lock while requests come in: each stops at its first query. `release()`
   * waits until `expected` requests have been read whole (their handlers then run on to that
   * query at once), lets them all go on together, so their transactions queue up for one batch,
   * and returns the COMMIT count from before that batch.
   */
  async function holdWriteLock(expected: number) {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let read = 0;
    const onRequest = (req: IncomingMessage) => req.once('end', () => void read++);
    gw.app.server.on('request', onRequest);
    const held = transact(db(), () => gate);
    // The holding batch starts on the next turn of the event loop.
    await new Promise((r) => setImmediate(r));
    return async function release(): Promise<number> {
      const deadline = Date.now() + 10_000;
      while (read < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 50));
      gw.app.server.off('request', onRequest);
      open();
      await held;
      return db().commits.commits;
    };
  }

  it('commits 40 concurrent creations in one COMMIT and their 40 payment reports in a few, keeping every invariant', async () => {
    const { merchant, accounts } = await provisionMerchant(gw, { name: 'Many at once' });
    const account = await gw.services.accounts.get(accounts.alipay!);
    const n = 40;

    // Sent while the write lock is held, as requests pile up behind a commit under load. (This
    // process is also the client, so without the hold its requests would arrive one by one;
    // durability-crash.test.ts shows the same from another process without any hold.)
    let release = await holdWriteLock(n);
    const creating = Promise.all(
      Array.from({ length: n }, (_, i) =>
        create(merchant, 'anypay', { price: '10', type: 'alipay', out_order_id: `many-${i}`, custom: '' }),
      ),
    );
    let before = await release();
    const created = await creating;
    for (const c of created) expect(c.body?.code, c.text).toBe(100);
    expect(db().commits.commits - before).toBe(1);
    const realprices = created.map((c) => c.body!.data.realprice as string);
    expect(new Set(realprices).size).toBe(n);

    const monitor = new MonitorClient(gw.url, account.id, account.monitorKey, Date.now);
    const report = (i: number) =>
      monitor.payments([
        { id: `bill-${i}`, type: 'alipay', amount: realprices[i], paid_at: Math.floor(Date.now() / 1000) },
      ]);
    release = await holdWriteLock(n);
    const reporting = Promise.all(created.map((_, i) => report(i)));
    before = await release();
    const reports = await reporting;
    // The dispatcher's first notification attempts may commit beside them.
    expect(db().commits.commits - before).toBeLessThan(n / 4);
    reports.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.body.results[0]).toMatchObject({
        result: 'matched',
        order_id: created[i]!.body!.data.order_id,
      });
    });

    const ids = created.map((c) => Number(c.body!.data.order_id));
    const orders = await k()
      .selectFrom('orders')
      .select(['status', 'payment_id'])
      .where('id', 'in', ids)
      .execute();
    expect(orders.every((o) => o.status === 'paid')).toBe(true);
    expect(new Set(orders.map((o) => o.payment_id)).size).toBe(n);
    const payments = await k()
      .selectFrom('payments')
      .select('order_id')
      .where('account_id', '=', account.id)
      .execute();
    expect(payments.map((p) => Number(p.order_id)).sort()).toEqual([...ids].sort());
    const notifications = await k()
      .selectFrom('notifications')
      .select('order_id')
      .where('order_id', 'in', ids)
      .execute();
    expect(notifications).toHaveLength(n);

    // The same reports again, all at once: each is a duplicate, nothing new is stored.
    const replays = await Promise.all(created.map((_, i) => report(i)));
    for (const r of replays) expect(r.body.results[0].result).toBe('duplicate');
    const again = await k()
      .selectFrom('payments')
      .select('id')
      .where('account_id', '=', account.id)
      .execute();
    expect(again).toHaveLength(n);
  });

  it('answers a 207 and two 206s inside a shared batch while their batch-mates are committed and answered', async () => {
    const { merchant, accounts } = await provisionMerchant(gw, { name: 'Batch mates' });
    const plenty = await gw.services.products.add({
      merchantId: merchant.id,
      name: 'Plenty',
      price: '1',
      stock: 10,
    });
    const scarce = await gw.services.products.add({
      merchantId: merchant.id,
      name: 'Scarce',
      price: '1',
      stock: 1,
    });
    const last = await gw.services.products.add({
      merchantId: merchant.id,
      name: 'Last one',
      price: '5',
      stock: 1,
    });
    const stockOf = async (id: number) =>
      (await k().selectFrom('products').select('stock').where('id', '=', id).executeTakeFirstOrThrow()).stock;

    const release = await holdWriteLock(9);
    const good = (i: number) =>
      create(merchant, 'anypay', { price: '10', type: 'alipay', out_order_id: `mate-${i}`, custom: '' });
    const answers = Promise.all([
      good(0),
      // Same out_order_id as the next one, another price: one of the two wins, the other is 207.
      create(merchant, 'anypay', { price: '20', type: 'alipay', out_order_id: 'twice', custom: '' }),
      create(merchant, 'anypay', { price: '21', type: 'alipay', out_order_id: 'twice', custom: '' }),
      good(1),
      // Takes 3 of Plenty, then finds Scarce short: 206, and Plenty's 3 must come back.
      create(merchant, 'grouppay', {
        fields: `${plenty.id}:3,${scarce.id}:2`,
        type: 'alipay',
        out_order_id: 'short',
        custom: '',
      }),
      good(2),
      // Two buyers of the last item: the first in the batch gets it, the second is 206.
      create(merchant, 'stablepay', {
        product_id: String(last.id),
        type: 'alipay',
        out_order_id: 'last-a',
        custom: '',
      }),
      create(merchant, 'stablepay', {
        product_id: String(last.id),
        type: 'alipay',
        out_order_id: 'last-b',
        custom: '',
      }),
      good(3),
    ]);
    const before = await release();
    const [g0, twiceA, twiceB, g1, short, g2, lastA, lastB, g3] = await answers;
    // All nine ran in one batch: one COMMIT.
    expect(db().commits.commits - before).toBe(1);

    for (const g of [g0, g1, g2, g3]) expect(g!.body?.code, g!.text).toBe(100);
    expect([twiceA!.body!.code, twiceB!.body!.code].sort()).toEqual([100, 207]);
    expect(short!.body).toMatchObject({ code: 206, data: null });
    expect([lastA!.body!.code, lastB!.body!.code].sort()).toEqual([100, 206]);

    const winner = [twiceA, twiceB].find((a) => a!.body!.code === 100)!;
    const stored = await k()
      .selectFrom('orders')
      .select(['id', 'out_order_id', 'token', 'realprice_cents'])
      .where('merchant_id', '=', merchant.id)
      .execute();
    const answered = [g0, g1, g2, g3, winner, lastA!.body!.code === 100 ? lastA : lastB];
    expect(stored.map((o) => Number(o.id)).sort()).toEqual(
      answered.map((a) => Number(a!.body!.data.order_id)).sort(),
    );
    // The failed ones' slot claims and stock takes were rolled back with their savepoints.
    const slots = await k()
      .selectFrom('slots')
      .select('order_token')
      .where('account_id', '=', accounts.alipay!)
      .execute();
    expect(new Set(slots.map((s) => s.order_token))).toEqual(new Set(stored.map((o) => o.token)));
    expect(new Set(stored.map((o) => o.realprice_cents)).size).toBe(stored.length);
    expect(await stockOf(plenty.id)).toBe(10);
    expect(await stockOf(scarce.id)).toBe(1);
    expect(await stockOf(last.id)).toBe(0);
  });
});
