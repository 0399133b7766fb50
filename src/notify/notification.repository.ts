import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Dialect } from '../db/connect.js';
import type { Database, NotificationTable } from '../db/schema.js';
import { hostOf } from '../lib/urls.js';
import { storableText } from './answer.js';
import type { OutboundNotification } from './outbound.js';

export type NotificationRow = Selectable<NotificationTable>;

/** Inserts an outbox row, due now. Always inside the transaction of the state change it announces. */
export async function insertNotification(
  trx: Transaction<Database>,
  v: {
    orderId: number;
    merchantId: number;
    protocol: string;
    webhookId: string;
    now: number;
    request: OutboundNotification;
  },
): Promise<number> {
  const row = await trx
    .insertInto('notifications')
    .values({
      order_id: v.orderId,
      merchant_id: v.merchantId,
      protocol: v.protocol,
      method: v.request.method,
      url: v.request.url,
      body: v.request.body,
      content_type: v.request.contentType,
      success_rule: v.request.successRule,
      webhook_id: v.webhookId,
      target_host: hostOf(v.request.url),
      state: 'pending',
      next_attempt_at: v.now,
      created_at: v.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** The newest notification of an order (its delivery state is the order's `notify_status`). */
export async function findLatestNotificationForOrder(db: Kysely<Database>, orderId: number) {
  return db
    .selectFrom('notifications')
    .selectAll()
    .where('order_id', '=', orderId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** A due row as the dispatcher's scan sees it: enough to pick a host slot before claiming. */
export interface DueNotification {
  id: number;
  url: string;
  /** `host[:port]` of the URL ('' on rows written before it was stored). */
  host: string;
  nextAttemptAt: number;
}

export interface DueQuery {
  /** Rows per host at most: the per-host cap (a host never takes more in one pass). */
  perHost: number;
  /** Rows in all at most: the free global slots. */
  limit: number;
  /** Hosts at their concurrency cap: left out before any of their rows is read. */
  excludeHosts?: readonly string[];
}

/**
 * The due-rows query, built but not run (tests EXPLAIN it). A loose index scan: the recursive
 * `hosts` walks the distinct target hosts of pending rows, one index seek per host, and for each
 * host not excluded the `perHost` oldest due, unleased rows are read from the
 * `notifications_due_by_host` range (state, target_host, next_attempt_at, id). Work grows with
 * the number of hosts and the caps, never with a backlog: a hanging host's 200k due rows cost one
 * seek. PostgreSQL joins the per-host range LATERAL; SQLite has no LATERAL but evaluates the
 * same correlated subquery per host as a rowid IN list (a LATERAL-free IN on PostgreSQL would
 * be a nested loop over the whole table).
 */
export function dueNotificationsQuery(db: Kysely<Database>, dialect: Dialect, now: number, q: DueQuery) {
  const hosts = db.withRecursive('hosts(h)', (cte) =>
    cte
      .selectNoFrom((eb) =>
        eb
          .selectFrom('notifications')
          .select('target_host')
          .where('state', '=', 'pending')
          .orderBy('target_host')
          .limit(1)
          .as('h'),
      )
      .unionAll((rec) =>
        rec
          .selectFrom('hosts')
          .select((eb) =>
            eb
              .selectFrom('notifications')
              .select('target_host')
              .where('state', '=', 'pending')
              .whereRef('target_host', '>', 'hosts.h')
              .orderBy('target_host')
              .limit(1)
              .as('h'),
          )
          .where('hosts.h', 'is not', null),
      ),
  );
  const dueOfHost = db
    .selectFrom('notifications as d')
    .where('d.state', '=', 'pending')
    .where('d.target_host', '=', sql.ref<string>('hosts.h'))
    .where('d.next_attempt_at', '<=', now)
    .where('d.lease_until', '<=', now)
    .orderBy('d.next_attempt_at')
    .orderBy('d.id')
    .limit(q.perHost);
  const joined =
    dialect === 'postgres'
      ? hosts.selectFrom('hosts').innerJoinLateral(
          () => dueOfHost.select(['d.id', 'd.url', 'd.target_host', 'd.next_attempt_at']).as('n'),
          (join) => join.onTrue(),
        )
      : hosts
          .selectFrom('hosts')
          .innerJoin('notifications as n', (join) => join.on('n.id', 'in', dueOfHost.select('d.id')));
  let out = joined
    .select(['n.id', 'n.url', 'n.target_host', 'n.next_attempt_at'])
    .where('hosts.h', 'is not', null)
    .orderBy('n.next_attempt_at')
    .orderBy('n.id')
    .limit(q.limit);
  if (q.excludeHosts && q.excludeHosts.length > 0) out = out.where('hosts.h', 'not in', q.excludeHosts);
  return out;
}

/**
 * Due, unleased pending rows for a dispatcher pass: oldest due first, at most `perHost` per host
 * and `limit` in all, the saturated hosts' rows left out. Called by every full pass.
 */
export async function findDueNotifications(
  db: Kysely<Database>,
  dialect: Dialect,
  now: number,
  q: DueQuery,
): Promise<DueNotification[]> {
  const rows = await dueNotificationsQuery(db, dialect, now, q).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    url: r.url,
    host: r.target_host,
    nextAttemptAt: Number(r.next_attempt_at),
  }));
}

/** Due rows of one target host, oldest first (index notifications_due_by_host). */
export async function findDueNotificationsForHost(
  db: Kysely<Database>,
  now: number,
  host: string,
  limit: number,
): Promise<Array<{ id: number }>> {
  const rows = await db
    .selectFrom('notifications')
    .select('id')
    .where('state', '=', 'pending')
    .where('target_host', '=', host)
    .where('next_attempt_at', '<=', now)
    .where('lease_until', '<=', now)
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: Number(r.id) }));
}

/**
 * Claims due rows for attempts by setting their lease; returns the ids this caller won. A single
 * guarded UPDATE, so two dispatchers (threads, processes or PostgreSQL instances) can never both
 * win the same lease. `leaseUntil` doubles as the claim's fencing token. A dispatcher pass claims
 * all the rows it starts at once: one write (on SQLite one fsync) per pass, not per row.
 */
export async function claimNotifications(
  db: Kysely<Database>,
  ids: readonly number[],
  now: number,
  leaseUntil: number,
): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .updateTable('notifications')
    .set({ lease_until: leaseUntil })
    .where('id', 'in', ids)
    .where('state', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .where('lease_until', '<=', now)
    .returning('id')
    .execute();
  return rows.map((r) => Number(r.id));
}

/** Claims one due row (see `claimNotifications`); true when this caller won it. */
export async function claimNotification(
  db: Kysely<Database>,
  id: number,
  now: number,
  leaseUntil: number,
): Promise<boolean> {
  return (await claimNotifications(db, [id], now, leaseUntil)).length === 1;
}

/** A row with what sending it needs: the order's pay token (for events) and the signing key. */
export async function findNotificationForSend(db: Kysely<Database>, id: number) {
  return db
    .selectFrom('notifications as n')
    .innerJoin('orders as o', 'o.id', 'n.order_id')
    .innerJoin('merchants as m', 'm.id', 'n.merchant_id')
    .selectAll('n')
    .select(['o.token as order_token', 'o.status as order_status', 'm.appsecret'])
    .where('n.id', '=', id)
    .executeTakeFirst();
}

export type NotificationForSend = NonNullable<Awaited<ReturnType<typeof findNotificationForSend>>>;

export interface AttemptRow {
  notificationId: number;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  snippet: string;
  error: string;
  trigger: 'scheduled' | 'manual';
}

/** Inserts attempt rows, in one statement however many. */
export async function insertAttempts(trx: Transaction<Database>, rows: readonly AttemptRow[]): Promise<void> {
  if (rows.length === 0) return;
  await trx
    .insertInto('notify_attempts')
    .values(
      rows.map((v) => ({
        notification_id: v.notificationId,
        started_at: v.startedAt,
        duration_ms: v.durationMs,
        status_code: v.statusCode,
        response_snippet: storableText(v.snippet),
        error: storableText(v.error),
        trigger: v.trigger,
      })),
    )
    .execute();
}

/**
 * Marks rows delivered after successful attempts, counting one attempt each (the ids must be
 * distinct); `releaseLease` for scheduled attempts. Returns each row's state after the update.
 */
export async function markDelivered(
  trx: Transaction<Database>,
  ids: readonly number[],
  now: number,
  releaseLease: boolean,
): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await trx
    .updateTable('notifications')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      last_error: '',
      state: 'delivered',
      delivered_at: eb.fn.coalesce('delivered_at', eb.val(now)),
      ...(releaseLease ? { lease_until: 0 } : {}),
    }))
    .where('id', 'in', ids)
    .returning(['id', 'state'])
    .execute();
  return new Map(rows.map((r) => [Number(r.id), r.state]));
}

/** Scheduled attempts made so far: the position on the retry schedule (manual ones don't count). */
export async function countScheduledAttempts(trx: Transaction<Database>, notificationId: number) {
  const row = await trx
    .selectFrom('notify_attempts')
    .select(sql<number>`count(*)`.as('n'))
    .where('notification_id', '=', notificationId)
    .where('trigger', '=', 'scheduled')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Applies an attempt's outcome to its row and counts the attempt. `guard` makes it conditional:
 * a scheduled failure only moves a row still `pending` under the caller's own lease, so an
 * attempt that outlived its lease cannot overwrite a newer attempt's result. Returns the row's
 * state after the update, or null when the guard did not match.
 */
export async function updateAfterAttempt(
  trx: Transaction<Database>,
  id: number,
  changes: {
    state?: 'pending' | 'delivered' | 'failed';
    nextAttemptAt?: number;
    deliveredAt?: number;
    releaseLease?: boolean;
    lastError: string;
  },
  guard: { state?: string; leaseUntil?: number } = {},
): Promise<string | null> {
  let q = trx
    .updateTable('notifications')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      last_error: storableText(changes.lastError),
      ...(changes.state === undefined ? {} : { state: changes.state }),
      ...(changes.nextAttemptAt === undefined ? {} : { next_attempt_at: changes.nextAttemptAt }),
      ...(changes.deliveredAt === undefined
        ? {}
        : { delivered_at: eb.fn.coalesce('delivered_at', eb.val(changes.deliveredAt)) }),
      ...(changes.releaseLease ? { lease_until: 0 } : {}),
    }))
    .where('id', '=', id);
  if (guard.state !== undefined) q = q.where('state', '=', guard.state);
  if (guard.leaseUntil !== undefined) q = q.where('lease_until', '=', guard.leaseUntil);
  const row = await q.returning('state').executeTakeFirst();
  return row ? row.state : null;
}

/** Rows for `shouyin notify list`, newest first, with the order's merchant-side id. */
export async function listNotifications(
  db: Kysely<Database>,
  filter: { orderId?: number; state?: string; limit: number },
) {
  let q = db
    .selectFrom('notifications as n')
    .innerJoin('orders as o', 'o.id', 'n.order_id')
    .select([
      'n.id',
      'n.order_id',
      'o.out_order_id',
      'n.merchant_id',
      'n.protocol',
      'n.method',
      'n.url',
      'n.webhook_id',
      'n.state',
      'n.attempts',
      'n.next_attempt_at',
      'n.last_error',
      'n.created_at',
      'n.delivered_at',
    ]);
  if (filter.orderId !== undefined) q = q.where('n.order_id', '=', filter.orderId);
  if (filter.state !== undefined) q = q.where('n.state', '=', filter.state);
  return q.orderBy('n.id', 'desc').limit(filter.limit).execute();
}

/** Every attempt of one notification, oldest first. */
export async function listAttempts(db: Kysely<Database>, notificationId: number) {
  return db
    .selectFrom('notify_attempts')
    .selectAll()
    .where('notification_id', '=', notificationId)
    .orderBy('id')
    .execute();
}

/** When the next pending row falls due after `now` (null when none is waiting). */
export async function findNextDueAt(db: Kysely<Database>, now: number): Promise<number | null> {
  const row = await db
    .selectFrom('notifications')
    .select((eb) => eb.fn.min('next_attempt_at').as('at'))
    .where('state', '=', 'pending')
    .where('next_attempt_at', '>', now)
    .executeTakeFirst();
  return row?.at == null ? null : Number(row.at);
}
