import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * The dispatcher skips the rows of merchants whose hosts are at their concurrency cap; storing
 * each row's target host lets the due-rows query leave those rows out instead of reading them.
 * Rows written before this migration have '' and are sorted out by URL in code.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable('notifications')
    .addColumn('target_host', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema
    .createIndex('notifications_host_due')
    .on('notifications')
    .columns(['state', 'target_host', 'next_attempt_at'])
    .execute();
  // Summing an account's takings since a time reads only the index, not every payment row.
  await db.schema.dropIndex('payments_account_paid').execute();
  await db.schema
    .createIndex('payments_account_paid_amount')
    .on('payments')
    .columns(['account_id', 'paid_at', 'amount_cents'])
    .execute();
}
