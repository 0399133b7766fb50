import { firstFreeAmount, holdersAt } from '../domain/slots.js';
import type { Tx } from '../db/tx.js';
import { type Order, orderFromRow } from '../orders/order.model.js';
import { claimSlot, heldAmounts, lockOrdersOnSlot, releaseSlot } from './realprice.repository.js';

/**
 * A payment made up to this long before an order's creation may still be that order's, for a
 * reporter whose clock runs behind, unless another order held the slot just before.
 */
export const PAID_BEFORE_ORDER_SKEW_MS = 120_000;

/**
 * Claims the first free amount of `amounts` (nearest the price first) on one account and type
 * for the order `orderToken`, holding it until `holdUntil`. A claim lost to a concurrent
 * transaction moves on to the next free amount rather than re-trying the same one, so a burst of
 * same-price orders spreads over the range instead of colliding round after round.
 * Returns the amount, or null when every amount is held.
 */
export async function claimRealprice(
  trx: Tx,
  req: {
    accountId: number;
    type: string;
    amounts: readonly number[];
    orderToken: string;
    holdUntil: number;
    now: number;
  },
): Promise<number | null> {
  if (req.amounts.length === 0) return null;
  const lo = Math.min(...req.amounts);
  const hi = Math.max(...req.amounts);
  const held = await heldAmounts(trx, req.accountId, req.type, lo, hi, req.now);
  for (;;) {
    const amount = firstFreeAmount(req.amounts, held);
    if (amount === null) return null;
    const slot = { ...req, amountCents: amount };
    if (await claimSlot(trx, slot, req.now)) return amount;
    // Lost: another order took it since we read the held set.
    held.add(amount);
  }
}

export type PaymentMatch =
  { kind: 'order'; order: Order } | { kind: 'none'; note: 'no_order' | 'ambiguous' | 'order_paid' };

/**
 * The order a payment of `amountCents` on (account, type), paid at `paidAt`, was for: the one
 * whose hold on that slot covered `paidAt` — not whoever holds the slot now. The candidate rows
 * are locked, so the caller's paid transition sees their current status.
 */
export async function matchPaymentByTime(
  trx: Tx,
  p: { accountId: number; type: string; amountCents: number; paidAt: number },
): Promise<PaymentMatch> {
  const skew = PAID_BEFORE_ORDER_SKEW_MS;
  // Wide enough to see every candidate and the predecessor that decides whether skew applies.
  const rows = await lockOrdersOnSlot(trx, p, p.paidAt - 2 * skew, p.paidAt + skew);
  const holders = holdersAt(rows.map(orderFromRow), p.paidAt, skew);
  if (holders.length === 0) return { kind: 'none', note: 'no_order' };
  if (holders.length > 1) return { kind: 'none', note: 'ambiguous' };
  const order = holders[0]!;
  if (order.status === 'paid') return { kind: 'none', note: 'order_paid' };
  return { kind: 'order', order };
}

/** Ends an order's hold when it is paid: its slot is free for the next order at once. */
export async function releaseHold(trx: Tx, order: Order): Promise<void> {
  await releaseSlot(trx, order.token);
}
