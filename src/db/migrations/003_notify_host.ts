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
}
