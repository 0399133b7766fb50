import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * The console's lists stay fast with millions of rows: every filter of the orders list has an
 * index whose equality columns come first and `(created_at, id)` last, so a page is one ordered
 * range read (keyset pagination: `created_at desc, id desc`), never a sort or a scan of the
 * merchant's history. Operators see all merchants at once, hence the same shapes without
 * `merchant_id`. `id` is spelled out for PostgreSQL (SQLite keeps the rowid in every index anyway).
 * `orders_merchant_created_id` replaces `orders_merchant_created`, its prefix.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  const index = (name: string, table: string, columns: string[]) =>
    db.schema.createIndex(name).on(table).columns(columns).execute();

  await index('orders_merchant_created_id', 'orders', ['merchant_id', 'created_at', 'id']);
  await db.schema.dropIndex('orders_merchant_created').execute();
  await index('orders_created_id', 'orders', ['created_at', 'id']);
  await index('orders_merchant_status_created', 'orders', ['merchant_id', 'status', 'created_at', 'id']);
  await index('orders_status_created', 'orders', ['status', 'created_at', 'id']);
  await index('orders_merchant_type_created', 'orders', ['merchant_id', 'type', 'created_at', 'id']);
  await index('orders_type_created', 'orders', ['type', 'created_at', 'id']);
  // Also the candidate orders of an unmatched payment (one account, an hour around paid_at).
  await index('orders_account_created', 'orders', ['account_id', 'created_at', 'id']);
  // "Who paid 9.99?": paid orders by the amount they were paid (partial: paid rows only).
  await db.schema
    .createIndex('orders_merchant_paid_amount')
    .on('orders')
    .columns(['merchant_id', 'realprice_cents', 'created_at', 'id'])
    .where(sql.ref('status'), '=', 'paid')
    .execute();
  await db.schema
    .createIndex('orders_paid_amount')
    .on('orders')
    .columns(['realprice_cents', 'created_at', 'id'])
    .where(sql.ref('status'), '=', 'paid')
    .execute();

  // Notifications page: one merchant's (or everyone's) rows of one state, newest first.
  await index('notifications_merchant_state', 'notifications', ['merchant_id', 'state', 'id']);
  await index('notifications_state_id', 'notifications', ['state', 'id']);

  // The unmatched-payments inbox and the payments an order could have been paid with: both
  // partial, so they hold only the few payments waiting for someone.
  await db.schema
    .createIndex('payments_unmatched')
    .on('payments')
    .column('id')
    .where(sql.ref('order_id'), 'is', null)
    .execute();
  await db.schema
    .createIndex('payments_unmatched_account')
    .on('payments')
    .columns(['account_id', 'paid_at'])
    .where(sql.ref('order_id'), 'is', null)
    .execute();

  // Audit log: by action, by subject (an order's history), by actor; newest first.
  await index('audit_action_id', 'audit_log', ['action', 'id']);
  await index('audit_subject_id', 'audit_log', ['subject', 'id']);
  await index('audit_actor_id', 'audit_log', ['actor', 'id']);
}
