/**
 * Slot walking (DESIGN.md "realprice"). Every open order on one account and type holds a
 * distinct amount; allocation walks away from the asked price one cent at a time.
 */
export type OffsetDirection = 'down' | 'up';

/**
 * The amounts to try for `priceCents`, nearest first: `price, price∓1, price∓2, …` up to
 * `maxOffsetCents`, never ≤ 0.
 */
export function candidateAmounts(
  priceCents: number,
  direction: OffsetDirection,
  maxOffsetCents: number,
): number[] {
  const out: number[] = [];
  for (let off = 0; off <= maxOffsetCents; off++) {
    const amount = direction === 'down' ? priceCents - off : priceCents + off;
    if (amount <= 0) break;
    out.push(amount);
  }
  return out;
}

/** The first candidate not in `held`, or null when the whole range is taken. */
export function firstFreeAmount(candidates: readonly number[], held: ReadonlySet<number>): number | null {
  for (const c of candidates) if (!held.has(c)) return c;
  return null;
}

/** One order's hold on a slot, as the matcher sees it. */
export interface SlotHold {
  createdAt: number;
  /** End of the hold: `expires_at + grace`, or when the order was paid. */
  holdUntil: number;
}

/**
 * The orders whose hold on one slot covered `paidAt` (DESIGN "realprice": a payment is matched by
 * when the money was paid, not when the report arrives). A hold runs from the order's creation to
 * its `holdUntil`. Only an order that no other order held the slot just before (within `skewMs`)
 * also covers the `skewMs` before its creation, for a reporter whose clock runs a little behind:
 * where a predecessor existed, a payment made before the order's creation is the predecessor's.
 * More than one result means the payment is ambiguous.
 */
export function holdersAt<T extends SlotHold>(holds: readonly T[], paidAt: number, skewMs: number): T[] {
  return holds.filter((h) => {
    const followsAnother = holds.some(
      (p) => p !== h && p.createdAt < h.createdAt && p.holdUntil > h.createdAt - skewMs,
    );
    const start = followsAnother ? h.createdAt : h.createdAt - skewMs;
    return start <= paidAt && paidAt <= h.holdUntil;
  });
}
