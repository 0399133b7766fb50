import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Payments are matched by when the money was paid (DESIGN "realprice"): every order keeps the
 * end of its hold on its slot (`hold_until`: `expires_at + grace`, or the moment it was paid),
 * so the order that held a slot at any past instant can be found again. Also: where an order
 * came from (`origin`: api, quick collection page), the buyer's address for quick-collection
 * limits, the oversold flag of a late payment for a sold-out product, and why a payment was
 * left unmatched.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable('orders')
    .addColumn('hold_until', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('orders')
    .addColumn('origin', 'text', (c) => c.notNull().defaultTo('api'))
    .execute();
  await db.schema
    .alterTable('orders')
    .addColumn('client_address', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema
    .alterTable('orders')
    .addColumn('oversold', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // Existing orders: held until the default grace after their deadline, or until they were paid.
  await sql`update orders set hold_until = case when status = 'paid' then coalesce(paid_at, expires_at) else expires_at + 600000 end`.execute(
    db,
  );
  await db.schema
    .createIndex('orders_slot_time')
    .on('orders')
    .columns(['account_id', 'type', 'realprice_cents', 'created_at'])
    .execute();
  await db.schema
    .createIndex('orders_quick_open')
    .on('orders')
    .columns(['merchant_id', 'client_address', 'expires_at'])
    .where(sql.ref('origin'), '=', 'quick')
    .execute();
  await db.schema
    .alterTable('payments')
    .addColumn('match_note', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
}
