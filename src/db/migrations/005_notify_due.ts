import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * The dispatcher reads due rows host by host (a loose index scan over the target hosts), so a
 * saturated host's backlog is skipped by one seek instead of being read row by row. Each host's
 * range must come out in the dispatcher's order, `next_attempt_at, id`: with `id` in the index
 * PostgreSQL stops after the few rows it needs instead of sorting the host's due rows. It
 * replaces the host index of 003, whose columns are its prefix.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createIndex('notifications_due_by_host')
    .on('notifications')
    .columns(['state', 'target_host', 'next_attempt_at', 'id'])
    .execute();
  await db.schema.dropIndex('notifications_host_due').execute();
}
