import { type Kysely, sql } from 'kysely';
import type { Database, DashboardDayTable, DashboardPayTimeTable } from '../db/schema.js';
import type { Tx } from '../db/tx.js';
import { payTimeBucketSql } from './pay-time-histogram.js';

/**
 * The dashboard's queries: figures straight from orders, payments and notifications over a time
 * window (the live part, and a day being stored), the stored days, and the change scan that
 * finds stored days a late event touched. Test orders (`origin = 'test'`) count nowhere.
 *
 * Each window read is one range over a covering index of migration 009 (`created_at`,
 * `paid_at` of paid orders, notifications' `created_at`). A merchant filter is written
 * `merchant_id + 0 = ?` on purpose: it keeps the planner off the narrower (merchant_id, …)
 * indexes, which would cost a table lookup per row.
 */

export interface Window {
  from: number;
  /** Exclusive. */
  to: number;
  /** null: every merchant. */
  merchantId: number | null;
  /** Rows are grouped by `(time - base) / width`: hours of the live part, whole days when storing one. */
  base: number;
  width: number;
}

const merchantTerm = sql<number>`merchant_id + 0`;
/** Written as a literal: SQLite uses a partial index (`orders_test_created`) only for its own term. */
const testOrderIds = (db: Kysely<Database>) =>
  db
    .selectFrom('orders')
    .select('id')
    .where(sql<boolean>`origin = 'test'`);
const n = (v: unknown) => Number(v ?? 0);

function slotOf(column: 'created_at' | 'paid_at', w: Window) {
  return sql<number>`(${sql.ref(column)} - ${sql.lit(w.base)}) / ${sql.lit(w.width)}`;
}

/** Real (not test) orders whose `column` falls in the window, of the window's merchant if it has one. */
function ordersIn(db: Kysely<Database>, w: Window, column: 'created_at' | 'paid_at') {
  const q = db
    .selectFrom('orders')
    .where(column, '>=', w.from)
    .where(column, '<', w.to)
    .where('origin', '<>', 'test');
  return w.merchantId === null ? q : q.where(merchantTerm, '=', w.merchantId);
}

export interface CreatedRow {
  merchantId: number;
  accountId: number;
  slot: number;
  created: number;
  createdPaid: number;
}

/** Orders created in the window, and how many of them are paid by now. */
export async function createdInWindow(db: Kysely<Database>, w: Window): Promise<CreatedRow[]> {
  const slot = slotOf('created_at', w);
  const rows = await ordersIn(db, w, 'created_at')
    .select([
      'merchant_id',
      'account_id',
      slot.as('slot'),
      sql<number>`count(*)`.as('created'),
      sql<number>`sum(case when status = 'paid' then 1 else 0 end)`.as('created_paid'),
    ])
    .groupBy(['merchant_id', 'account_id', slot])
    .execute();
  return rows.map((r) => ({
    merchantId: n(r.merchant_id),
    accountId: n(r.account_id),
    slot: n(r.slot),
    created: n(r.created),
    createdPaid: n(r.created_paid),
  }));
}

export interface PaidRow {
  merchantId: number;
  accountId: number;
  slot: number;
  paid: number;
  paidCents: number;
  late: number;
}

/** Orders paid in the window (by when the money was paid; only paid orders have a `paid_at`). */
export async function paidInWindow(db: Kysely<Database>, w: Window): Promise<PaidRow[]> {
  const slot = slotOf('paid_at', w);
  const rows = await ordersIn(db, w, 'paid_at')
    .select([
      'merchant_id',
      'account_id',
      slot.as('slot'),
      sql<number>`count(*)`.as('paid'),
      sql<number>`sum(realprice_cents)`.as('paid_cents'),
      sql<number>`sum(late)`.as('late'),
    ])
    .groupBy(['merchant_id', 'account_id', slot])
    .execute();
  return rows.map((r) => ({
    merchantId: n(r.merchant_id),
    accountId: n(r.account_id),
    slot: n(r.slot),
    paid: n(r.paid),
    paidCents: n(r.paid_cents),
    late: n(r.late),
  }));
}

/** Time from creation to payment of the orders paid in the window, as histogram buckets per merchant. */
export async function payTimesInWindow(
  db: Kysely<Database>,
  w: Window,
): Promise<Array<{ merchantId: number; bucket: number; n: number }>> {
  const bucket = sql<number>`${sql.raw(payTimeBucketSql('(paid_at - created_at)'))}`;
  let q = db
    .selectFrom('orders')
    .select(['merchant_id', bucket.as('bucket'), sql<number>`count(*)`.as('n')])
    .where('paid_at', '>=', w.from)
    .where('paid_at', '<', w.to)
    .where('origin', '<>', 'test');
  if (w.merchantId !== null) q = q.where(merchantTerm, '=', w.merchantId);
  const rows = await q.groupBy(['merchant_id', bucket]).execute();
  return rows.map((r) => ({ merchantId: n(r.merchant_id), bucket: n(r.bucket), n: n(r.n) }));
}

export interface NotifyStateRow {
  merchantId: number;
  state: string;
  n: number;
}

/**
 * Notifications created in the window by merchant and state, test orders' ones taken off:
 * those are counted apart from the few test orders (created since `testSince`), so the big read
 * stays an index-only range without a join.
 */
export async function notificationsInWindow(
  db: Kysely<Database>,
  w: Window,
  testSince: number,
): Promise<NotifyStateRow[]> {
  let q = db
    .selectFrom('notifications')
    .select(['merchant_id', 'state', sql<number>`count(*)`.as('n')])
    .where('created_at', '>=', w.from)
    .where('created_at', '<', w.to);
  if (w.merchantId !== null) q = q.where(merchantTerm, '=', w.merchantId);
  const all = await q.groupBy(['merchant_id', 'state']).execute();
  const testIds = (await testOrderIds(db).where('created_at', '>=', testSince).execute()).map((r) => n(r.id));
  const counts = new Map<string, NotifyStateRow>();
  for (const r of all) {
    const row = { merchantId: n(r.merchant_id), state: r.state, n: n(r.n) };
    counts.set(`${row.merchantId}:${row.state}`, row);
  }
  for (let i = 0; i < testIds.length; i += 500) {
    let t = db
      .selectFrom('notifications')
      .select(['merchant_id', 'state', sql<number>`count(*)`.as('n')])
      .where('order_id', 'in', testIds.slice(i, i + 500))
      .where('created_at', '>=', w.from)
      .where('created_at', '<', w.to);
    if (w.merchantId !== null) t = t.where('merchant_id', '=', w.merchantId);
    for (const r of await t.groupBy(['merchant_id', 'state']).execute()) {
      const row = counts.get(`${n(r.merchant_id)}:${r.state}`);
      if (row) row.n -= n(r.n);
    }
  }
  return [...counts.values()].filter((r) => r.n > 0);
}

/** Payments waiting for an operator (no order) paid in the window, with what they add up to. */
export async function unmatchedInWindow(
  db: Kysely<Database>,
  q: { from: number; to: number; merchantId: number | null },
): Promise<{ count: number; cents: number }> {
  let query = db
    .selectFrom('payments')
    .select([sql<number>`count(*)`.as('n'), sql<number>`coalesce(sum(amount_cents), 0)`.as('cents')])
    .where('order_id', 'is', null)
    .where('paid_at', '>=', q.from)
    .where('paid_at', '<', q.to);
  if (q.merchantId !== null) {
    query = query.where(
      'account_id',
      'in',
      db.selectFrom('accounts').select('id').where('merchant_id', '=', q.merchantId),
    );
  }
  const row = await query.executeTakeFirstOrThrow();
  return { count: n(row.n), cents: n(row.cents) };
}

/**
 * Notifications failing now (given up, or retrying after a failure), test orders' left out:
 * how many, and the newest few with the order they are about.
 */
export async function failingNotifications(db: Kysely<Database>, merchantId: number | null, limit: number) {
  const failing = (state: 'failed' | 'pending') => {
    let q = db
      .selectFrom('notifications as n')
      .where('n.state', '=', state)
      .where('n.order_id', 'not in', testOrderIds(db));
    if (state === 'pending') q = q.where('n.attempts', '>', 0);
    if (merchantId !== null) q = q.where('n.merchant_id', '=', merchantId);
    return q;
  };
  let count = 0;
  const latest = [];
  for (const state of ['failed', 'pending'] as const) {
    const c = await failing(state)
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    count += n(c.n);
    latest.push(
      ...(await failing(state)
        .innerJoin('orders as o', 'o.id', 'n.order_id')
        .select([
          'n.id',
          'n.order_id',
          'o.out_order_id',
          'n.merchant_id',
          'n.state',
          'n.attempts',
          'n.last_error',
          'n.next_attempt_at',
          'n.created_at',
        ])
        .orderBy('n.id', 'desc')
        .limit(limit)
        .execute()),
    );
  }
  return {
    count,
    latest: latest
      .sort((a, b) => n(b.id) - n(a.id))
      .slice(0, limit)
      .map((r) => ({
        id: n(r.id),
        orderId: n(r.order_id),
        outOrderId: r.out_order_id,
        merchantId: n(r.merchant_id),
        state: r.state,
        attempts: n(r.attempts),
        lastError: r.last_error,
        nextAttemptAt: r.state === 'pending' ? n(r.next_attempt_at) : null,
        createdAt: n(r.created_at),
      })),
  };
}

// ---- stored days ----

/** The days in [from, to) that are stored (their marker row exists). */
export async function storedDays(db: Kysely<Database>, from: number, to: number): Promise<Set<number>> {
  const rows = await db
    .selectFrom('dashboard_days')
    .select('day')
    .where('day', '>=', from)
    .where('day', '<', to)
    .where('merchant_id', '=', 0)
    .where('account_id', '=', 0)
    .execute();
  return new Set(rows.map((r) => n(r.day)));
}

/** Stored rows of these days, of one merchant or all (the day markers left out). */
export async function storedRows(
  db: Kysely<Database>,
  q: { days: readonly number[]; merchantId: number | null },
): Promise<DashboardDayTable[]> {
  if (q.days.length === 0) return [];
  let query = db
    .selectFrom('dashboard_days')
    .selectAll()
    .where('day', 'in', [...q.days]);
  query =
    q.merchantId === null
      ? query.where('merchant_id', '>', 0)
      : query.where('merchant_id', '=', q.merchantId);
  const rows = await query.execute();
  return rows.map((r) => ({
    day: n(r.day),
    merchant_id: n(r.merchant_id),
    account_id: n(r.account_id),
    created: n(r.created),
    created_paid: n(r.created_paid),
    paid: n(r.paid),
    paid_cents: n(r.paid_cents),
    late: n(r.late),
    notified: n(r.notified),
    notify_failed: n(r.notify_failed),
    notify_pending: n(r.notify_pending),
  }));
}

/** The stored time-to-pay histogram of these days, of one merchant or all, summed per bucket. */
export async function storedPayTimes(
  db: Kysely<Database>,
  q: { days: readonly number[]; merchantId: number | null },
): Promise<Array<{ bucket: number; n: number }>> {
  if (q.days.length === 0) return [];
  let query = db
    .selectFrom('dashboard_pay_times')
    .select(['bucket', sql<number>`sum(n)`.as('n')])
    .where('day', 'in', [...q.days]);
  if (q.merchantId !== null) query = query.where('merchant_id', '=', q.merchantId);
  const rows = await query.groupBy('bucket').execute();
  return rows.map((r) => ({ bucket: n(r.bucket), n: n(r.n) }));
}

/** Stores computed days; a day stored meanwhile by another request stays as it is. */
export async function insertStoredDays(
  trx: Tx,
  days: DashboardDayTable[],
  payTimes: DashboardPayTimeTable[],
): Promise<void> {
  for (let i = 0; i < days.length; i += 200) {
    await trx
      .insertInto('dashboard_days')
      .values(days.slice(i, i + 200))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  for (let i = 0; i < payTimes.length; i += 200) {
    await trx
      .insertInto('dashboard_pay_times')
      .values(payTimes.slice(i, i + 200))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

/** Forgets stored days (all of them with `days === 'all'`). */
export async function deleteStoredDays(trx: Tx, days: readonly number[] | 'all'): Promise<void> {
  for (const table of ['dashboard_days', 'dashboard_pay_times'] as const) {
    let q = trx.deleteFrom(table);
    if (days !== 'all') q = q.where('day', 'in', [...days]);
    await q.execute();
  }
}

export async function readDashboardState(db: Kysely<Database>) {
  const row = await db
    .selectFrom('dashboard_state')
    .selectAll()
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return { generation: n(row.generation), scannedUntil: n(row.scanned_until) };
}

/** The state row, locked until the transaction ends: invalidations and stores take turns. */
export async function lockDashboardState(trx: Tx) {
  const row = await trx
    .selectFrom('dashboard_state')
    .selectAll()
    .where('id', '=', 1)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return { generation: n(row.generation), scannedUntil: n(row.scanned_until) };
}

export async function writeDashboardState(
  trx: Tx,
  v: { generation: number; scannedUntil: number },
): Promise<void> {
  await trx
    .updateTable('dashboard_state')
    .set({ generation: v.generation, scanned_until: v.scannedUntil })
    .where('id', '=', 1)
    .execute();
}

// ---- the change scan ----

/**
 * Payments received since `since` but paid before `before` (a monitor reporting a backlog):
 * when each was paid, and when the order it paid was created.
 */
export async function paymentsReportedLate(db: Kysely<Database>, since: number, before: number) {
  const rows = await db
    .selectFrom('payments as p')
    .leftJoin('orders as o', 'o.id', 'p.order_id')
    .select(['p.paid_at', 'o.created_at'])
    .where('p.created_at', '>=', since)
    .where('p.paid_at', '<', before)
    .execute();
  return rows.map((r) => ({
    paidAt: n(r.paid_at),
    orderCreatedAt: r.created_at === null ? null : n(r.created_at),
  }));
}

/** Audit entries of the given actions written since `since`. */
export async function auditSince(db: Kysely<Database>, since: number, actions: readonly string[]) {
  return db
    .selectFrom('audit_log')
    .select(['action', 'subject', 'detail'])
    .where('at', '>=', since)
    .where('action', 'in', [...actions])
    .execute();
}

/** When these orders were created and paid, and when their notifications were created. */
export async function orderTimes(db: Kysely<Database>, orderIds: readonly number[]): Promise<number[]> {
  if (orderIds.length === 0) return [];
  const orders = await db
    .selectFrom('orders')
    .select(['created_at', 'paid_at'])
    .where('id', 'in', [...orderIds])
    .execute();
  const notifications = await db
    .selectFrom('notifications')
    .select('created_at')
    .where('order_id', 'in', [...orderIds])
    .execute();
  return [
    ...orders.flatMap((o) => (o.paid_at === null ? [n(o.created_at)] : [n(o.created_at), n(o.paid_at)])),
    ...notifications.map((x) => n(x.created_at)),
  ];
}

/** When these payments were paid. */
export async function paymentTimes(db: Kysely<Database>, paymentIds: readonly number[]): Promise<number[]> {
  if (paymentIds.length === 0) return [];
  const rows = await db
    .selectFrom('payments')
    .select('paid_at')
    .where('id', 'in', [...paymentIds])
    .execute();
  return rows.map((r) => n(r.paid_at));
}
