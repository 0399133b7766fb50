import type { OrderStatus } from '../domain/order-state.js';
import type { NotifyState } from '../notify/notify.service.js';

/**
 * How long after a payment the buyer waits for the merchant's `success` before the page
 * offers a "return to merchant" button anyway (the seed only redirects after delivery).
 */
export const RETURN_BUTTON_AFTER_MS = 60_000;

/**
 * What the cashier page shows, a closed set:
 * - `waiting`: unpaid, QR and countdown;
 * - `notifying`: paid, the merchant is being told (not yet `success`);
 * - `delayed`: paid, still not delivered a minute after the payment: a return button appears;
 * - `done`: paid and delivered: the page goes to the signed return URL;
 * - `closed`: expired unpaid: the page goes to the timeout URL, or says "order closed".
 */
export type CashierPhase = 'waiting' | 'notifying' | 'delayed' | 'done' | 'closed';

/** The phase of an order at `now` (server time; tests move it with their clock). */
export function phaseOf(s: {
  status: OrderStatus;
  notifyState: NotifyState;
  paidAt: number | null;
  now: number;
}): CashierPhase {
  if (s.status === 'unpaid') return 'waiting';
  if (s.status === 'expired') return 'closed';
  if (s.notifyState === 'delivered') return 'done';
  const paidAt = s.paidAt ?? s.now;
  return s.now - paidAt >= RETURN_BUTTON_AFTER_MS ? 'delayed' : 'notifying';
}
