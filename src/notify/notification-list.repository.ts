import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Tx } from '../db/tx.js';

/**
 * Notifications of one state, newest first, of one merchant or of all (indexes
 * `notifications_merchant_state`, `notifications_state_id`), with the order's shop order number.
 */
export function listNotificationsInStateQuery(
  db: Kysely<Database>,
  q: { merchantId: number | null; state: string; beforeId?: number; limit: number },
) {
  let query = db
    .selectFrom('notifications as n')
    .innerJoin('orders as o', 'o.id', 'n.order_id')
    .select([
      'n.id',
      'n.order_id',
      'o.out_order_id',
      'n.merchant_id',
      'n.method',
      'n.url',
      'n.state',
      'n.attempts',
      'n.next_attempt_at',
      'n.last_error',
      'n.created_at',
      'n.delivered_at',
    ])
    .where('n.state', '=', q.state);
  if (q.merchantId !== null) query = query.where('n.merchant_id', '=', q.merchantId);
  if (q.beforeId !== undefined) query = query.where('n.id', '<', q.beforeId);
  return query.orderBy('n.id', 'desc').limit(q.limit);
}

export async function listNotificationsInState(
  db: Kysely<Database>,
  q: { merchantId: number | null; state: string; beforeId?: number; limit: number },
) {
  return listNotificationsInStateQuery(db, q).execute();
}

/** The newest attempt of each notification (the list shows its status and answer). */
export async function findLastAttempts(db: Kysely<Database>, notificationIds: readonly number[]) {
  if (notificationIds.length === 0) return [];
  return db
    .selectFrom('notify_attempts')
    .selectAll()
    .where(
      'id',
      'in',
      db
        .selectFrom('notify_attempts')
        .select((eb) => eb.fn.max('id').as('id'))
        .where('notification_id', 'in', [...notificationIds])
        .groupBy('notification_id'),
    )
    .execute();
}

/**
 * Sends a merchant's failing notifications again, through the push network: `failed` rows go
 * back to `pending`, due now (their retry schedule is spent, so one more failure fails them
 * again); `pending` rows that failed before are brought forward to now. A row under a lease
 * (an attempt in flight) is left alone. Returns how many rows of each kind moved.
 */
export async function requeueFailing(
  trx: Tx,
  merchantId: number,
  now: number,
): Promise<{ failed: number; retrying: number }> {
  const failed = await trx
    .updateTable('notifications')
    .set({ state: 'pending', next_attempt_at: now, lease_until: 0 })
    .where('merchant_id', '=', merchantId)
    .where('state', '=', 'failed')
    .executeTakeFirst();
  const retrying = await trx
    .updateTable('notifications')
    .set({ next_attempt_at: now })
    .where('merchant_id', '=', merchantId)
    .where('state', '=', 'pending')
    // Waiting for a retry: it failed before (a row never tried is due at once anyway).
    .where('next_attempt_at', '>', now)
    .where('lease_until', '<=', now)
    .executeTakeFirst();
  return { failed: Number(failed.numUpdatedRows), retrying: Number(retrying.numUpdatedRows) };
}
