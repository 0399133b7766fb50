import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bucketRange,
  histogramMedian,
  payTimeBucket,
  payTimeBucketSql,
} from '../../src/console/pay-time-histogram.js';
import type { Order } from '../../src/orders/order.model.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import { Receiver } from '../notify/receiver.js';
import { type ConsoleClient, operatorClient } from './client.js';
import { addShop, order, report, type Shop } from './orders-fixtures.js';

const MIN = 60_000;
const DAY = 86_400_000;
/** An instant in China time (UTC+8). */
const china = (text: string) => Date.parse(`${text}+08:00`);
const TODAY = '2026-03-10';
const NOW = china(`${TODAY}T15:00:00`);

describe('time-to-pay histogram', () => {
  it('puts durations in buckets 1 s wide under a minute, 5 s under 10 min, 1 min under an hour, 15 min under a day', () => {
    expect(payTimeBucket(0)).toBe(0);
    expect(payTimeBucket(59_999)).toBe(59);
    expect(bucketRange(payTimeBucket(120_000))).toEqual({ fromMs: 120_000, widthMs: 5000 });
    expect(bucketRange(payTimeBucket(601_000))).toEqual({ fromMs: 600_000, widthMs: 60_000 });
    expect(bucketRange(payTimeBucket(4000_000))).toEqual({ fromMs: 3600_000, widthMs: 900_000 });
    expect(bucketRange(payTimeBucket(3 * DAY))).toEqual({ fromMs: DAY, widthMs: 0 });
    expect(payTimeBucket(-5)).toBe(0);
  });

  it('reads the median inside its bucket', () => {
    const h = new Map([
      [payTimeBucket(120_000), 1],
      [payTimeBucket(300_000), 1],
      [payTimeBucket(420_000), 1],
    ]);
    const m = histogramMedian(h) as number;
    expect(m).toBeGreaterThanOrEqual(300_000);
    expect(m).toBeLessThan(305_000);
    expect(histogramMedian(new Map())).toBeNull();
  });
});

describe(`console dashboard on ${TEST_DIALECT}`, () => {
  const clock = new TestClock(NOW);
  let gw: TestGateway;
  let receiver: Receiver;
  let op: ConsoleClient;
  let a: Shop;
  let b: Shop;
  const ids: Record<string, number> = {};
  let oldUnmatched: number;

  /** Runs `fn` with the gateway's clock at `text` (China time). */
  async function at<T>(text: string, fn: () => Promise<T>): Promise<T> {
    clock.nowMs = china(text);
    try {
      return await fn();
    } finally {
      clock.nowMs = NOW;
    }
  }
  const notification = (orderId: number) =>
    gw.services.db.kysely
      .selectFrom('notifications')
      .selectAll()
      .where('order_id', '=', orderId)
      .executeTakeFirst();
  /** Waits until the order's notification had its first attempt. */
  async function attempted(orderId: number) {
    for (let i = 0; i < 500; i++) {
      const n = await notification(orderId);
      if (n && n.state !== 'pending') return n;
      if (n && Number(n.attempts) > 0) return n;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`order ${orderId}: no notification attempt`);
  }
  async function paidOrder(shop: Shop, price: number, created: string, paid: string, fail = false) {
    const o = await at(created, () => order(gw.services, shop.merchant, { price }));
    if (fail) receiver.next('http-500');
    const r = await at(paid, () =>
      report(gw.services, { accountId: o.accountId, cents: o.realpriceCents, paidAt: china(paid) }),
    );
    expect(['paid', 'late']).toContain(r.outcome);
    await attempted(o.id);
    return o;
  }
  const dash = (c: ConsoleClient, query: string) => c.get(`/dashboard?${query}`);
  const storedDay = async (day: string) =>
    (await gw.services.db.kysely
      .selectFrom('dashboard_days')
      .select('day')
      .where('day', '=', china(`${day}T00:00:00`))
      .where('merchant_id', '=', 0)
      .executeTakeFirst()) !== undefined;

  beforeAll(async () => {
    receiver = await Receiver.start();
    // A failed attempt is retried in an hour: with the clock standing still it stays pending.
    gw = await startTestGateway({ clock, env: { NOTIFY_RETRY_SCHEDULE: '3600' } });
    op = await operatorClient(gw);
    a = await addShop(gw, 'dash-tea', receiver.url);
    b = await addShop(gw, 'dash-noodles', receiver.url);

    // Three days ago: paid after a minute, one expired, one unpaid (paid later by a backlog), a
    // payment nobody's.
    ids.e = (await paidOrder(a, 3000, '2026-03-07T10:00:00', '2026-03-07T10:01:00')).id;
    ids.f = (await at('2026-03-07T11:00:00', () => order(gw.services, a.merchant, { price: 4000 }))).id;
    const g = await at('2026-03-07T12:00:00', () => order(gw.services, a.merchant, { price: 5000 }));
    ids.g = g.id;
    const u1 = await at('2026-03-07T13:00:00', () =>
      report(gw.services, { accountId: a.alipay, cents: 4444, paidAt: china('2026-03-07T13:00:00') }),
    );
    expect(u1.outcome).toBe('unmatched');
    oldUnmatched = u1.paymentId;
    // Two days ago: paid, but its notification is still retrying.
    ids.k = (await paidOrder(a, 6000, '2026-03-08T09:00:00', '2026-03-08T09:00:30', true)).id;

    // Today: paid after 2 min (its notification failing), 5 min and 7 min (late), expired, open,
    // an unmatched payment, a test order paid, and the other shop's order.
    ids.a = (await paidOrder(a, 1000, `${TODAY}T14:00:00`, `${TODAY}T14:02:00`, true)).id;
    ids.h = (await paidOrder(a, 1800, `${TODAY}T14:20:00`, `${TODAY}T14:25:00`)).id;
    ids.d = (await paidOrder(a, 2500, `${TODAY}T12:00:00`, `${TODAY}T12:07:00`)).id;
    await at(`${TODAY}T13:00:00`, () => order(gw.services, a.merchant, { price: 2000 }));
    await at(`${TODAY}T14:58:00`, () => order(gw.services, a.merchant, { price: 1500 }));
    await at(`${TODAY}T13:30:00`, () =>
      report(gw.services, {
        accountId: a.wechat,
        type: 'wechat',
        cents: 5555,
        paidAt: china(`${TODAY}T13:30:00`),
      }),
    );
    const test: Order = await at(`${TODAY}T14:30:00`, async () => {
      const { order: o } = await gw.services.orders.create({
        merchant: a.merchant,
        kind: 'anypay',
        type: 'alipay',
        pricing: { by: 'amount', priceCents: 99_900 },
        outOrderId: '',
        custom: '',
        fingerprint: 'test',
        test: true,
      });
      return o;
    });
    // Its notification fails too: still neither in the totals nor among the failing ones.
    receiver.next('http-500');
    await at(`${TODAY}T14:31:00`, () => gw.services.payments.simulateForOrder(test.id));
    await attempted(test.id);
    ids.test = test.id;
    await paidOrder(b, 9900, `${TODAY}T10:00:00`, `${TODAY}T10:00:10`);
    // The expirer runs on its own timer; the figures do not depend on it having run.
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await receiver?.close();
  });

  it("sums today's figures of a merchant, leaving the test order out", async () => {
    const r = await dash(a.client, 'period=today');
    expect(r.status).toBe(200);
    const t = r.body.totals;
    expect(t).toMatchObject({
      received: '53.00',
      paid_orders: 3,
      created_orders: 5,
      conversion: 0.6,
      late_payments: 1,
      unmatched_payments: 1,
      unmatched_amount: '55.55',
      notifications: { delivered: 2, failed: 0, pending: 1, success_rate: 1 },
    });
    // 2, 5 and 7 minutes: the median is 5 minutes (to within its 5-second bucket).
    expect(t.median_pay_ms).toBeGreaterThanOrEqual(5 * MIN);
    expect(t.median_pay_ms).toBeLessThan(5 * MIN + 5000);
    expect(r.body.merchant_id).toBe(a.merchant.id);
    expect(r.body.from).toBe(china(`${TODAY}T00:00:00`));

    // Per hour, per account: 12:07 → 25.00, 14:02 and 14:25 → 28.00 on the Alipay account.
    const { chart } = r.body;
    expect(chart.unit).toBe('hour');
    expect(chart.buckets).toHaveLength(24);
    expect(chart.buckets[14]).toBe(china(`${TODAY}T14:00:00`));
    expect(chart.series).toHaveLength(1);
    expect(chart.series[0]).toMatchObject({ account_id: a.alipay, name: 'dash-tea Alipay', type: 'alipay' });
    expect(chart.series[0].amounts[12]).toBe('25.00');
    expect(chart.series[0].amounts[14]).toBe('28.00');
    expect(chart.series[0].amounts[13]).toBe('0.00');

    // Failing now: the 14:02 order's notification, retrying; not the other shop's.
    expect(r.body.failing.count).toBe(2); // the one from two days ago too
    expect(r.body.failing.latest.map((f: any) => f.order_id)).toEqual([ids.a, ids.k]);
    expect(r.body.failing.latest[0]).toMatchObject({ state: 'pending', attempts: 1 });
  });

  it('buckets durations in SQL exactly as in code', async () => {
    for (const ms of [
      0,
      999,
      1000,
      59_999,
      60_000,
      64_999,
      599_999,
      600_000,
      3599_999,
      3600_000,
      86_399_999,
      DAY,
      9 * DAY,
    ]) {
      const { rows } = await sql<{
        b: number;
      }>`select ${sql.raw(payTimeBucketSql('x.d'))} as b from (select ${sql.lit(ms)} as d) x`.execute(
        gw.services.db.kysely,
      );
      expect(Number(rows[0]?.b), `${ms} ms`).toBe(payTimeBucket(ms));
    }
  });

  it('counts monitors online now', async () => {
    let r = await dash(a.client, 'period=today');
    expect(r.body.monitors).toMatchObject({ online: 0, total: 2 });
    await gw.services.accounts.heartbeat([a.alipay], clock.now());
    r = await dash(a.client, 'period=today');
    expect(r.body.monitors.online).toBe(1);
    expect(r.body.monitors.accounts.map((x: any) => [x.id, x.online])).toEqual([
      [a.wechat, false],
      [a.alipay, true],
    ]);
  });

  it('adds up the last 7 business days from stored days and today, and stores only final days', async () => {
    const r = await dash(a.client, 'period=7d');
    expect(r.status).toBe(200);
    expect(r.body.totals).toMatchObject({
      received: '143.00', // + 30.00 (03-07) + 60.00 (03-08)
      paid_orders: 5,
      created_orders: 9,
      late_payments: 1,
      unmatched_payments: 2,
      unmatched_amount: '99.99',
      notifications: { delivered: 3, failed: 0, pending: 2 },
    });
    expect(r.body.chart.unit).toBe('day');
    expect(r.body.chart.buckets).toHaveLength(7);
    expect(r.body.chart.buckets[0]).toBe(china('2026-03-04T00:00:00'));
    expect(r.body.chart.series[0].amounts.slice(3)).toEqual(['30.00', '60.00', '0.00', '53.00']);
    // 03-07 is final and stored; 03-08 still has a notification retrying.
    expect(await storedDay('2026-03-07')).toBe(true);
    expect(await storedDay('2026-03-08')).toBe(false);
    expect(await storedDay(TODAY)).toBe(false);
    // The same answer from the store.
    expect((await dash(a.client, 'period=7d')).body.totals).toEqual(r.body.totals);
  });

  it('sees a day change once its last pending notification is settled', async () => {
    // The retry succeeded (the dispatcher's own retry: no audit entry, no new payment).
    await gw.services.db.kysely
      .updateTable('notifications')
      .set({ state: 'delivered', delivered_at: NOW })
      .where('order_id', '=', ids.k as number)
      .execute();
    const r = await dash(a.client, 'period=7d');
    expect(r.body.totals.notifications).toMatchObject({ delivered: 4, pending: 1 });
    expect(await storedDay('2026-03-08')).toBe(true);
  });

  it('takes a backlog payment for a stored day into account', async () => {
    expect(await storedDay('2026-03-07')).toBe(true);
    // A phone that was offline for days reports the payment for G now.
    const r = await report(gw.services, {
      accountId: a.alipay,
      cents: 5000,
      paidAt: china('2026-03-07T12:03:00'),
    });
    expect(r).toMatchObject({ outcome: 'paid', orderId: ids.g });
    await attempted(ids.g as number);
    const d = await dash(a.client, 'period=7d');
    expect(d.body.totals).toMatchObject({ received: '193.00', paid_orders: 6, created_orders: 9 });
    expect(d.body.chart.series[0].amounts[3]).toBe('80.00');
  });

  it("takes an operator's attach to an old order into account", async () => {
    // Past the scan margin of the backlog payment, so only the attach can tell the day changed.
    clock.nowMs = NOW + 5 * MIN;
    try {
      await dash(a.client, 'period=7d');
      await dash(a.client, 'period=7d');
      expect(await storedDay('2026-03-07')).toBe(true);
      await gw.services.payments.attach(oldUnmatched, ids.f as number, { actor: 'console:boss@example.com' });
      await attempted(ids.f as number);
    } finally {
      clock.nowMs = NOW;
    }
    const d = await dash(a.client, 'period=7d');
    expect(d.body.totals).toMatchObject({
      received: '233.00',
      paid_orders: 7,
      late_payments: 2,
      unmatched_payments: 1,
      unmatched_amount: '55.55',
    });
  });

  it('shows an operator every merchant, or the one it picks', async () => {
    const all = await dash(op, 'period=today');
    expect(all.status).toBe(200);
    expect(all.body.merchant_id).toBeNull();
    expect(all.body.totals).toMatchObject({ received: '152.00', paid_orders: 4, created_orders: 6 });
    expect(all.body.chart.series.map((s: any) => s.account_id)).toEqual([b.alipay, a.alipay]);
    const onlyB = await dash(op, `period=30d&merchant_id=${b.merchant.id}`);
    expect(onlyB.body.totals).toMatchObject({ received: '99.00', paid_orders: 1, created_orders: 1 });
    expect(onlyB.body.monitors.total).toBe(2);
    expect((await dash(op, 'period=today&merchant_id=9999')).status).toBe(404);
  });

  it("refuses a merchant user another merchant's dashboard, and bad periods", async () => {
    const other = await dash(a.client, `period=today&merchant_id=${b.merchant.id}`);
    expect(other.status).toBe(404);
    expect(other.body).toEqual({ error: 'not_found', message: 'Not found.' });
    const own = await dash(a.client, `period=today&merchant_id=${a.merchant.id}`);
    expect(own.status).toBe(200);
    const bad = await dash(a.client, 'period=1y');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_input');
    const anonymous = await fetch(`${gw.url}/admin/api/dashboard`);
    expect(anonymous.status).toBe(401);
  });

  it('reads the 30 days again the same way after the store is thrown away', async () => {
    const before = (await dash(op, 'period=30d')).body;
    await gw.services.db.kysely.deleteFrom('dashboard_days').execute();
    await gw.services.db.kysely.deleteFrom('dashboard_pay_times').execute();
    const again = (await dash(op, 'period=30d')).body;
    expect(again.totals).toEqual(before.totals);
    expect(again.chart).toEqual(before.chart);
    expect(again.totals.received).toBe('332.00');
  });

  it('moves to the next day at midnight China time', async () => {
    clock.nowMs = china('2026-03-11T00:30:00');
    try {
      const r = await dash(a.client, 'period=today');
      expect(r.body.from).toBe(china('2026-03-11T00:00:00'));
      expect(r.body.totals).toMatchObject({
        received: '0.00',
        paid_orders: 0,
        created_orders: 0,
        conversion: null,
      });
      expect(r.body.totals.notifications.success_rate).toBeNull();
      expect(r.body.totals.median_pay_ms).toBeNull();
      // 03-10 is not final yet (holds may still run): read from the orders, not stored.
      const week = await dash(a.client, 'period=7d');
      expect(week.body.chart.series[0].amounts[5]).toBe('53.00');
      expect(await storedDay(TODAY)).toBe(false);
    } finally {
      clock.nowMs = NOW;
    }
  });

  it('does not store a day computed before a change that was seen meanwhile (a request slower than the scan margin)', async () => {
    const x = await at('2026-03-05T10:00:00', () => order(gw.services, a.merchant, { price: 7000 }));
    await gw.services.db.kysely
      .deleteFrom('dashboard_days')
      .where('day', '=', china('2026-03-05T00:00:00'))
      .execute();
    const T = china('2026-03-11T01:00:00');
    clock.nowMs = T;
    const svc = gw.services.dashboard as unknown as { computeDay(day: number): Promise<unknown> };
    const compute = svc.computeDay.bind(svc);
    let fired = false;
    svc.computeDay = async (day: number) => {
      const figures = await compute(day);
      if (day === china('2026-03-05T00:00:00') && !fired) {
        fired = true;
        // While this request is slow: the backlog payment for X arrives and is seen by another
        // request; a third, past the scan margin, no longer looks that far back.
        const r = await report(gw.services, {
          accountId: a.alipay,
          cents: 7000,
          paidAt: china('2026-03-05T10:01:00'),
        });
        expect(r).toMatchObject({ outcome: 'paid', orderId: x.id });
        clock.nowMs = T + 2 * MIN;
        await dash(a.client, 'period=today');
        clock.nowMs = T + 4 * MIN;
        await dash(a.client, 'period=today');
      }
      return figures;
    };
    try {
      await dash(a.client, 'period=7d');
      expect(fired).toBe(true);
      const week = await dash(a.client, 'period=7d');
      expect(week.body.chart.series[0].amounts[0]).toBe('70.00');
    } finally {
      svc.computeDay = compute;
      clock.nowMs = NOW;
    }
  });

  it('takes a requeue of failed notifications into account on days already stored', async () => {
    // Both attempts of its notification fail: it ends failed.
    receiver.next('http-500', 'http-500');
    const m = await at('2026-03-06T09:00:00', () => order(gw.services, a.merchant, { price: 8800 }));
    await at('2026-03-06T09:01:00', () =>
      report(gw.services, {
        accountId: m.accountId,
        cents: m.realpriceCents,
        paidAt: china('2026-03-06T09:01:00'),
      }),
    );
    await attempted(m.id);
    // 03-06 was stored before this test wrote into its past (which only a test clock can do).
    await gw.services.db.kysely
      .deleteFrom('dashboard_days')
      .where('day', '=', china('2026-03-06T00:00:00'))
      .execute();
    clock.nowMs = china('2026-03-11T02:00:00');
    try {
      for (let i = 0; i < 500 && (await notification(m.id))?.state !== 'failed'; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect((await notification(m.id))?.state).toBe('failed');
      const figures = async () => (await dash(a.client, 'period=7d')).body.totals.notifications;
      const before = await figures();
      expect(before.failed).toBe(1);
      expect(await storedDay('2026-03-06')).toBe(true);
      // The shop fixed its endpoint and sent every failing notification again.
      const r = await a.client.post('/notifications/resend-failing', {});
      expect(r.status).toBe(200);
      expect(r.body.failed).toBe(1);
      const after = await figures();
      expect(after.failed).toBe(0);
      expect(after.delivered + after.pending).toBe(before.delivered + before.pending + 1);
    } finally {
      clock.nowMs = NOW;
    }
  });
});
