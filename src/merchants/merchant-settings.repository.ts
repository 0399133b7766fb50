import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * The merchant's newest GatePay notification with its order's merchant-side id (the signature
 * helper explains its sign). Index `notifications_merchant` (merchant_id, id).
 */
export async function findLatestGatepayNotification(db: Kysely<Database>, merchantId: number) {
  return db
    .selectFrom('notifications as n')
    .innerJoin('orders as o', 'o.id', 'n.order_id')
    .select(['n.id', 'n.order_id', 'o.out_order_id', 'n.method', 'n.url', 'n.body', 'n.created_at'])
    .where('n.merchant_id', '=', merchantId)
    .where('n.protocol', '=', 'gatepay')
    .orderBy('n.id', 'desc')
    .limit(1)
    .executeTakeFirst();
}
