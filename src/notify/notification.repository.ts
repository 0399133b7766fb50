import { type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, NotificationTable } from '../db/schema.js';
import type { OutboundNotification } from './gatepay-notification.js';

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
