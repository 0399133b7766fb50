import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import type { PaymentRow } from './payment.repository.js';

/** How near an order and a payment must be to be offered as a match for each other. */
export interface Nearness {
  /** Largest difference between payment amount and the order's realprice, in cents. */
  amountCents: number;
  /** Largest distance between the payment's paid_at and the order's created_at, in ms. */
  timeMs: number;
}

/**
 * Unmatched payments (waiting for someone to attach them), newest first, of one merchant's
 * accounts or of all. Both read the partial indexes of migration 007, which hold only
 * unmatched rows.
 */
export function unmatchedPaymentsQuery(
  db: Kysely<Database>,
  q: { merchantId: number | null; beforeId?: number; limit: number },
) {
  let query = db.selectFrom('payments').selectAll().where('order_id', 'is', null);
  if (q.merchantId !== null) {
    query = query.where(
      'account_id',
      'in',
      db.selectFrom('accounts').select('id').where('merchant_id', '=', q.merchantId),
    );
  }
  if (q.beforeId !== undefined) query = query.where('id', '<', q.beforeId);
  return query.orderBy('id', 'desc').limit(q.limit);
}

export async function listUnmatchedPayments(
  db: Kysely<Database>,
  q: { merchantId: number | null; beforeId?: number; limit: number },
): Promise<PaymentRow[]> {
  return unmatchedPaymentsQuery(db, q).execute();
}

/**
 * Orders an unmatched payment could belong to: same account (so same type: an account has one),
 * unpaid or expired,
 * realprice within `near.amountCents` of the amount, created within `near.timeMs` of when it was
 * paid (index `orders_account_created`). Closest amount first, then closest time.
 */
export async function findCandidateOrders(
  db: Kysely<Database>,
  p: { accountId: number; amountCents: number; paidAt: number },
  near: Nearness,
  limit: number,
) {
  return db
    .selectFrom('orders')
    .select([
      'id',
      'out_order_id',
      'price_cents',
      'realprice_cents',
      'status',
      'created_at',
      'expires_at',
      'title',
    ])
    .where('account_id', '=', p.accountId)
    .where('created_at', '>=', p.paidAt - near.timeMs)
    .where('created_at', '<=', p.paidAt + near.timeMs)
    .where('status', 'in', ['unpaid', 'expired'])
    .where('realprice_cents', '>=', p.amountCents - near.amountCents)
    .where('realprice_cents', '<=', p.amountCents + near.amountCents)
    .orderBy(sql`abs(realprice_cents - ${p.amountCents})`)
    .orderBy(sql`abs(created_at - ${p.paidAt})`)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/**
 * The other way round, for an order's page: unmatched payments on its account whose
 * amount is within `near.amountCents` of its realprice and that were paid within `near.timeMs`
 * of its creation (index `payments_unmatched_account`).
 */
export async function findCandidatePayments(
  db: Kysely<Database>,
  o: { accountId: number; realpriceCents: number; createdAt: number },
  near: Nearness,
  limit: number,
): Promise<PaymentRow[]> {
  return db
    .selectFrom('payments')
    .selectAll()
    .where('order_id', 'is', null)
    .where('account_id', '=', o.accountId)
    .where('paid_at', '>=', o.createdAt - near.timeMs)
    .where('paid_at', '<=', o.createdAt + near.timeMs)
    .where('amount_cents', '>=', o.realpriceCents - near.amountCents)
    .where('amount_cents', '<=', o.realpriceCents + near.amountCents)
    .orderBy(sql`abs(amount_cents - ${o.realpriceCents})`)
    .orderBy(sql`abs(paid_at - ${o.createdAt})`)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
