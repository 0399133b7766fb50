import { join } from 'node:path';
import type { ChildServer } from '../lib/child.js';
import { dropQueryStats, reportQueryStats, startPushGateway } from '../lib/gateway-child.js';
import {
  decimal,
  freshGet,
  javaPrice,
  type MonitorAccount,
  MonitorConnection,
  type PaymentItem,
  phoneAddress,
  vmqHeartPath,
  vmqPushPath,
} from '../lib/monitor-client.js';
import {
  type BenchMerchant,
  countPaid,
  createDatabase,
  insertAccounts,
  insertOpenOrders,
  type OpenOrder,
} from '../lib/provision.js';
import { NotifyReceiver } from '../lib/receiver.js';
import {
  cpuWindow,
  loadNote,
  logRow,
  percentile,
  rowOf,
  runWorkers,
  settle,
  Tally,
} from '../lib/sampling.js';
import type { BenchContext, Check, Row, Section } from '../lib/types.js';

/** Aim of the payment-detection issue: a V免签 push answered in under this, p99. */
export const VMQ_PUSH_P99_MS = 5;

/** Paired accounts in the database (every one with the V免签 protocol on). */
const ACCOUNTS = 10_000;
const MERCHANTS = 100;
const PER_TYPE = ACCOUNTS / MERCHANTS / 2;
const BATCH = 100;
/** Monitors reporting side by side through the monitor API, each on its own connection. */
const API_MONITORS = 4;
/** Phones already known at their address (heartbeat sent) for the hinted push rows. */
const PHONES = 200;

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.round(n)));
const ok = (body: string) => body.startsWith('{"code":1,');

interface Fixture {
  dbPath: string;
  merchants: BenchMerchant[];
  /** Accounts with no orders: whatever is reported on them is kept unmatched. */
  idle: MonitorAccount[];
  /** Batches of 100 open orders, each batch on one alipay account of merchant 0. */
  apiBatches: OpenOrder[][];
  /** Open orders on the wechat accounts of merchant 0, accounts interleaved. */
  vmqOrders: OpenOrder[];
  /** merchant 0's wechat accounts, the phones of the matched V免签 row. */
  vmqMatchPhones: MonitorAccount[];
}

/**
 * 10,000 receiving accounts over 100 merchants (50 alipay + 50 wechat each), in bulk. Merchant 0
 * also has open orders: batches for the monitor API on its alipay accounts, single orders for
 * V免签 pushes on its wechat accounts. Every merchant notifies `recv`.
 */
async function provision(ctx: BenchContext, recv: NotifyReceiver): Promise<Fixture> {
  const t0 = performance.now();
  const dbPath = join(ctx.tmpDir, 'monitor.db');
  const merchants = await createDatabase(
    dbPath,
    Array.from({ length: MERCHANTS }, (_, m) => ({
      name: `Shop ${m}`,
      notifyUrl: recv.url,
      returnUrl: recv.returnUrl,
    })),
  );
  recv.trust(merchants[0]!);
  const specs = merchants.flatMap((m) =>
    (['alipay', 'wechat'] as const).flatMap((type) =>
      Array.from({ length: PER_TYPE }, () => ({ merchantId: m.id, type })),
    ),
  );
  const accounts = insertAccounts(dbPath, specs);
  const own = accounts.filter((a) => a.merchantId === merchants[0]!.id);
  const alipay = own.filter((a) => a.type === 'alipay');
  const wechat = own.filter((a) => a.type === 'wechat');

  // The matched rows run until their orders are used up: each paid order also sends a merchant
  // notification, and these pools keep that backlog to what the gateway delivers in seconds.
  const apiOrders = clamp(ctx.options.duration * 300, 1000, 4000);
  // Batch k is on account k mod 50 (consecutive batches on different accounts, so monitors side
  // by side report different accounts), amounts 1.00, 1.01, … per account.
  const batchCount = Math.ceil(apiOrders / BATCH);
  const apiSpecs = Array.from({ length: batchCount }, (_, k) =>
    Array.from({ length: BATCH }, (_, j) => ({
      account: alipay[k % alipay.length]!,
      cents: 100 + Math.floor(k / alipay.length) * BATCH + j,
    })),
  ).flat();
  const api = insertOpenOrders(dbPath, merchants[0]!, apiSpecs, 'A');
  const apiBatches: OpenOrder[][] = [];
  for (let i = 0; i < api.length; i += BATCH) apiBatches.push(api.slice(i, i + BATCH));

  const vmqCount = clamp(ctx.options.duration * 100, 500, 2000);
  const perPhone = Math.ceil(vmqCount / wechat.length);
  const vmqSpecs: Array<{ account: MonitorAccount; cents: number }> = [];
  for (let k = 0; k < perPhone; k++) for (const account of wechat) vmqSpecs.push({ account, cents: 100 + k });
  const vmqOrders = insertOpenOrders(dbPath, merchants[0]!, vmqSpecs, 'V');

  ctx.log(
    `  ${accounts.length.toLocaleString('en')} accounts, ${api.length.toLocaleString('en')} + ` +
      `${vmqOrders.length.toLocaleString('en')} open orders written in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return {
    dbPath,
    merchants,
    idle: accounts.filter((a) => a.merchantId !== merchants[0]!.id),
    apiBatches,
    vmqOrders,
    vmqMatchPhones: wechat,
  };
}

/** A strictly increasing 13-digit `t` a little in the past: every push is a new one. */
function pushClock() {
  let last = 0;
  return () => (last = Math.max(Date.now() - 5000, last + 1));
}

/** A random amount of 0.01…999.99 (on an account without orders it stays unmatched). */
const randomCents = () => 1 + Math.floor(Math.random() * 99_999);

/** Shuffles in place (Fisher–Yates). */
function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

interface Window {
  tally: Tally;
  startedAt: number;
  end(): ReturnType<ReturnType<typeof cpuWindow>['end']>;
}

async function openWindow(ctx: BenchContext, server: ChildServer): Promise<Window> {
  await settle(ctx);
  await dropQueryStats(server);
  const win = cpuWindow(server);
  return { tally: new Tally(), startedAt: performance.now(), end: () => win.end() };
}

/** Monitor API: batches of 100 payments from API_MONITORS monitors side by side. */
async function apiBatches(
  ctx: BenchContext,
  server: ChildServer,
  fx: Fixture,
  recv: NotifyReceiver,
  matched: boolean,
): Promise<Row> {
  const id = matched ? 'monitor.api-batch-matched' : 'monitor.api-batch';
  const scenario = matched
    ? `monitor API, batches of ${BATCH}, each paying an open order`
    : `monitor API, batches of ${BATCH}, unmatched payments`;
  const monitors = Array.from({ length: API_MONITORS }, () => new MonitorConnection(server.url));
  let seq = 0;
  let nextBatch = 0;
  const expect = matched ? 'matched' : 'unmatched';
  const send = async (w: number, tally: Tally | null): Promise<boolean> => {
    let account: MonitorAccount;
    let items: PaymentItem[];
    const paidAt = Math.floor(Date.now() / 1000);
    if (matched) {
      const batch = fx.apiBatches[nextBatch++];
      if (!batch) return false;
      account = batch[0]!.account;
      items = batch.map((o) => ({
        id: `m${o.id}`,
        type: account.type,
        amount: decimal(o.cents),
        paid_at: paidAt,
      }));
    } else {
      account = fx.idle[(seq * 7 + w) % fx.idle.length]!;
      const s = seq++;
      items = Array.from({ length: BATCH }, (_, j) => ({
        id: `u${s}-${j}`,
        type: account.type,
        amount: decimal(randomCents()),
        paid_at: paidAt,
      }));
    }
    const t0 = performance.now();
    try {
      const answer = await monitors[w]!.report(account, items);
      const at = performance.now();
      if (!tally) return true;
      const results =
        answer.status === 200 ? (JSON.parse(answer.body).results as Array<{ result: string }>) : [];
      const wrong = results.filter((r) => r.result !== expect).length;
      if (answer.status !== 200 || results.length !== BATCH || wrong > 0) {
        tally.wrong(String(answer.status), `${wrong} of ${results.length} not ${expect}: ${answer.body}`);
      } else tally.ok(at - t0, at);
    } catch (err) {
      tally?.failed((err as Error).message);
    }
    return true;
  };
  try {
    recv.reset();
    // Warm-up: a few requests only when they use up prepared orders.
    await runWorkers(
      API_MONITORS,
      { durationS: ctx.options.warmup, maxCount: matched ? API_MONITORS : 1000 },
      (w) => send(w, null),
    );
    const win = await openWindow(ctx, server);
    await runWorkers(API_MONITORS, { durationS: ctx.options.duration, maxCount: 100_000 }, (w) =>
      send(w, win.tally),
    );
    const cpu = win.end();
    const payments = win.tally.count * BATCH;
    await reportQueryStats(ctx, server, { id, scenario }, payments);
    const notes = [
      `req/s column: payments per second (${(win.tally.count / (cpu.wallMs / 1000)).toFixed(0)} requests/s); ` +
        `p50/p99: one request of ${BATCH}; ${API_MONITORS} monitors, one keep-alive connection each; CPU µs per payment`,
    ];
    if (matched) {
      // Warm-up included: every batch taken from the pool paid its orders.
      const used = Math.min(nextBatch, fx.apiBatches.length) * BATCH;
      notes.push(
        nextBatch >= fx.apiBatches.length
          ? `ran until all ${used.toLocaleString('en')} prepared orders were paid`
          : `${used.toLocaleString('en')} of ${(fx.apiBatches.length * BATCH).toLocaleString('en')} prepared orders paid`,
      );
      // The merchant notifications go out meanwhile; let them finish before the next row.
      const drainStart = performance.now();
      const drained = await recv.waitForDistinct(used, 30_000);
      notes.push(
        `${recv.distinct.toLocaleString('en')} of ${used.toLocaleString('en')} merchant notifications received ` +
          `(warm-up included), the last ${((performance.now() - drainStart) / 1000).toFixed(1)} s after the last report` +
          (drained ? '' : ' (gave up waiting)'),
      );
    }
    notes.push(loadNote());
    const row = rowOf({
      id,
      section: 'monitor',
      scenario,
      tally: win.tally,
      cpu,
      startedAt: win.startedAt,
      rate: payments / (cpu.wallMs / 1000),
      units: payments,
      notes,
    });
    logRow(ctx, row, 'payments/s');
    return row;
  } finally {
    await Promise.all(monitors.map((m) => m.close()));
  }
}

/** One V免签 push on a fresh connection, as the app sends it, from `address` (null: this process's). */
async function push(
  origin: URL,
  account: MonitorAccount,
  address: string | null,
  cents: number,
  t: number,
  tally: Tally | null,
): Promise<void> {
  const t0 = performance.now();
  try {
    const answer = await freshGet(
      origin,
      vmqPushPath(account.key, account.type, javaPrice(cents), t),
      address,
    );
    const at = performance.now();
    if (!tally) return;
    if (answer.status === 200 && ok(answer.body)) tally.ok(at - t0, at);
    else tally.wrong(String(answer.status), answer.body);
  } catch (err) {
    tally?.failed((err as Error).message);
  }
}

/** Heartbeats from each phone's own address: afterwards the gateway knows who signs from where. */
async function heartbeats(
  ctx: BenchContext,
  origin: URL,
  phones: ReadonlyArray<{ account: MonitorAccount; address: string }>,
  nextT: () => number,
): Promise<number[]> {
  const ms: number[] = [];
  let bad = 0;
  await runWorkers(4, { durationS: 120, maxCount: phones.length }, async (_w, i) => {
    const p = phones[i]!;
    const t0 = performance.now();
    const answer = await freshGet(origin, vmqHeartPath(p.account.key, nextT()), p.address).catch(
      (err: Error) => ({ status: 0, body: err.message }),
    );
    ms.push(performance.now() - t0);
    if (!ok(answer.body)) bad++;
    return true;
  });
  if (bad > 0) ctx.log(`  ${bad} of ${phones.length} heartbeats refused`);
  return ms;
}

/** The V免签 rows: hinted pushes alone and under load, first contact, and pushes paying orders. */
async function vmqRows(
  ctx: BenchContext,
  server: ChildServer,
  fx: Fixture,
  recv: NotifyReceiver,
): Promise<Row[]> {
  const origin = new URL(server.url);
  const nextT = pushClock();
  const pool = shuffle([...fx.idle]);
  const phones = pool.slice(0, PHONES).map((account, i) => ({ account, address: phoneAddress(i) }));
  const strangers = pool.slice(PHONES);
  const matchPhones = fx.vmqMatchPhones.map((account, i) => ({ account, address: phoneAddress(1000 + i) }));
  const hb0 = performance.now();
  const firstBeats = await heartbeats(ctx, origin, [...phones, ...matchPhones], nextT);
  ctx.log(
    `  ${firstBeats.length} phones sent their first heartbeat (each a scan of ${ACCOUNTS.toLocaleString('en')} keys) in ` +
      `${((performance.now() - hb0) / 1000).toFixed(1)} s: p50 ${percentile(firstBeats, 0.5).toFixed(1)} ms, ` +
      `p99 ${percentile(firstBeats, 0.99).toFixed(1)} ms, 4 at a time`,
  );
  const rows: Row[] = [];
  const loaded = clamp(ctx.options.connections, 1, 8);

  const hinted = async (id: string, scenario: string, workers: number): Promise<Row> => {
    const one = (tally: Tally | null) => async (_w: number, i: number) => {
      const p = phones[i % phones.length]!;
      await push(origin, p.account, p.address, randomCents(), nextT(), tally);
      return true;
    };
    await runWorkers(workers, { durationS: ctx.options.warmup, maxCount: 2000 }, one(null));
    const win = await openWindow(ctx, server);
    await runWorkers(workers, { durationS: ctx.options.duration, maxCount: 200_000 }, one(win.tally));
    const cpu = win.end();
    await reportQueryStats(ctx, server, { id, scenario }, win.tally.count);
    const row = rowOf({
      id,
      section: 'monitor',
      scenario,
      tally: win.tally,
      cpu,
      startedAt: win.startedAt,
      notes: [
        `${phones.length} phones (random accounts of the ${ACCOUNTS.toLocaleString('en')}), each at its own address ` +
          `(X-Forwarded-For) where it had sent a heartbeat; a fresh connection per push, as the app does; ` +
          `${workers} in flight; amounts match no order (kept unmatched)`,
        loadNote(),
      ],
    });
    const slow = win.tally.latencies.filter((ms) => ms >= VMQ_PUSH_P99_MS).length;
    row.notes.splice(1, 0, `${slow} of ${win.tally.count} pushes took ${VMQ_PUSH_P99_MS} ms or more`);
    logRow(ctx, row, 'pushes/s');
    return row;
  };

  rows.push(await hinted('monitor.vmq-seq', 'V免签 push, phone known at its address, one at a time', 1));
  rows.push(
    await hinted('monitor.vmq-load', `V免签 push, phone known at its address, ${loaded} in flight`, loaded),
  );

  {
    const id = 'monitor.vmq-first';
    const scenario = `V免签 push, first from this client's address (scan of ${ACCOUNTS.toLocaleString('en')} keys)`;
    const win = await openWindow(ctx, server);
    const count = clamp(ctx.options.duration * 30, 50, 300);
    await runWorkers(
      1,
      { durationS: ctx.options.duration, maxCount: Math.min(count, strangers.length) },
      async (_w, i) => {
        await push(origin, strangers[i]!, null, randomCents(), nextT(), win.tally);
        return true;
      },
    );
    const cpu = win.end();
    await reportQueryStats(ctx, server, { id, scenario }, win.tally.count);
    const known = rows[0]!;
    const row = rowOf({
      id,
      section: 'monitor',
      scenario,
      tally: win.tally,
      cpu,
      startedAt: win.startedAt,
      notes: [
        `each push signed by an account that never sent anything from 127.0.0.1 (no X-Forwarded-For), one at a time: ` +
          `the gateway tries the ≤ 64 accounts it remembers for the address, then scans every key`,
        loadNote(),
      ],
    });
    const extraMs = row.p50Ms - known.p50Ms;
    const extraCpuUs =
      row.serverCpuUsPerReq !== null && known.serverCpuUsPerReq !== null
        ? row.serverCpuUsPerReq - known.serverCpuUsPerReq
        : null;
    row.notes.unshift(
      `key lookup: a first contact costs ${extraMs.toFixed(1)} ms more (p50) and ` +
        `${extraCpuUs === null ? '?' : Math.round(extraCpuUs).toLocaleString('en')} µs more server CPU than a push from a known address`,
    );
    ctx.record('monitor', {
      keyLookup: { firstContactExtraP50Ms: extraMs, firstContactExtraCpuUs: extraCpuUs },
    });
    logRow(ctx, row, 'pushes/s');
    rows.push(row);
  }

  {
    const id = 'monitor.vmq-matched';
    const scenario = `V免签 push paying an open order, ${loaded} in flight`;
    recv.reset();
    let next = 0;
    const byAccount = new Map(matchPhones.map((p) => [p.account.id, p.address]));
    const one = (tally: Tally | null) => async () => {
      const o = fx.vmqOrders[next++];
      if (!o) return false;
      await push(origin, o.account, byAccount.get(o.account.id) ?? null, o.cents, nextT(), tally);
      return true;
    };
    await runWorkers(loaded, { durationS: ctx.options.warmup, maxCount: 50 }, one(null));
    const warm = next;
    const win = await openWindow(ctx, server);
    await runWorkers(
      loaded,
      { durationS: ctx.options.duration, maxCount: fx.vmqOrders.length },
      one(win.tally),
    );
    const cpu = win.end();
    await reportQueryStats(ctx, server, { id, scenario }, win.tally.count);
    const used = fx.vmqOrders.slice(warm, Math.min(next, fx.vmqOrders.length));
    const paid = countPaid(
      fx.dbPath,
      used.map((o) => o.id),
    );
    if (paid < win.tally.count)
      win.tally.wrong('unpaid', `${win.tally.count - paid} pushes answered 成功 left their order unpaid`);
    const drainStart = performance.now();
    const total = Math.min(next, fx.vmqOrders.length);
    const drained = await recv.waitForDistinct(total, 30_000);
    const notes = [
      `${matchPhones.length} phones (merchant 0's wechat accounts), each known at its address; ` +
        `${paid.toLocaleString('en')} of ${used.length.toLocaleString('en')} orders paid`,
      `${recv.distinct.toLocaleString('en')} of ${total.toLocaleString('en')} merchant notifications received (warm-up ` +
        `included), the last ${((performance.now() - drainStart) / 1000).toFixed(1)} s after the last push` +
        (drained ? '' : ' (gave up waiting)'),
    ];
    if (next >= fx.vmqOrders.length)
      notes.push(`ran until all ${fx.vmqOrders.length} prepared orders were paid`);
    notes.push(loadNote());
    const row = rowOf({
      id,
      section: 'monitor',
      scenario,
      tally: win.tally,
      cpu,
      startedAt: win.startedAt,
      notes,
    });
    logRow(ctx, row, 'pushes/s');
    rows.push(row);
  }
  return rows;
}

/** Payment detection: monitor API batches and V免签 pushes over 10,000 paired accounts. */
export const monitor: Section = {
  name: 'monitor',
  title: 'Payment detection (monitor API, V免签 app)',
  async run(ctx) {
    ctx.log(`payment detection: monitor API and V免签, ${ACCOUNTS.toLocaleString('en')} paired accounts`);
    const recv = await NotifyReceiver.start('success');
    let server: ChildServer | null = null;
    const rows: Row[] = [];
    try {
      const fx = await provision(ctx, recv);
      server = await startPushGateway(ctx, fx.dbPath, 'monitor');
      // The rows that pay orders come last: the notifications they cause keep the gateway busy
      // for a while after them.
      const parts: Array<[string, () => Promise<Row[]>]> = [
        ['monitor.api-batch', async () => [await apiBatches(ctx, server!, fx, recv, false)]],
        ['monitor.vmq', () => vmqRows(ctx, server!, fx, recv)],
        ['monitor.api-batch-matched', async () => [await apiBatches(ctx, server!, fx, recv, true)]],
      ];
      for (const [where, part] of parts) {
        try {
          rows.push(...(await part()));
        } catch (err) {
          ctx.fail(where, err);
        }
      }
    } finally {
      await server?.stop();
      await recv.close();
    }
    return rows;
  },
  aims(rows: readonly Row[]): Check[] {
    const seq = rows.find((r) => r.id === 'monitor.vmq-seq');
    const first = rows.find((r) => r.id === 'monitor.vmq-first');
    return [
      {
        aim: `V免签 push p99 < ${VMQ_PUSH_P99_MS} ms with ${ACCOUNTS.toLocaleString('en')} paired accounts (phone known at its address)`,
        measured: seq
          ? `p99 ${seq.p99Ms.toFixed(1)} ms, p50 ${seq.p50Ms.toFixed(1)} ms` +
            (seq.non100 + seq.errors > 0 ? `, with ${seq.non100} wrong / ${seq.errors} errors` : '')
          : 'not run',
        pass: seq ? seq.p99Ms < VMQ_PUSH_P99_MS && seq.non100 + seq.errors === 0 : null,
      },
      {
        aim: `V免签 push p99 < ${VMQ_PUSH_P99_MS} ms, first push from an address (full key scan)`,
        measured: first ? `p99 ${first.p99Ms.toFixed(1)} ms, p50 ${first.p50Ms.toFixed(1)} ms` : 'not run',
        pass: first ? first.p99Ms < VMQ_PUSH_P99_MS && first.non100 + first.errors === 0 : null,
      },
    ];
  },
};
