import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { Database, PaymentTable } from '../db/schema.js';
import { expectOneRow, type Tx } from '../db/tx.js';

export type PaymentRow = Selectable<PaymentTable>;

/** Inserts a payment unless the reporter already sent this id for this account; null then. */
export async function insertPaymentOnce(
  trx: Transaction<Database>,
  v: Insertable<PaymentTable>,
): Promise<number | null> {
  const row = await trx
    .insertInto('payments')
    .values(v)
    .onConflict((oc) => oc.columns(['account_id', 'reporter_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row ? Number(row.id) : null;
}

export async function findPaymentByReporter(db: Kysely<Database>, accountId: number, reporterId: string) {
  return db
    .selectFrom('payments')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('reporter_id', '=', reporterId)
    .executeTakeFirst();
}

export async function findPaymentById(db: Kysely<Database>, id: number) {
  return db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Reads one payment and locks its row (PostgreSQL) until the transaction ends. */
export async function lockPaymentById(trx: Tx, id: number) {
  return trx.selectFrom('payments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/**
 * Gives a payment its order. Guarded by `order_id IS NULL`: a payment already given to an order
 * is a lost update that rolls the caller's transaction back, so one payment never pays two orders.
 */
export async function attachPayment(trx: Tx, paymentId: number, orderId: number, late: boolean) {
  const res = await trx
    .updateTable('payments')
    .set({ order_id: orderId, late: late ? 1 : 0, match_note: '' })
    .where('id', '=', paymentId)
    .where('order_id', 'is', null)
    .executeTakeFirst();
  expectOneRow(res, `attaching payment ${paymentId}`);
}

/** Why a payment was left for the operator ('no_order', 'ambiguous', 'order_paid'). */
export async function setMatchNote(trx: Tx, paymentId: number, note: string) {
  await trx.updateTable('payments').set({ match_note: note }).where('id', '=', paymentId).execute();
}

export async function listPayments(
  db: Kysely<Database>,
  opts: { unmatched?: boolean; accountId?: number; limit?: number },
) {
  let q = db
    .selectFrom('payments')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(opts.limit ?? 100);
  if (opts.unmatched) q = q.where('order_id', 'is', null);
  if (opts.accountId !== undefined) q = q.where('account_id', '=', opts.accountId);
  return q.execute();
}
