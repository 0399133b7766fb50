import { isOnline } from '../accounts/account.model.js';
import { listAccounts } from '../accounts/account.repository.js';
import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';
import type { DashboardDayTable, DashboardPayTimeTable } from '../db/schema.js';
import { transact } from '../db/tx.js';
import { DAY_MS, startOfLocalDay } from '../domain/rules.js';
import type { Clock } from '../lib/clock.js';
import { BUSINESS_UTC_OFFSET_MINUTES } from '../orders/order.service.js';
import {
  auditSince,
  createdInWindow,
  deleteStoredDays,
  failingNotifications,
  insertStoredDays,
  lockDashboardState,
  notificationsInWindow,
  orderTimes,
  paidInWindow,
  paymentsReportedLate,
  paymentTimes,
  payTimesInWindow,
  readDashboardState,
  storedDays,
  storedPayTimes,
  storedRows,
  unmatchedInWindow,
  type Window,
  writeDashboardState,
} from './dashboard.repository.js';
import { addToHistogram, type Histogram, histogramMedian } from './pay-time-histogram.js';

export const DASHBOARD_PERIODS = ['today', '7d', '30d'] as const;
export type DashboardPeriod = (typeof DASHBOARD_PERIODS)[number];
const PERIOD_DAYS: Record<DashboardPeriod, number> = { today: 1, '7d': 7, '30d': 30 };

const HOUR_MS = 3_600_000;
/** Beyond the longest hold before a day counts as final. */
const SETTLE_MARGIN_MS = 10 * 60_000;
/** Events are looked for again this far back: a transaction commits well within it after its clock read. */
const SCAN_MARGIN_MS = 60_000;
/** How often the change scan's progress is written when nothing changed. */
const SCAN_WRITE_EVERY_MS = 60_000;
/** Chart series: the accounts that received most, the rest summed as one. */
const MAX_SERIES = 8;
/** Audited actions that change figures of days long past (see `dirtyDays`). */
const CHANGING_ACTIONS = ['order.mark_paid', 'payment.attach', 'notification.resend', 'notification.requeue'];

export interface DashboardTotals {
  receivedCents: number;
  paidOrders: number;
  createdOrders: number;
  /** Of the orders created in the period, the share paid by now; null without orders. */
  conversion: number | null;
  latePayments: number;
  unmatchedPayments: number;
  unmatchedCents: number;
  notifications: { delivered: number; failed: number; pending: number; successRate: number | null };
  /** Median time from creation to payment of the orders paid in the period, ms. */
  medianPayMs: number | null;
}

export interface DashboardSeries {
  /** null: the other accounts together. */
  accountId: number | null;
  name: string;
  type: string | null;
  cents: number[];
}

export interface Dashboard {
  period: DashboardPeriod;
  merchantId: number | null;
  from: number;
  to: number;
  totals: DashboardTotals;
  /** Amounts received per hour (today) or per business day, per account. */
  chart: { unit: 'hour' | 'day'; buckets: number[]; series: DashboardSeries[] };
  monitors: {
    online: number;
    total: number;
    accounts: Array<{
      id: number;
      merchantId: number;
      name: string;
      type: string;
      online: boolean;
      lastHeartbeatAt: number | null;
    }>;
  };
  failing: Awaited<ReturnType<typeof failingNotifications>>;
}

/** One business day's figures for every merchant, as stored (or used at once when not storable). */
interface DayFigures {
  day: number;
  rows: DashboardDayTable[];
  payTimes: DashboardPayTimeTable[];
  /** False while a notification of that day is still pending: its outcome may still change. */
  storable: boolean;
}

const emptyRow = (day: number, merchantId: number, accountId: number): DashboardDayTable => ({
  day,
  merchant_id: merchantId,
  account_id: accountId,
  created: 0,
  created_paid: 0,
  paid: 0,
  paid_cents: 0,
  late: 0,
  notified: 0,
  notify_failed: 0,
  notify_pending: 0,
});

/**
 * The console's dashboard: today, 7 or 30 business days (China time) of one merchant or all.
 *
 * Reading a month of orders on every request would cost seconds with a million of them, so a
 * business day is computed once and stored (`dashboard_days`, `dashboard_pay_times`) when it is
 * final: `settleMs` after its end no hold of its orders is left, and none of its notifications
 * is still pending (a day with one is computed on each request until it settles). Later days
 * (today, and yesterday in the first hour or so of a day) are read from the orders on each
 * request, through the covering indexes of migration 009.
 *
 * What can still change a final day is rare and leaves a trace: a monitor reporting a payment
 * paid long ago (a payment row received now, paid then), and operators' audited actions (mark
 * paid, attach, resend, requeue). Every request first looks for those since the last scan
 * (`dashboard_state.scanned_until`, less a margin for transactions still committing), forgets
 * the stored days they touch and bumps the state's generation; days computed while that
 * happened are not stored (their generation is stale), so a stored day never misses a change.
 */
export class DashboardService {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly clock: Clock,
  ) {}

  /**
   * How long after a business day's end its orders are final: the longest hold (the longest
   * order lifetime, 1 h, plus the grace period) is over, with a margin. Its notifications may
   * still be retrying; a day with a pending one is not stored (see `computeDay`).
   */
  settleMs(): number {
    return 3_600_000 + this.config.graceSeconds * 1000 + SETTLE_MARGIN_MS;
  }

  async dashboard(period: DashboardPeriod, merchantId: number | null): Promise<Dashboard> {
    const now = this.clock();
    const today = startOfLocalDay(now, BUSINESS_UTC_OFFSET_MINUTES);
    const from = today - (PERIOD_DAYS[period] - 1) * DAY_MS;
    const liveFrom = Math.min(today, startOfLocalDay(now - this.settleMs(), BUSINESS_UTC_OFFSET_MINUTES));
    const generation = await this.applyChanges(now, liveFrom);

    const settled =
      from < liveFrom
        ? await this.settledDays(from, liveFrom, generation, merchantId)
        : { rows: [], payTimes: [] };
    const liveStart = Math.max(from, liveFrom);
    const w: Window = { from: liveStart, to: now + 1, merchantId, base: liveStart, width: HOUR_MS };
    const [created, paid, payTimes, notifications, unmatched, accounts, failing] = await Promise.all([
      createdInWindow(this.db.kysely, w),
      paidInWindow(this.db.kysely, w),
      payTimesInWindow(this.db.kysely, w),
      notificationsInWindow(this.db.kysely, w, liveStart - 2 * DAY_MS),
      unmatchedInWindow(this.db.kysely, { from, to: now + 1, merchantId }),
      listAccounts(this.db.kysely, merchantId ?? undefined),
      failingNotifications(this.db.kysely, merchantId, 5),
    ]);

    const hourly = period === 'today';
    const bucketCount = hourly ? 24 : PERIOD_DAYS[period];
    const bucketOf = (t: number) =>
      hourly ? Math.floor((t - today) / HOUR_MS) : Math.floor((t - from) / DAY_MS);
    const perAccount = new Map<number, number[]>();
    const addAmount = (accountId: number, t: number, cents: number) => {
      if (cents === 0) return;
      let series = perAccount.get(accountId);
      if (!series) perAccount.set(accountId, (series = new Array<number>(bucketCount).fill(0)));
      const b = bucketOf(t);
      if (b >= 0 && b < bucketCount) series[b] = (series[b] as number) + cents;
    };

    const totals: DashboardTotals = {
      receivedCents: 0,
      paidOrders: 0,
      createdOrders: 0,
      conversion: null,
      latePayments: 0,
      unmatchedPayments: unmatched.count,
      unmatchedCents: unmatched.cents,
      notifications: { delivered: 0, failed: 0, pending: 0, successRate: null },
      medianPayMs: null,
    };
    let createdPaid = 0;
    const histogram: Histogram = new Map();

    for (const r of settled.rows) {
      totals.createdOrders += r.created;
      createdPaid += r.created_paid;
      totals.paidOrders += r.paid;
      totals.receivedCents += r.paid_cents;
      totals.latePayments += r.late;
      totals.notifications.delivered += r.notified;
      totals.notifications.failed += r.notify_failed;
      totals.notifications.pending += r.notify_pending;
      if (r.account_id !== 0) addAmount(r.account_id, r.day, r.paid_cents);
    }
    for (const p of settled.payTimes) addToHistogram(histogram, p.bucket, p.n);
    for (const r of created) {
      totals.createdOrders += r.created;
      createdPaid += r.createdPaid;
    }
    for (const r of paid) {
      totals.paidOrders += r.paid;
      totals.receivedCents += r.paidCents;
      totals.latePayments += r.late;
      addAmount(r.accountId, liveStart + r.slot * HOUR_MS, r.paidCents);
    }
    for (const p of payTimes) addToHistogram(histogram, p.bucket, p.n);
    for (const s of notifications) {
      const key = s.state as 'delivered' | 'failed' | 'pending';
      if (key in totals.notifications) totals.notifications[key] += s.n;
    }
    const { delivered, failed } = totals.notifications;
    totals.notifications.successRate = delivered + failed > 0 ? delivered / (delivered + failed) : null;
    totals.conversion = totals.createdOrders > 0 ? createdPaid / totals.createdOrders : null;
    totals.medianPayMs = histogramMedian(histogram);

    const byId = new Map(accounts.map((a) => [a.id, a]));
    const ranked = [...perAccount.entries()]
      .map(([accountId, cents]) => ({ accountId, cents, total: cents.reduce((a, b) => a + b, 0) }))
      .sort((a, b) => b.total - a.total || a.accountId - b.accountId);
    const series: DashboardSeries[] = ranked.slice(0, MAX_SERIES).map((s) => ({
      accountId: s.accountId,
      name: byId.get(s.accountId)?.name ?? `#${s.accountId}`,
      type: byId.get(s.accountId)?.type ?? null,
      cents: s.cents,
    }));
    if (ranked.length > MAX_SERIES) {
      const rest = new Array<number>(bucketCount).fill(0);
      for (const s of ranked.slice(MAX_SERIES))
        s.cents.forEach((c, i) => (rest[i] = (rest[i] as number) + c));
      series.push({ accountId: null, name: '', type: null, cents: rest });
    }
    const step = hourly ? HOUR_MS : DAY_MS;
    const start = hourly ? today : from;

    const enabled = accounts.filter((a) => a.enabled);
    const monitorAccounts = enabled.map((a) => ({
      id: a.id,
      merchantId: a.merchantId,
      name: a.name,
      type: a.type,
      online: isOnline(a, now, this.config.monitorOfflineAfter),
      lastHeartbeatAt: a.lastHeartbeatAt,
    }));
    return {
      period,
      merchantId,
      from,
      to: now,
      totals,
      chart: {
        unit: hourly ? 'hour' : 'day',
        buckets: Array.from({ length: bucketCount }, (_, i) => start + i * step),
        series,
      },
      monitors: {
        online: monitorAccounts.filter((a) => a.online).length,
        total: monitorAccounts.length,
        // Offline ones first: they are what needs looking at.
        accounts: monitorAccounts.sort((a, b) => Number(a.online) - Number(b.online) || a.id - b.id),
      },
      failing,
    };
  }

  /**
   * Forgets stored days that events since the last scan changed; returns the generation that
   * days computed from now on must still find to be stored.
   */
  private async applyChanges(now: number, liveFrom: number): Promise<number> {
    const state = await readDashboardState(this.db.kysely);
    // Nothing was ever stored before the first scan mark: there is nothing to forget yet.
    const dirty =
      state.scannedUntil === 0
        ? new Set<number>()
        : await this.dirtyDays(state.scannedUntil - SCAN_MARGIN_MS, liveFrom);
    if (dirty.size === 0 && now - state.scannedUntil < SCAN_WRITE_EVERY_MS) return state.generation;
    return transact(this.db, async (trx) => {
      const locked = await lockDashboardState(trx);
      const generation = dirty.size > 0 ? locked.generation + 1 : locked.generation;
      if (dirty.has(Number.NEGATIVE_INFINITY)) await deleteStoredDays(trx, 'all');
      else if (dirty.size > 0) await deleteStoredDays(trx, [...dirty]);
      await writeDashboardState(trx, { generation, scannedUntil: Math.max(now, locked.scannedUntil) });
      return generation;
    });
  }

  /**
   * The business days before `before` whose figures changed since `since`; -Infinity in the set
   * means every day (a merchant's failing notifications were all sent again).
   */
  private async dirtyDays(since: number, before: number): Promise<Set<number>> {
    const times: number[] = [];
    for (const p of await paymentsReportedLate(this.db.kysely, since, before)) {
      times.push(p.paidAt);
      if (p.orderCreatedAt !== null) times.push(p.orderCreatedAt);
    }
    const orderIds: number[] = [];
    const paymentIds: number[] = [];
    let all = false;
    for (const e of await auditSince(this.db.kysely, since, CHANGING_ACTIONS)) {
      const id = Number(e.subject.split(':')[1]);
      if (e.action === 'notification.requeue') all = true;
      else if (e.action === 'payment.attach') {
        paymentIds.push(id);
        const orderId = Number((JSON.parse(e.detail) as { order_id?: unknown }).order_id);
        if (Number.isSafeInteger(orderId)) orderIds.push(orderId);
      } else if (Number.isSafeInteger(id)) orderIds.push(id);
    }
    if (all) return new Set([Number.NEGATIVE_INFINITY]);
    times.push(
      ...(await orderTimes(this.db.kysely, orderIds)),
      ...(await paymentTimes(this.db.kysely, paymentIds)),
    );
    return new Set(
      times.filter((t) => t < before).map((t) => startOfLocalDay(t, BUSINESS_UTC_OFFSET_MINUTES)),
    );
  }

  /**
   * The figures of the business days in [from, to) of one merchant or all: stored days read back,
   * missing ones computed (and stored when they are final and nothing changed meanwhile).
   */
  private async settledDays(
    from: number,
    to: number,
    generation: number,
    merchantId: number | null,
  ): Promise<{ rows: DashboardDayTable[]; payTimes: Array<{ bucket: number; n: number }> }> {
    const stored = [...(await storedDays(this.db.kysely, from, to))];
    const have = new Set(stored);
    const computed: DayFigures[] = [];
    for (let day = from; day < to; day += DAY_MS)
      if (!have.has(day)) computed.push(await this.computeDay(day));
    const storable = computed.filter((d) => d.storable);
    if (storable.length > 0) {
      await transact(this.db, async (trx) => {
        // An invalidation since this request's scan: what was computed may predate the change.
        if ((await lockDashboardState(trx)).generation !== generation) return;
        await insertStoredDays(
          trx,
          storable.flatMap((d) => d.rows),
          storable.flatMap((d) => d.payTimes),
        );
      });
    }
    const inScope = (m: number) => m !== 0 && (merchantId === null || m === merchantId);
    const [rows, payTimes] = await Promise.all([
      storedRows(this.db.kysely, { days: stored, merchantId }),
      storedPayTimes(this.db.kysely, { days: stored, merchantId }),
    ]);
    for (const d of computed) {
      rows.push(...d.rows.filter((r) => inScope(r.merchant_id)));
      payTimes.push(...d.payTimes.filter((p) => inScope(p.merchant_id)));
    }
    return { rows, payTimes };
  }

  /** One business day of every merchant, straight from its orders and notifications. */
  private async computeDay(day: number): Promise<DayFigures> {
    const w: Window = { from: day, to: day + DAY_MS, merchantId: null, base: day, width: DAY_MS };
    const [created, paid, payTimes, notifications] = await Promise.all([
      createdInWindow(this.db.kysely, w),
      paidInWindow(this.db.kysely, w),
      payTimesInWindow(this.db.kysely, w),
      notificationsInWindow(this.db.kysely, w, day - 2 * DAY_MS),
    ]);
    const rows = new Map<string, DashboardDayTable>();
    const row = (m: number, a: number) => {
      const key = `${m}:${a}`;
      let r = rows.get(key);
      if (!r) rows.set(key, (r = emptyRow(day, m, a)));
      return r;
    };
    row(0, 0); // the day's marker: stored
    for (const c of created) {
      const r = row(c.merchantId, c.accountId);
      r.created += c.created;
      r.created_paid += c.createdPaid;
    }
    for (const p of paid) {
      const r = row(p.merchantId, p.accountId);
      r.paid += p.paid;
      r.paid_cents += p.paidCents;
      r.late += p.late;
    }
    let storable = true;
    for (const s of notifications) {
      const r = row(s.merchantId, 0);
      if (s.state === 'delivered') r.notified += s.n;
      else if (s.state === 'failed') r.notify_failed += s.n;
      else if (s.state === 'pending') {
        // Its outcome may still change, unseen by the change scan: the day is not final yet.
        r.notify_pending += s.n;
        storable = false;
      }
    }
    return {
      day,
      rows: [...rows.values()],
      payTimes: payTimes.map((p) => ({ day, merchant_id: p.merchantId, bucket: p.bucket, n: p.n })),
      storable,
    };
  }
}
