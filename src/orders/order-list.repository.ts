import {
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type Selectable,
  type SqlBool,
  sql,
} from 'kysely';
import type { Database, OrderTable } from '../db/schema.js';
import type { OrderStatus, PaymentType } from '../domain/order-state.js';

/** A keyset position: the last row of the previous page (`created_at desc, id desc`). */
export interface OrderKey {
  createdAt: number;
  id: number;
}

/**
 * One index-friendly slice of the orders list: equality filters, a created_at range, a keyset
 * position. The service combines slices (see `order.query.ts`); each is one ordered range read
 * of a migration-007 index.
 */
export interface OrderSlice {
  /** null: every merchant (operators). */
  merchantId: number | null;
  status?: OrderStatus;
  type?: PaymentType;
  /** Given alone, without `merchantId` (an account has one merchant; the caller checked it). */
  accountId?: number;
  outOrderId?: string;
  /** created_at ≥ createdFrom. */
  createdFrom?: number;
  /** created_at < createdBefore. */
  createdBefore?: number;
  /** expires_at > openAfter (unpaid orders still open) … */
  expiresAfter?: number;
  /** … or expires_at ≤ expiresBy (unpaid orders the expirer has not reached yet). */
  expiresBy?: number;
  after?: OrderKey;
  limit: number;
}

export type OrderListRow = Selectable<OrderTable> & { paid_cents: number | null };

type OrdersEb = ExpressionBuilder<Database & { o: OrderTable }, 'o'>;

/** The slice's filters on `orders as o`, as one condition. */
function sliceWhere(db: Kysely<Database>, eb: OrdersEb, s: OrderSlice): Expression<SqlBool> {
  const c: Array<Expression<SqlBool>> = [];
  if (s.merchantId !== null) c.push(eb('o.merchant_id', '=', s.merchantId));
  if (s.outOrderId !== undefined) {
    // Without a merchant, one seek per merchant in the (merchant_id, out_order_id) unique index.
    if (s.merchantId === null) c.push(eb('o.merchant_id', 'in', db.selectFrom('merchants').select('id')));
    c.push(eb('o.out_order_id', '=', s.outOrderId));
  }
  if (s.status !== undefined) c.push(eb('o.status', '=', s.status));
  if (s.type !== undefined) c.push(eb('o.type', '=', s.type));
  if (s.accountId !== undefined) c.push(eb('o.account_id', '=', s.accountId));
  if (s.createdFrom !== undefined) c.push(eb('o.created_at', '>=', s.createdFrom));
  if (s.createdBefore !== undefined) c.push(eb('o.created_at', '<', s.createdBefore));
  // Unary plus: an expression no index serves, so the planner keeps to the list-order index
  // instead of reading every open order from `orders_status_expires` and sorting them.
  if (s.expiresAfter !== undefined) c.push(eb(sql<number>`+o.expires_at`, '>', s.expiresAfter));
  // The opposite (unpaid past the deadline, not swept yet) is a handful: that index suits it.
  if (s.expiresBy !== undefined) c.push(eb('o.expires_at', '<=', s.expiresBy));
  if (s.after) {
    const { createdAt, id } = s.after;
    // Spelled out rather than a row comparison: the `<=` bounds the index range on both dialects.
    c.push(eb('o.created_at', '<=', createdAt));
    c.push(eb.or([eb('o.created_at', '<', createdAt), eb('o.id', '<', id)]));
  }
  return eb.and(c);
}

/** The query of one slice, built but not run (tests EXPLAIN it). */
export function sliceQuery(db: Kysely<Database>, s: OrderSlice) {
  return db
    .selectFrom('orders as o')
    .leftJoin('payments as p', 'p.id', 'o.payment_id')
    .selectAll('o')
    .select('p.amount_cents as paid_cents')
    .where((eb) => sliceWhere(db, eb, s))
    .orderBy('o.created_at', 'desc')
    .orderBy('o.id', 'desc')
    .limit(s.limit);
}

/** One slice of orders, newest first, with the amount of the payment that paid each (if any). */
export async function listOrderSlice(db: Kysely<Database>, s: OrderSlice): Promise<OrderListRow[]> {
  const rows = await sliceQuery(db, s).execute();
  return rows.map((r) => ({ ...r, paid_cents: r.paid_cents === null ? null : Number(r.paid_cents) }));
}

export function paidAtAmountQuery(db: Kysely<Database>, s: OrderSlice, cents: number) {
  return sliceQuery(db, { ...s, status: 'paid' })
    .where('o.realprice_cents', '=', cents)
    .where('p.amount_cents', '=', cents);
}

/**
 * Paid orders whose payment was exactly `cents`: the paid orders holding that realprice (index
 * `orders_[merchant_]paid_amount`), minus any an operator attached a payment of another amount to.
 */
export async function listPaidAtAmount(
  db: Kysely<Database>,
  s: OrderSlice,
  cents: number,
): Promise<OrderListRow[]> {
  const rows = await paidAtAmountQuery(db, s, cents).execute();
  return rows.map((r) => ({ ...r, paid_cents: Number(r.paid_cents) }));
}

/**
 * Paid orders an operator attached a payment of `cents` to although their realprice differs
 * (the buyer typed a wrong amount). Found through the `payment.attach` audit entries, which
 * `PaymentService.attach` writes in the attach's own transaction: attaches are done by hand, so
 * there are few, while payments of a popular amount can be hundreds of thousands.
 */
export function attachedAtOtherAmountQuery(db: Kysely<Database>, s: OrderSlice, cents: number) {
  // From the few attach entries to their payments and orders by primary key.
  return db
    .selectFrom('audit_log as a')
    .innerJoin('payments as p', (join) =>
      // The subject is always `payment:<id>` for this action (written by PaymentService.attach).
      join.on('p.id', '=', sql<number>`cast(substr(a.subject, 9) as bigint)`),
    )
    .innerJoin('orders as o', 'o.id', 'p.order_id')
    .selectAll('o')
    .select('p.amount_cents as paid_cents')
    .where('a.action', '=', 'payment.attach')
    .where('p.amount_cents', '=', cents)
    .where('o.realprice_cents', '<>', cents)
    .where((eb) => sliceWhere(db, eb, { ...s, status: 'paid' }))
    .orderBy('o.created_at', 'desc')
    .orderBy('o.id', 'desc')
    .limit(s.limit);
}

export async function listAttachedAtOtherAmount(
  db: Kysely<Database>,
  s: OrderSlice,
  cents: number,
): Promise<OrderListRow[]> {
  const rows = await attachedAtOtherAmountQuery(db, s, cents).execute();
  return rows.map((r) => ({ ...r, paid_cents: Number(r.paid_cents) }));
}

/** Names and types of accounts by id (the list shows the account's name, not its number). */
export async function findAccountNames(db: Kysely<Database>, ids: readonly number[]) {
  if (ids.length === 0) return new Map<number, { name: string; type: string; merchantId: number }>();
  const rows = await db
    .selectFrom('accounts')
    .select(['id', 'name', 'type', 'merchant_id'])
    .where('id', 'in', [...ids])
    .execute();
  return new Map(
    rows.map((r) => [Number(r.id), { name: r.name, type: r.type, merchantId: Number(r.merchant_id) }]),
  );
}

/** The delivery state of each order's newest notification. */
export async function findNotifyStates(db: Kysely<Database>, orderIds: readonly number[]) {
  const out = new Map<number, string>();
  if (orderIds.length === 0) return out;
  const rows = await db
    .selectFrom('notifications')
    .select(['order_id', 'state'])
    .where('order_id', 'in', [...orderIds])
    .orderBy('id')
    .execute();
  for (const r of rows) out.set(Number(r.order_id), r.state);
  return out;
}
