import { type Insertable, type Kysely, sql, type Transaction } from 'kysely';
import type { Database, OrderTable } from '../db/schema.js';
import { sourcesOf } from '../domain/order-state.js';
import { type Order, orderFromRow } from './order.model.js';

export async function findOrderByMerchantOut(db: Kysely<Database>, merchantId: number, outOrderId: string) {
  const row = await db
    .selectFrom('orders')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .where('out_order_id', '=', outOrderId)
    .executeTakeFirst();
  return row ? orderFromRow(row) : null;
}

export async function findOrderByToken(db: Kysely<Database>, token: string): Promise<Order | null> {
  const row = await db.selectFrom('orders').selectAll().where('token', '=', token).executeTakeFirst();
  return row ? orderFromRow(row) : null;
}

export async function findOrderById(db: Kysely<Database>, id: number): Promise<Order | null> {
  const row = await db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? orderFromRow(row) : null;
}

export async function insertOrder(trx: Transaction<Database>, v: Insertable<OrderTable>): Promise<number> {
  const row = await trx.insertInto('orders').values(v).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function insertOrderItems(
  trx: Transaction<Database>,
  orderId: number,
  items: Array<{ productId: number; quantity: number; priceCents: number }>,
) {
  if (items.length === 0) return;
  await trx
    .insertInto('order_items')
    .values(
      items.map((i) => ({
        order_id: orderId,
        product_id: i.productId,
        quantity: i.quantity,
        price_cents: i.priceCents,
      })),
    )
    .execute();
}

export async function findOrderItems(db: Kysely<Database>, orderId: number) {
  return db.selectFrom('order_items').selectAll().where('order_id', '=', orderId).execute();
}

/** Amounts in [lo, hi] still held on one account and type at `now`. */
export async function heldAmounts(
  trx: Transaction<Database>,
  accountId: number,
  type: string,
  lo: number,
  hi: number,
  now: number,
): Promise<Set<number>> {
  const rows = await trx
    .selectFrom('slots')
    .select('amount_cents')
    .where('account_id', '=', accountId)
    .where('type', '=', type)
    .where('amount_cents', '>=', lo)
    .where('amount_cents', '<=', hi)
    .where('hold_until', '>=', now)
    .execute();
  return new Set(rows.map((r) => Number(r.amount_cents)));
}

/**
 * Claims one slot with a single atomic statement: insert it, or take over a row whose hold has
 * lapsed. Two concurrent claims of the same slot can never both succeed, on SQLite or PostgreSQL.
 */
export async function claimSlot(
  trx: Transaction<Database>,
  slot: { accountId: number; type: string; amountCents: number; orderToken: string; holdUntil: number },
  now: number,
): Promise<boolean> {
  const row = await trx
    .insertInto('slots')
    .values({
      account_id: slot.accountId,
      type: slot.type,
      amount_cents: slot.amountCents,
      order_token: slot.orderToken,
      hold_until: slot.holdUntil,
    })
    .onConflict((oc) =>
      oc
        .columns(['account_id', 'type', 'amount_cents'])
        .doUpdateSet({ order_token: slot.orderToken, hold_until: slot.holdUntil })
        .where('slots.hold_until', '<', now),
    )
    .returning('order_token')
    .executeTakeFirst();
  return row?.order_token === slot.orderToken;
}

/** The order still holding a slot, if its hold has not lapsed at `now`. */
export async function findSlotHolder(
  trx: Transaction<Database>,
  accountId: number,
  type: string,
  amountCents: number,
  now: number,
): Promise<Order | null> {
  const row = await trx
    .selectFrom('slots as s')
    .innerJoin('orders as o', 'o.token', 's.order_token')
    .selectAll('o')
    .where('s.account_id', '=', accountId)
    .where('s.type', '=', type)
    .where('s.amount_cents', '=', amountCents)
    .where('s.hold_until', '>=', now)
    .executeTakeFirst();
  return row ? orderFromRow(row) : null;
}

export async function releaseSlot(trx: Transaction<Database>, orderToken: string): Promise<void> {
  await trx.deleteFrom('slots').where('order_token', '=', orderToken).execute();
}

/** Guarded transition to `paid`: only from a status that may become paid. */
export async function markOrderPaid(
  trx: Transaction<Database>,
  orderId: number,
  v: { paidAt: number; paymentId: number; late: boolean },
): Promise<boolean> {
  const res = await trx
    .updateTable('orders')
    .set({ status: 'paid', paid_at: v.paidAt, payment_id: v.paymentId, late: v.late ? 1 : 0 })
    .where('id', '=', orderId)
    .where('status', 'in', sourcesOf('paid'))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Expires unpaid orders past their deadline; returns them. */
export async function expireDueOrders(
  trx: Transaction<Database>,
  now: number,
  limit: number,
  orderId?: number,
) {
  let due = trx
    .selectFrom('orders')
    .select('id')
    .where('status', '=', 'unpaid')
    .where('expires_at', '<=', now)
    .limit(limit);
  if (orderId !== undefined) due = due.where('id', '=', orderId);
  const rows = await trx
    .updateTable('orders')
    .set({ status: 'expired' })
    .where('id', 'in', due)
    .where('status', 'in', sourcesOf('expired'))
    .returningAll()
    .execute();
  return rows.map(orderFromRow);
}

export async function countOrdersSince(
  db: Kysely<Database>,
  merchantId: number,
  since: number,
): Promise<number> {
  const row = await db
    .selectFrom('orders')
    .select(sql<number>`count(*)`.as('n'))
    .where('merchant_id', '=', merchantId)
    .where('created_at', '>=', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
