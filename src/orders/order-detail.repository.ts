import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** Everything reported against an order: the payment that paid it (and any later ones attached). */
export async function findPaymentsOfOrder(db: Kysely<Database>, orderId: number) {
  return db.selectFrom('payments').selectAll().where('order_id', '=', orderId).orderBy('id').execute();
}

/** The products of a product order, with their names as they are now. */
export async function findItemsWithNames(db: Kysely<Database>, orderId: number) {
  return db
    .selectFrom('order_items as i')
    .leftJoin('products as p', 'p.id', 'i.product_id')
    .select(['i.product_id', 'i.quantity', 'i.price_cents', 'p.name'])
    .where('i.order_id', '=', orderId)
    .orderBy('i.product_id')
    .execute();
}

/** An order's notifications, oldest first, and every attempt of each. */
export async function findNotificationsWithAttempts(db: Kysely<Database>, orderId: number) {
  const notifications = await db
    .selectFrom('notifications')
    .select([
      'id',
      'method',
      'url',
      'state',
      'attempts',
      'next_attempt_at',
      'last_error',
      'created_at',
      'delivered_at',
      'webhook_id',
    ])
    .where('order_id', '=', orderId)
    .orderBy('id')
    .execute();
  const ids = notifications.map((n) => Number(n.id));
  const attempts =
    ids.length === 0
      ? []
      : await db
          .selectFrom('notify_attempts')
          .selectAll()
          .where('notification_id', 'in', ids)
          .orderBy('id')
          .execute();
  return { notifications, attempts };
}

/** Audit entries about any of `subjects` (`order:12`, `payment:7`), oldest first. */
export async function findAuditOf(db: Kysely<Database>, subjects: readonly string[]) {
  if (subjects.length === 0) return [];
  return db
    .selectFrom('audit_log')
    .selectAll()
    .where('subject', 'in', [...subjects])
    .orderBy('id')
    .limit(200)
    .execute();
}
