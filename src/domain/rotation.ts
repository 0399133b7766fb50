import { type Random, shuffled } from './random.js';

export const ROTATIONS = ['smart', 'even', 'random'] as const;
export type Rotation = (typeof ROTATIONS)[number];

export interface RotationCandidate {
  id: number;
  receivedTodayCents: number;
}

/**
 * Orders the eligible accounts for a new order, preferred first; the caller tries them in turn
 * until one has a free slot.
 *
 * - `smart`: random, but not the account of the last completed trade (it goes last).
 * - `even`: the account that received most today goes last, random among the rest.
 * - `random`: plain random.
 */
export function rotate<T extends RotationCandidate>(
  strategy: Rotation,
  candidates: readonly T[],
  random: Random,
  lastPaidAccountId: number | null,
): T[] {
  if (candidates.length <= 1) return candidates.slice();
  // Shuffle first: every tie (equal received today) is then broken at random.
  const order = shuffled(candidates, random);
  let demoted: T | undefined;
  if (strategy === 'smart' && lastPaidAccountId !== null) {
    demoted = order.find((c) => c.id === lastPaidAccountId);
  } else if (strategy === 'even') {
    demoted = order.reduce((a, b) => (b.receivedTodayCents > a.receivedTodayCents ? b : a));
  }
  return demoted ? [...order.filter((c) => c !== demoted), demoted] : order;
}
