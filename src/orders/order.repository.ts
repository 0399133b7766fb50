import { type Insertable, type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { expectOneRow, type Tx } from '../db/tx.js';
import { prepared } from '../db/prepared.js';
import type { Database, OrderTable } from '../db/schema.js';
import { sourcesOf } from '../domain/order-state.js';
import { type Order, orderFromRow } from './order.model.js';

type OrderRow = Selectable<OrderTable>;

const byMerchantOut = prepared<[number, string], OrderRow>((db, p) =>
  db.selectFrom('orders').selectAll().where('merchant_id', '=', p(0)).where('out_order_id', '=', p(1)),
);
const byToken = prepared<[string], OrderRow>((db, p) =>
  db.selectFrom('orders').selectAll().where('token', '=', p(0)),
);
const byId = prepared<[number], OrderRow>((db, p) =>
  db.selectFrom('orders').selectAll().where('id', '=', p(0)),
);

export async function findOrderByMerchantOut(db: Kysely<Database>, merchantId: number, outOrderId: string) {
  const row = (await byMerchantOut(db, merchantId, outOrderId)).rows[0];
  return row ? orderFromRow(row) : null;
}

export async function findOrderByToken(db: Kysely<Database>, token: string): Promise<Order | null> {
  const row = (await byToken(db, token)).rows[0];
  return row ? orderFromRow(row) : null;
}

export async function findOrderById(db: Kysely<Database>, id: number): Promise<Order | null> {
  const row = (await byId(db, id)).rows[0];
  return row ? orderFromRow(row) : null;
}

/** The columns a new order is inserted with, in a fixed order (the statement is prepared once). */
type NewOrder = Omit<Insertable<OrderTable>, 'id' | 'late' | 'paid_at' | 'payment_id' | 'oversold'>;
const NEW_ORDER_COLUMNS = [
  'merchant_id',
  'account_id',
  'token',
  'out_order_id',
  'kind',
  'type',
  'price_cents',
  'realprice_cents',
  'product_id',
  'title',
  'custom',
  'fingerprint',
  'status',
  'created_at',
  'expires_at',
  'hold_until',
  'origin',
  'client_address',
  'protocol',
  'notify_url',
  'return_url',
  'protocol_data',
] as const satisfies ReadonlyArray<keyof NewOrder>;

const insertOrderQuery = prepared<unknown[], { id: number }>((db, p) =>
  db
    .insertInto('orders')
    .values(Object.fromEntries(NEW_ORDER_COLUMNS.map((c, i) => [c, p(i)])) as unknown as NewOrder)
    .returning('id'),
);

export async function insertOrder(trx: Transaction<Database>, v: Required<NewOrder>): Promise<number> {
  const row = (await insertOrderQuery(trx, ...NEW_ORDER_COLUMNS.map((c) => v[c]))).rows[0];
  if (!row) throw new Error('insert into orders returned no id');
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

/** Reads one order and locks its row (PostgreSQL) until the transaction ends. */
export async function lockOrderById(trx: Tx, id: number): Promise<Order | null> {
  const row = await trx.selectFrom('orders').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  return row ? orderFromRow(row) : null;
}

/**
 * The paid transition from the status the caller read under its lock (unpaid or expired: callers
 * refuse a paid order first). Guarded by that status: a row that changed meanwhile is a lost
 * update and rolls the transaction back.
 */
export async function markOrderPaid(
  trx: Tx,
  order: Order,
  v: { paidAt: number; paymentId: number; late: boolean; holdUntil: number; oversold: boolean },
): Promise<void> {
  const res = await trx
    .updateTable('orders')
    .set({
      status: 'paid',
      paid_at: v.paidAt,
      payment_id: v.paymentId,
      late: v.late ? 1 : 0,
      hold_until: v.holdUntil,
      oversold: v.oversold ? 1 : 0,
    })
    .where('id', '=', order.id)
    .where('status', '=', order.status)
    .executeTakeFirst();
  expectOneRow(res, `paid transition of order ${order.id}`);
}

/**
 * Closes an unpaid order the caller read under its lock: expired now, its hold ends now. Guarded
 * by the status it read (a lost update rolls back).
 */
export async function closeOrderRow(trx: Tx, order: Order, now: number): Promise<Order> {
  const res = await trx
    .updateTable('orders')
    .set({
      status: 'expired',
      expires_at: Math.min(order.expiresAt, now),
      hold_until: Math.min(order.holdUntil, now),
    })
    .where('id', '=', order.id)
    .where('status', '=', 'unpaid')
    .executeTakeFirst();
  expectOneRow(res, `close of order ${order.id}`);
  return {
    ...order,
    status: 'expired',
    expiresAt: Math.min(order.expiresAt, now),
    holdUntil: Math.min(order.holdUntil, now),
  };
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

/** Orders a merchant's API created since `since` (the daily quota); quick-collection and test orders do not count. */
export async function countApiOrdersSince(
  db: Kysely<Database>,
  merchantId: number,
  since: number,
): Promise<number> {
  const row = await db
    .selectFrom('orders')
    .select(sql<number>`count(*)`.as('n'))
    .where('merchant_id', '=', merchantId)
    .where('created_at', '>=', since)
    .where('origin', '=', 'api')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Quick-collection orders of one buyer address still open at `now` (index `orders_quick_open`). */
export async function countOpenQuickOrders(
  trx: Tx,
  merchantId: number,
  clientAddress: string,
  now: number,
): Promise<number> {
  const row = await trx
    .selectFrom('orders')
    .select(sql<number>`count(*)`.as('n'))
    .where('merchant_id', '=', merchantId)
    .where('client_address', '=', clientAddress)
    .where('origin', '=', 'quick')
    .where('expires_at', '>', now)
    .where('status', '=', 'unpaid')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
