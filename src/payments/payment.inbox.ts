import type { Db } from '../db/connect.js';
import { InvalidInputError } from '../domain/errors.js';
import { formatCents } from '../domain/money.js';
import { effectiveStatus, type OrderStatus } from '../domain/order-state.js';
import type { Clock } from '../lib/clock.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { findAccountNames } from '../orders/order-list.repository.js';
import {
  findCandidateOrders,
  findCandidatePayments,
  listUnmatchedPayments,
  type Nearness,
} from './payment-candidates.repository.js';
import type { PaymentRow } from './payment.repository.js';

/** Near enough to offer: amounts within ±1.00, order created within ±30 minutes of the payment. */
export const CANDIDATE_NEARNESS: Nearness = { amountCents: 100, timeMs: 30 * 60_000 };
export const MAX_CANDIDATES = 10;

/** Why the gateway left a payment for someone to attach (payments.match_note). */
export type MatchNote = 'no_order' | 'ambiguous' | 'order_paid' | '';

export interface CandidateOrder {
  order_id: number;
  out_order_id: string;
  title: string;
  price: string;
  realprice: string;
  state: OrderStatus;
  created_at: number;
  expires_at: number;
  /** Payment amount minus realprice, e.g. "0.01" or "-0.50". */
  amount_difference: string;
  /** How long before (negative) or after the payment the order was created, in ms. */
  created_offset_ms: number;
}

export interface UnmatchedPayment {
  id: number;
  account_id: number;
  account_name: string;
  merchant_id: number;
  type: string;
  amount: string;
  paid_at: number;
  received_at: number;
  source: string;
  reporter_id: string;
  payer: string;
  memo: string;
  match_note: MatchNote;
  candidates: CandidateOrder[];
}

export interface InboxDeps {
  db: Db;
  clock: Clock;
}

function signedCents(cents: number): string {
  return cents < 0 ? `-${formatCents(-cents)}` : formatCents(cents);
}

/**
 * The unmatched-payments inbox, newest first (keyset on id), each payment with the orders it
 * could belong to. Called by the console's payments page.
 */
export async function listUnmatchedInbox(
  deps: InboxDeps,
  q: { merchantId: number | null; cursor?: string; limit?: number },
): Promise<{ payments: UnmatchedPayment[]; next_cursor: string | null }> {
  const limit = q.limit ?? 20;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 100) {
    throw new InvalidInputError('A page holds 1 to 100 payments.');
  }
  const beforeId = q.cursor ? decodeCursor(q.cursor, 1)[0] : undefined;
  const rows = await listUnmatchedPayments(deps.db.kysely, {
    merchantId: q.merchantId,
    beforeId,
    limit: limit + 1,
  });
  const shown = rows.slice(0, limit);
  const accounts = await findAccountNames(deps.db.kysely, [
    ...new Set(shown.map((p) => Number(p.account_id))),
  ]);
  const now = deps.clock();
  const payments: UnmatchedPayment[] = [];
  for (const p of shown) {
    const amountCents = Number(p.amount_cents);
    const paidAt = Number(p.paid_at);
    const orders = await findCandidateOrders(
      deps.db.kysely,
      { accountId: Number(p.account_id), amountCents, paidAt },
      CANDIDATE_NEARNESS,
      MAX_CANDIDATES,
    );
    const account = accounts.get(Number(p.account_id));
    payments.push({
      ...paymentFields(p),
      account_name: account?.name ?? '',
      merchant_id: account?.merchantId ?? 0,
      candidates: orders.map((o) => ({
        order_id: Number(o.id),
        out_order_id: o.out_order_id,
        title: o.title,
        price: formatCents(Number(o.price_cents)),
        realprice: formatCents(Number(o.realprice_cents)),
        state: effectiveStatus(o.status as OrderStatus, Number(o.expires_at), now),
        created_at: Number(o.created_at),
        expires_at: Number(o.expires_at),
        amount_difference: signedCents(amountCents - Number(o.realprice_cents)),
        created_offset_ms: Number(o.created_at) - paidAt,
      })),
    });
  }
  const last = shown.at(-1);
  return {
    payments,
    next_cursor: rows.length > limit && last ? encodeCursor([Number(last.id)]) : null,
  };
}

function paymentFields(p: PaymentRow) {
  return {
    id: Number(p.id),
    account_id: Number(p.account_id),
    type: p.type,
    amount: formatCents(Number(p.amount_cents)),
    paid_at: Number(p.paid_at),
    received_at: Number(p.created_at),
    source: p.source,
    reporter_id: p.reporter_id,
    payer: p.payer,
    memo: p.memo,
    match_note: p.match_note as MatchNote,
  };
}

export type CandidatePayment = ReturnType<typeof paymentFields> & {
  amount_difference: string;
  paid_offset_ms: number;
};

/**
 * Unmatched payments an unpaid or expired order could have been paid with (the order page's
 * "attach a payment"): the same nearness the inbox uses, seen from the order.
 */
export async function candidatePaymentsForOrder(
  deps: InboxDeps,
  o: { accountId: number; realpriceCents: number; createdAt: number },
): Promise<CandidatePayment[]> {
  const rows = await findCandidatePayments(deps.db.kysely, o, CANDIDATE_NEARNESS, MAX_CANDIDATES);
  return rows.map((p) => ({
    ...paymentFields(p),
    amount_difference: signedCents(Number(p.amount_cents) - o.realpriceCents),
    paid_offset_ms: Number(p.paid_at) - o.createdAt,
  }));
}
