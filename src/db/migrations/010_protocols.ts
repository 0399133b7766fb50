import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Orders remember the merchant protocol that created them (`gatepay`, `epay`, `epay2`, `vmq`),
 * so their notification and browser return are built in that protocol's format. Compatibility
 * protocols carry per-order notify and return URLs ('' = the merchant's settings) and echo fields
 * of their own (`protocol_data`, a JSON object of strings: e.g. 易支付's `name` and `param`).
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable('orders')
    .addColumn('protocol', 'text', (c) => c.notNull().defaultTo('gatepay'))
    .execute();
  await db.schema
    .alterTable('orders')
    .addColumn('notify_url', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema
    .alterTable('orders')
    .addColumn('return_url', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema
    .alterTable('orders')
    .addColumn('protocol_data', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
}
