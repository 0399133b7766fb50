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
