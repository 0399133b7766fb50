import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * The console dashboard answers in milliseconds over millions of orders: figures of business days
 * that can no longer change are kept per (day, merchant, account) in `dashboard_days` (and the
 * time-to-pay histogram in `dashboard_pay_times`), built by the dashboard the first time it needs
 * them; only the last day or two are read from the orders themselves, through covering indexes.
 * `dashboard_state` is one row: a generation that every invalidation bumps (a day computed before
 * it is not stored) and how far the change scan has read (see `src/console/dashboard.service.ts`).
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  const zero = (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(0);
  await db.schema
    .createTable('dashboard_days')
    /** Start of the business day (China time), unix ms. */
    .addColumn('day', 'bigint', (c) => c.notNull())
    /** 0 on the row that marks the whole day as stored. */
    .addColumn('merchant_id', 'bigint', (c) => c.notNull())
    /** 0 on a merchant's own row (its notification counts). */
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('created', 'integer', zero)
    .addColumn('created_paid', 'integer', zero)
    .addColumn('paid', 'integer', zero)
    .addColumn('paid_cents', 'bigint', zero)
    .addColumn('late', 'integer', zero)
    .addColumn('notified', 'integer', zero)
    .addColumn('notify_failed', 'integer', zero)
    /** Always 0 once stored (a day with a pending notification is not); used while computing. */
    .addColumn('notify_pending', 'integer', zero)
    .addPrimaryKeyConstraint('dashboard_days_pk', ['day', 'merchant_id', 'account_id'])
    .execute();
  await db.schema
    .createTable('dashboard_pay_times')
    .addColumn('day', 'bigint', (c) => c.notNull())
    .addColumn('merchant_id', 'bigint', (c) => c.notNull())
    .addColumn('bucket', 'integer', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('dashboard_pay_times_pk', ['day', 'merchant_id', 'bucket'])
    .execute();
  await db.schema
    .createTable('dashboard_state')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('generation', 'bigint', (c) => c.notNull())
    .addColumn('scanned_until', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into dashboard_state (id, generation, scanned_until) values (1, 0, 0)`.execute(db);

  // The live part (the last day or two): one ordered range read each, never a table lookup.
  // Only paid orders have a `paid_at`: a range on it is the paid orders (and, unlike a
  // `status = 'paid'` term, does not tempt SQLite's planner onto the status indexes).
  await db.schema
    .createIndex('orders_dash_created')
    .on('orders')
    .columns(['created_at', 'merchant_id', 'account_id', 'status', 'origin'])
    .execute();
  await db.schema
    .createIndex('orders_dash_paid')
    .on('orders')
    .columns(['paid_at', 'merchant_id', 'account_id', 'realprice_cents', 'created_at', 'late', 'origin'])
    .where(sql.ref('paid_at'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('notifications_dash_created')
    .on('notifications')
    .columns(['created_at', 'merchant_id', 'state'])
    .execute();
  // Test orders are few: their notifications are counted apart and taken off the totals.
  await db.schema
    .createIndex('orders_test_created')
    .on('orders')
    .column('created_at')
    .where(sql.ref('origin'), '=', 'test')
    .execute();
  // What changed days already stored: payments reported late, operators' audited actions.
  await db.schema
    .createIndex('payments_created')
    .on('payments')
    .columns(['created_at', 'paid_at', 'order_id'])
    .execute();
  await db.schema.createIndex('audit_at').on('audit_log').column('at').execute();
}
