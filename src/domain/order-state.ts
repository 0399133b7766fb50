/** The closed set of order states and the transitions between them (DESIGN.md "Words"). */
export const ORDER_STATUSES = ['unpaid', 'paid', 'expired'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  unpaid: ['paid', 'expired'],
  // A payment that arrives within the grace window still pays its own order (marked late).
  expired: ['paid'],
  paid: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses from which an order can become `to`, for guarded `UPDATE … WHERE status IN (…)`. */
export function sourcesOf(to: OrderStatus): OrderStatus[] {
  return ORDER_STATUSES.filter((s) => canTransition(s, to));
}

/** An unpaid order past its deadline is expired, whether or not the sweeper has run yet. */
export function effectiveStatus(status: OrderStatus, expiresAt: number, now: number): OrderStatus {
  return status === 'unpaid' && expiresAt <= now ? 'expired' : status;
}

export const PAYMENT_TYPES = ['alipay', 'wechat'] as const;
export type PaymentType = (typeof PAYMENT_TYPES)[number];
export function isPaymentType(t: string): t is PaymentType {
  return (PAYMENT_TYPES as readonly string[]).includes(t);
}
