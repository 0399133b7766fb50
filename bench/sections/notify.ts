import { join } from 'node:path';
import type { ChildServer } from '../lib/child.js';
import { dropQueryStats, reportQueryStats, startPushGateway } from '../lib/gateway-child.js';
import { decimal, MonitorConnection } from '../lib/monitor-client.js';
import {
  createDatabase,
  insertAccounts,
  insertNotifyBacklog,
  insertOpenOrders,
  notificationStats,
} from '../lib/provision.js';
import { NotifyReceiver } from '../lib/receiver.js';
import { cpuWindow, loadNote, logRow, percentile, rowOf, settle, sleep, Tally } from '../lib/sampling.js';
import type { BenchContext, Check, Row, Section } from '../lib/types.js';

/** Aims of the push-network issue. */
export const NOTIFY_P99_MS = 20;
export const NOTIFY_MIN_RATE = 2000;
export const STUCK_NEIGHBOUR_FACTOR = 2;

/** Payments reported before the measured ones (JIT, statement caches, connections). */
const WARMUP_PAYMENTS = 40;
/** The gateway's default per-host cap: how many attempts a hanging merchant ties up. */
const PER_HOST_CAP = 16;

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.round(n)));

/** Sequential payments measured: 50 per second of BENCH_DURATION, 100…500. */
const sequentialCount = (ctx: BenchContext) => clamp(ctx.options.duration * 50, 100, 500);

/**
 * Payment report → merchant notification, one payment at a time on an otherwise idle gateway:
 * each payment is reported through the monitor API (signed, one item) and the clock runs from
 * just before the request is sent until the merchant's endpoint in this process has read the
 * notification. With `stuckBacklog`, a second merchant whose endpoint never answers has that many
 * notifications due, so the dispatcher is busy with it throughout.
 */
async function paymentToNotification(
  ctx: BenchContext,
  fast: NotifyReceiver,
  opts: { id: string; scenario: string; stuckBacklog: number },
): Promise<Row> {
  const n = sequentialCount(ctx);
  const stuck = opts.stuckBacklog > 0 ? await NotifyReceiver.start('hang') : null;
  let server: ChildServer | null = null;
  let monitor: MonitorConnection | null = null;
  try {
    const dbPath = join(ctx.tmpDir, `${opts.id}.db`);
    const merchants = await createDatabase(dbPath, [
      { name: 'Healthy shop', notifyUrl: fast.url, returnUrl: fast.returnUrl },
      ...(stuck ? [{ name: 'Stuck shop', notifyUrl: stuck.url, returnUrl: stuck.returnUrl }] : []),
    ]);
    const healthy = merchants[0]!;
    fast.reset();
    fast.trust(healthy);
    const accounts = insertAccounts(dbPath, [
      { merchantId: healthy.id, type: 'alipay' },
      { merchantId: healthy.id, type: 'wechat' },
      ...(stuck ? [{ merchantId: merchants[1]!.id, type: 'alipay' as const }] : []),
    ]);
    const orders = insertOpenOrders(
      dbPath,
      healthy,
      Array.from({ length: WARMUP_PAYMENTS + n }, (_, i) => ({ account: accounts[i % 2]!, cents: 1000 + i })),
      'N',
    );
    if (stuck) insertNotifyBacklog(dbPath, merchants[1]!, accounts[2]!, opts.stuckBacklog, 'S');

    // The stuck merchant's failed attempts are logged as warnings; keep them off the bench output.
    server = await startPushGateway(ctx, dbPath, opts.id, stuck ? { LOG_LEVEL: 'error' } : {});
    monitor = new MonitorConnection(server.url);
    let hung = 0;
    if (stuck) {
      await stuck.waitForRequests(PER_HOST_CAP, 10_000);
      hung = stuck.received;
    }

    const reportMs: number[] = [];
    const pay = async (i: number, tally: Tally | null) => {
      const o = orders[i]!;
      const item = {
        id: `pay-${o.id}`,
        type: o.account.type,
        amount: decimal(o.cents),
        paid_at: Math.floor(Date.now() / 1000),
      };
      const notified = fast.waitFor(o.id, 5000);
      const t0 = performance.now();
      const [answer, arrival] = await Promise.allSettled([
        monitor!.report(o.account, [item]).then((a) => ({ ...a, at: performance.now() })),
        notified,
      ]);
      if (!tally) return;
      if (answer.status === 'fulfilled') {
        reportMs.push(answer.value.at - t0);
        if (answer.value.status !== 200 || !answer.value.body.includes('"result":"matched"')) {
          tally.wrong(String(answer.value.status), answer.value.body);
        }
      } else {
        tally.failed(`report: ${(answer.reason as Error).message}`);
      }
      if (arrival.status === 'fulfilled') tally.ok(arrival.value - t0, arrival.value);
      else tally.failed((arrival.reason as Error).message);
    };

    for (let i = 0; i < WARMUP_PAYMENTS; i++) await pay(i, null);
    await settle(ctx);
    await dropQueryStats(server);
    const tally = new Tally();
    const win = cpuWindow(server);
    const startedAt = performance.now();
    const deadline = startedAt + 60_000;
    for (let i = WARMUP_PAYMENTS; i < orders.length && performance.now() < deadline; i++) await pay(i, tally);
    const cpu = win.end();
    await reportQueryStats(ctx, server, opts, tally.count);

    const notes = [
      `${tally.count} payments one after another, each reported through POST /monitor/v1/payments; ` +
        `the report's own answer took p50 ${percentile(reportMs, 0.5).toFixed(1)} ms, p99 ${percentile(reportMs, 0.99).toFixed(1)} ms`,
      `req/s column: payments per second of the sequential run (not a throughput figure)`,
    ];
    if (fast.repeats > 0 || fast.badSigns > 0)
      notes.push(`receiver: ${fast.repeats} repeated, ${fast.badSigns} with a bad md5 sign`);
    if (stuck) {
      const s = notificationStats(dbPath, merchants[1]!.id);
      notes.push(
        `stuck merchant: ${opts.stuckBacklog} notifications due, ${hung} requests hanging before the run ` +
          `(per-host cap ${PER_HOST_CAP}), ${stuck.received} received by the end; its rows then: ${JSON.stringify(s.states)}`,
      );
    }
    notes.push(loadNote());
    const row = rowOf({ ...opts, section: 'notify', tally, cpu, startedAt, notes });
    logRow(ctx, row, 'payments/s');
    ctx.record('notify', { [opts.id]: { payments: tally.count, reportP99Ms: percentile(reportMs, 0.99) } });
    return row;
  } finally {
    await monitor?.close();
    // Cut the hanging requests first so the gateway's shutdown does not wait for their timeout.
    await stuck?.close();
    await server?.stop();
  }
}

/**
 * Delivery throughput: `n` paid orders with their notifications pending are written before the
 * gateway starts; it then delivers them to one fast endpoint answering `success`. Rate = distinct
 * notifications received over the time from the first to the last.
 */
async function deliveryThroughput(ctx: BenchContext): Promise<Row> {
  const n = clamp(ctx.options.duration * 1000, 2000, 20_000);
  const id = 'notify.throughput';
  const scenario = `notify throughput: ${n.toLocaleString('en')} due notifications → one endpoint`;
  const recv = await NotifyReceiver.start('success');
  let server: ChildServer | null = null;
  try {
    const dbPath = join(ctx.tmpDir, 'notify-throughput.db');
    const [shop] = await createDatabase(dbPath, [
      { name: 'Busy shop', notifyUrl: recv.url, returnUrl: recv.returnUrl },
    ]);
    recv.trust(shop!);
    const [account] = insertAccounts(dbPath, [{ merchantId: shop!.id, type: 'alipay' }]);
    const t0 = performance.now();
    insertNotifyBacklog(dbPath, shop!, account!, n, 'T');
    ctx.log(
      `  ${n.toLocaleString('en')} paid orders with pending notifications written in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    await settle(ctx);

    // The dispatcher starts inside startGateway, before the child reports ready.
    server = await startPushGateway(ctx, dbPath, id);
    const readyAt = performance.now();
    const before = recv.distinct;
    const win = cpuWindow(server);
    const boundS = clamp(ctx.options.duration * 4, 15, 45);
    const all = await recv.waitForDistinct(n, boundS * 1000);
    const cpu = win.end();
    await reportQueryStats(ctx, server, { id, scenario }, recv.distinct - before);

    // The last rows are marked delivered just after their answer: give them a moment.
    let stats = notificationStats(dbPath, shop!.id);
    for (let i = 0; i < 50 && (stats.states.delivered ?? 0) < recv.distinct; i++) {
      await sleep(100);
      stats = notificationStats(dbPath, shop!.id);
    }
    const tally = new Tally();
    tally.latencies.push(...stats.attemptMs);
    const spanMs = recv.lastAt - recv.firstAt;
    const rate = spanMs > 0 ? ((recv.distinct - 1) / spanMs) * 1000 : 0;
    const failedAttempts = stats.attemptMs.length - (stats.states.delivered ?? 0);
    if (failedAttempts > 0) tally.wrong('attempt', `${failedAttempts} attempts did not deliver`);
    if (recv.repeats > 0) tally.wrong('repeat', `${recv.repeats} notifications arrived twice`);
    if (recv.badSigns > 0) tally.wrong('sign', `${recv.badSigns} notifications with a bad md5 sign`);
    const notes = [
      `req/s column: notifications delivered per second, first to last arrival (${(spanMs / 1000).toFixed(2)} s); ` +
        `${before} arrived before the child reported ready`,
      ...(all
        ? []
        : [
            `only ${recv.distinct.toLocaleString('en')} of ${n.toLocaleString('en')} delivered within the ${boundS} s bound ` +
              `(the rest were still due when the run stopped; not counted as errors)`,
          ]),
      `p50/p99: duration of each attempt as the dispatcher records it (request sent → answer read), ` +
        `with up to ${PER_HOST_CAP} in flight to the one host`,
      `rows after the run: ${JSON.stringify(stats.states)}; CPU µs per notification over the ready → last window`,
      loadNote(),
    ];
    const row = rowOf({
      id,
      section: 'notify',
      scenario,
      tally,
      cpu,
      startedAt: readyAt,
      rate,
      units: recv.distinct - before,
      notes,
    });
    // Per-second series of the arrivals after ready.
    const seconds = Math.max(1, Math.floor(cpu.wallMs / 1000));
    row.perSecond = new Array<number>(seconds).fill(0);
    recv.forEachArrival((at) => {
      const i = Math.floor((at - readyAt) / 1000);
      if (i >= 0 && i < seconds) row.perSecond[i] = (row.perSecond[i] ?? 0) + 1;
    });
    row.requests = recv.distinct;
    logRow(ctx, row, 'notifications/s');
    ctx.record('notify', {
      throughput: { notifications: n, received: recv.distinct, boundS, spanMs, states: stats.states },
    });
    return row;
  } finally {
    await server?.stop();
    await recv.close();
  }
}

/** Push network: how fast a payment reaches the merchant, alone, in bulk, and beside a stuck merchant. */
export const notify: Section = {
  name: 'notify',
  title: 'Push network (payment → merchant notification)',
  async run(ctx) {
    ctx.log('push network: payment → notification');
    const rows: Row[] = [];
    const fast = await NotifyReceiver.start('success');
    try {
      const parts: Array<[string, () => Promise<Row>]> = [
        [
          'notify.latency',
          () =>
            paymentToNotification(ctx, fast, {
              id: 'notify.latency',
              scenario: 'notify latency: payment report → merchant POST, sequential',
              stuckBacklog: 0,
            }),
        ],
        ['notify.throughput', () => deliveryThroughput(ctx)],
        [
          'notify.latency-stuck',
          () => {
            const backlog = clamp(ctx.options.duration * 200, 500, 5000);
            return paymentToNotification(ctx, fast, {
              id: 'notify.latency-stuck',
              scenario: `notify latency beside a stuck merchant (${backlog.toLocaleString('en')} due, endpoint hangs)`,
              stuckBacklog: backlog,
            });
          },
        ],
      ];
      for (const [where, part] of parts) {
        try {
          rows.push(await part());
        } catch (err) {
          ctx.fail(where, err);
        }
      }
    } finally {
      await fast.close();
    }
    return rows;
  },
  aims(rows: readonly Row[]): Check[] {
    const byId = new Map(rows.map((r) => [r.id, r]));
    const alone = byId.get('notify.latency');
    const bulk = byId.get('notify.throughput');
    const stuck = byId.get('notify.latency-stuck');
    const clean = (r: Row) =>
      r.non100 + r.errors === 0 ? '' : `, with ${r.non100} wrong / ${r.errors} errors`;
    return [
      {
        aim: `payment → notification p99 ≤ ${NOTIFY_P99_MS} ms on loopback, no other load`,
        measured: alone
          ? `p99 ${alone.p99Ms.toFixed(1)} ms, p50 ${alone.p50Ms.toFixed(1)} ms${clean(alone)}`
          : 'not run',
        pass: alone ? alone.p99Ms <= NOTIFY_P99_MS && alone.errors === 0 : null,
      },
      {
        aim: `notification throughput to a fast endpoint ≥ ${NOTIFY_MIN_RATE.toLocaleString('en')}/s`,
        measured: bulk ? `${Math.round(bulk.reqPerSec)}/s${clean(bulk)}` : 'not run',
        pass: bulk ? bulk.reqPerSec >= NOTIFY_MIN_RATE && bulk.errors === 0 : null,
      },
      {
        aim: `healthy merchant's p99 beside a stuck one within ${STUCK_NEIGHBOUR_FACTOR}× of the idle p99`,
        measured:
          alone && stuck
            ? `p99 ${stuck.p99Ms.toFixed(1)} ms vs ${alone.p99Ms.toFixed(1)} ms (${(stuck.p99Ms / alone.p99Ms).toFixed(2)}×)${clean(stuck)}`
            : 'needs both latency rows',
        pass:
          alone && stuck ? stuck.p99Ms <= STUCK_NEIGHBOUR_FACTOR * alone.p99Ms && stuck.errors === 0 : null,
      },
    ];
  },
};
