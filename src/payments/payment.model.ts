import { formatCents } from '../domain/money.js';
import type { PaymentRow } from './payment.repository.js';

/** Where a payment report came from. */
export const PAYMENT_SOURCES = ['monitor', 'vmq', 'simulate', 'manual'] as const;
export type PaymentSource = (typeof PAYMENT_SOURCES)[number];

/** A payment as operators see it (CLI `--json`, console). */
export function paymentView(p: PaymentRow) {
  return {
    id: Number(p.id),
    account_id: Number(p.account_id),
    type: p.type,
    amount: formatCents(Number(p.amount_cents)),
    paid_at: new Date(Number(p.paid_at)).toISOString(),
    source: p.source,
    reporter_id: p.reporter_id,
    payer: p.payer,
    memo: p.memo,
    order_id: p.order_id === null ? null : Number(p.order_id),
    late: p.late === 1,
    received_at: new Date(Number(p.created_at)).toISOString(),
  };
}
