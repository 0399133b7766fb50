import { type Insertable, type Kysely, type Selectable, sql, type Transaction } from 'kysely';
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
type NewOrder = Omit<Insertable<OrderTable>, 'id' | 'late' | 'paid_at' | 'payment_id'>;
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

/** Amounts in [lo, hi] still held on one account and type at `now`. */
export async function heldAmounts(
  trx: Transaction<Database>,
  accountId: number,
  type: string,
  lo: number,
  hi: number,
  now: number,
): Promise<Set<number>> {
  const { rows } = await heldQuery(trx, accountId, type, lo, hi, now);
  return new Set(rows.map((r) => Number(r.amount_cents)));
}

const heldQuery = prepared<[number, string, number, number, number], { amount_cents: number }>((db, p) =>
  db
    .selectFrom('slots')
    .select('amount_cents')
    .where('account_id', '=', p(0))
    .where('type', '=', p(1))
    .where('amount_cents', '>=', p(2))
    .where('amount_cents', '<=', p(3))
    .where('hold_until', '>=', p(4)),
);

const claimQuery = prepared<[number, string, number, string, number, number], { order_token: string }>(
  (db, p) =>
    db
      .insertInto('slots')
      .values({ account_id: p(0), type: p(1), amount_cents: p(2), order_token: p(3), hold_until: p(4) })
      .onConflict((oc) =>
        oc
          .columns(['account_id', 'type', 'amount_cents'])
          .doUpdateSet((eb) => ({
            order_token: eb.ref('excluded.order_token'),
            hold_until: eb.ref('excluded.hold_until'),
          }))
          .where('slots.hold_until', '<', p(5)),
      )
      .returning('order_token'),
);

/**
 * Claims one slot with a single atomic statement: insert it, or take over a row whose hold has
 * lapsed. Two concurrent claims of the same slot can never both succeed, on SQLite or PostgreSQL.
 */
export async function claimSlot(
  trx: Transaction<Database>,
  slot: { accountId: number; type: string; amountCents: number; orderToken: string; holdUntil: number },
  now: number,
): Promise<boolean> {
  const { rows } = await claimQuery(
    trx,
    slot.accountId,
    slot.type,
    slot.amountCents,
    slot.orderToken,
    slot.holdUntil,
    now,
  );
  return rows[0]?.order_token === slot.orderToken;
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
