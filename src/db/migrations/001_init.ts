import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect.js';

type Col = (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
const nn: Col = (c) => c.notNull();

/** The first schema. Dialect-neutral apart from how an identity column is spelled. */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const idType = dialect === 'postgres' ? 'bigserial' : 'integer';
  const id: Col = (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
  const zero = (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(0);

  await db.schema
    .createTable('merchants')
    .addColumn('id', idType, id)
    .addColumn('name', 'text', nn)
    .addColumn('appkey', 'text', (c) => c.notNull().unique())
    .addColumn('appsecret', 'text', nn)
    .addColumn('notify_url', 'text', nn)
    .addColumn('return_url', 'text', nn)
    .addColumn('timeout_url', 'text')
    .addColumn('order_ttl', 'integer', (c) => c.notNull().defaultTo(300))
    .addColumn('offset_direction', 'text', (c) =>
      c
        .notNull()
        .defaultTo('down')
        .check(sql`offset_direction in ('down','up')`),
    )
    .addColumn('max_offset_cents', 'integer', (c) => c.notNull().defaultTo(99))
    .addColumn('rotation', 'text', (c) =>
      c
        .notNull()
        .defaultTo('smart')
        .check(sql`rotation in ('smart','even','random')`),
    )
    .addColumn('notify_method', 'text', (c) =>
      c
        .notNull()
        .defaultTo('POST')
        .check(sql`notify_method in ('POST','GET')`),
    )
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('api_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('alipay_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('wechat_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('daily_quota', 'integer')
    .addColumn('allow_offline', 'integer', zero)
    .addColumn('pay_token', 'text', nn)
    .addColumn('created_at', 'bigint', nn)
    .execute();

  await db.schema
    .createTable('accounts')
    .addColumn('id', idType, id)
    .addColumn('merchant_id', 'bigint', (c) => c.notNull().references('merchants.id'))
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('alipay','wechat')`))
    .addColumn('name', 'text', nn)
    .addColumn('qr_content', 'text', nn)
    .addColumn('monitor_key', 'text', (c) => c.notNull().unique())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('window_start', 'integer')
    .addColumn('window_end', 'integer')
    .addColumn('min_cents', 'bigint')
    .addColumn('max_cents', 'bigint')
    .addColumn('daily_cap_cents', 'bigint')
    .addColumn('last_heartbeat_at', 'bigint')
    .addColumn('vmq_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', nn)
    .execute();
  await db.schema
    .createIndex('accounts_merchant_type')
    .on('accounts')
    .columns(['merchant_id', 'type'])
    .execute();

  await db.schema
    .createTable('account_codes')
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('amount_cents', 'bigint', nn)
    .addColumn('content', 'text', nn)
    .addPrimaryKeyConstraint('account_codes_pk', ['account_id', 'amount_cents'])
    .execute();

  await db.schema
    .createTable('categories')
    .addColumn('id', idType, id)
    .addColumn('merchant_id', 'bigint', (c) => c.notNull().references('merchants.id'))
    .addColumn('name', 'text', nn)
    .addColumn('sort', 'integer', zero)
    .execute();

  await db.schema
    .createTable('products')
    .addColumn('id', idType, id)
    .addColumn('merchant_id', 'bigint', (c) => c.notNull().references('merchants.id'))
    .addColumn('category_id', 'bigint', (c) => c.references('categories.id'))
    .addColumn('name', 'text', nn)
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('image', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('price_cents', 'bigint', (c) => c.notNull().check(sql`price_cents > 0`))
    .addColumn('stock', 'integer')
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', nn)
    .execute();
  await db.schema.createIndex('products_merchant').on('products').column('merchant_id').execute();

  await db.schema
    .createTable('orders')
    .addColumn('id', idType, id)
    .addColumn('merchant_id', 'bigint', (c) => c.notNull().references('merchants.id'))
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('token', 'text', (c) => c.notNull().unique())
    .addColumn('out_order_id', 'text', nn)
    .addColumn('kind', 'text', nn)
    .addColumn('type', 'text', nn)
    .addColumn('price_cents', 'bigint', (c) => c.notNull().check(sql`price_cents > 0`))
    .addColumn('realprice_cents', 'bigint', (c) => c.notNull().check(sql`realprice_cents > 0`))
    .addColumn('product_id', 'text', nn)
    .addColumn('title', 'text', nn)
    .addColumn('custom', 'text', nn)
    .addColumn('fingerprint', 'text', nn)
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('unpaid','paid','expired')`))
    .addColumn('late', 'integer', zero)
    .addColumn('created_at', 'bigint', nn)
    .addColumn('expires_at', 'bigint', nn)
    .addColumn('paid_at', 'bigint')
    .addColumn('payment_id', 'bigint')
    .addUniqueConstraint('orders_merchant_out', ['merchant_id', 'out_order_id'])
    .execute();
  await db.schema
    .createIndex('orders_status_expires')
    .on('orders')
    .columns(['status', 'expires_at'])
    .execute();
  await db.schema
    .createIndex('orders_merchant_created')
    .on('orders')
    .columns(['merchant_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('orders_merchant_paid')
    .on('orders')
    .columns(['merchant_id', 'paid_at'])
    .execute();

  await db.schema
    .createTable('order_items')
    .addColumn('order_id', 'bigint', (c) => c.notNull().references('orders.id'))
    .addColumn('product_id', 'bigint', nn)
    .addColumn('quantity', 'integer', nn)
    .addColumn('price_cents', 'bigint', nn)
    .addPrimaryKeyConstraint('order_items_pk', ['order_id', 'product_id'])
    .execute();

  // One row per held realprice: (account, type, amount) is the claim, `hold_until` the lease.
  await db.schema
    .createTable('slots')
    .addColumn('account_id', 'bigint', nn)
    .addColumn('type', 'text', nn)
    .addColumn('amount_cents', 'bigint', nn)
    .addColumn('order_token', 'text', nn)
    .addColumn('hold_until', 'bigint', nn)
    .addPrimaryKeyConstraint('slots_pk', ['account_id', 'type', 'amount_cents'])
    .execute();
  await db.schema.createIndex('slots_order').on('slots').column('order_token').execute();

  await db.schema
    .createTable('payments')
    .addColumn('id', idType, id)
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('type', 'text', nn)
    .addColumn('amount_cents', 'bigint', (c) => c.notNull().check(sql`amount_cents > 0`))
    .addColumn('paid_at', 'bigint', nn)
    .addColumn('reporter_id', 'text', nn)
    .addColumn('source', 'text', nn)
    .addColumn('payer', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('memo', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('order_id', 'bigint')
    .addColumn('late', 'integer', zero)
    .addColumn('created_at', 'bigint', nn)
    .addUniqueConstraint('payments_reporter', ['account_id', 'reporter_id'])
    .execute();
  await db.schema
    .createIndex('payments_account_paid')
    .on('payments')
    .columns(['account_id', 'paid_at'])
    .execute();
  await db.schema.createIndex('payments_order').on('payments').column('order_id').execute();

  await db.schema
    .createTable('notifications')
    .addColumn('id', idType, id)
    .addColumn('order_id', 'bigint', (c) => c.notNull().references('orders.id'))
    .addColumn('merchant_id', 'bigint', nn)
    .addColumn('protocol', 'text', nn)
    .addColumn('method', 'text', (c) => c.notNull().check(sql`method in ('POST','GET')`))
    .addColumn('url', 'text', nn)
    .addColumn('body', 'text', nn)
    .addColumn('content_type', 'text', nn)
    .addColumn('success_rule', 'text', nn)
    .addColumn('webhook_id', 'text', nn)
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending','delivered','failed')`))
    .addColumn('attempts', 'integer', zero)
    .addColumn('next_attempt_at', 'bigint', nn)
    .addColumn('lease_until', 'bigint', zero)
    .addColumn('last_error', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'bigint', nn)
    .addColumn('delivered_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('notifications_due')
    .on('notifications')
    .columns(['state', 'next_attempt_at'])
    .execute();
  await db.schema.createIndex('notifications_order').on('notifications').column('order_id').execute();

  await db.schema
    .createTable('notify_attempts')
    .addColumn('id', idType, id)
    .addColumn('notification_id', 'bigint', (c) => c.notNull().references('notifications.id'))
    .addColumn('started_at', 'bigint', nn)
    .addColumn('duration_ms', 'integer', nn)
    .addColumn('status_code', 'integer')
    .addColumn('response_snippet', 'text', nn)
    .addColumn('error', 'text', nn)
    .addColumn('trigger', 'text', (c) => c.notNull().check(sql`trigger in ('scheduled','manual')`))
    .execute();
  await db.schema
    .createIndex('notify_attempts_notification')
    .on('notify_attempts')
    .column('notification_id')
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', idType, id)
    .addColumn('at', 'bigint', nn)
    .addColumn('actor', 'text', nn)
    .addColumn('action', 'text', nn)
    .addColumn('subject', 'text', nn)
    .addColumn('detail', 'text', nn)
    .execute();
}
