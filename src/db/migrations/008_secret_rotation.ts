import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Secret rotation with a grace period: after `shouyin merchant rotate-secret` (or the console's
 * button) the old appsecret still verifies merchant API requests until `previous_secret_until`,
 * so a shop can deploy its new secret without refused orders; notifications are signed with the
 * new one at once. Also an index for "the merchant's latest notification" (the console's
 * signature helper), which would otherwise walk the whole outbox for a quiet merchant.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('merchants').addColumn('previous_appsecret', 'text').execute();
  await db.schema.alterTable('merchants').addColumn('previous_secret_until', 'bigint').execute();
  await db.schema
    .createIndex('notifications_merchant')
    .on('notifications')
    .columns(['merchant_id', 'id'])
    .execute();
}
