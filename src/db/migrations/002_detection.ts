import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Payment detection: a V免签 phone watches Alipay and WeChat at once but is paired with one key,
 * so an account may name the account of the other type that takes that phone's other pushes.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('accounts').addColumn('vmq_peer_id', 'bigint').execute();
  // The daily cap counts what an account's open orders may still bring in.
  await db.schema
    .createIndex('orders_account_status')
    .on('orders')
    .columns(['account_id', 'status', 'expires_at'])
    .execute();
}
