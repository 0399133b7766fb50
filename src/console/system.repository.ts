import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';

const n = (v: unknown) => Number(v ?? 0);

/**
 * The counts of the operator's system page, each one index read (`orders_status_expires`,
 * `notifications_due`, `notifications_state_id`, `payments_unmatched`): cheap with millions of rows.
 */
export async function systemCounts(db: Kysely<Database>, now: number) {
  const [open, pending, due, failed, oldest, unmatched, merchants, users] = await Promise.all([
    db
      .selectFrom('orders')
      .select(sql<number>`count(*)`.as('n'))
      .where('status', '=', 'unpaid')
      .where('expires_at', '>', now)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('notifications')
      .select(sql<number>`count(*)`.as('n'))
      .where('state', '=', 'pending')
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('notifications')
      .select(sql<number>`count(*)`.as('n'))
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('notifications')
      .select(sql<number>`count(*)`.as('n'))
      .where('state', '=', 'failed')
      .executeTakeFirstOrThrow(),
    // Ids rise with creation time: the lowest pending id is the oldest pending notification.
    db
      .selectFrom('notifications')
      .select('created_at')
      .where('state', '=', 'pending')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst(),
    db
      .selectFrom('payments')
      .select(sql<number>`count(*)`.as('n'))
      .where('order_id', 'is', null)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('merchants')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('users')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return {
    openOrders: n(open.n),
    pendingNotifications: n(pending.n),
    dueNotifications: n(due.n),
    failedNotifications: n(failed.n),
    oldestPendingCreatedAt: oldest ? n(oldest.created_at) : null,
    unmatchedPayments: n(unmatched.n),
    merchants: n(merchants.n),
    users: n(users.n),
  };
}

/** Enabled receiving accounts, and how many had a heartbeat since `since`. */
export async function monitorCounts(db: Kysely<Database>, since: number) {
  const row = await db
    .selectFrom('accounts')
    .select([
      sql<number>`count(*)`.as('total'),
      sql<number>`sum(case when last_heartbeat_at >= ${since} then 1 else 0 end)`.as('online'),
    ])
    .where('enabled', '=', 1)
    .executeTakeFirstOrThrow();
  return { total: n(row.total), online: n(row.online) };
}
