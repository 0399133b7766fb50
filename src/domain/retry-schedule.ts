import type { Random } from './random.js';

/**
 * When the push network tries a notification again. `attempt` counts the attempts already made
 * (1 after the first failure). Returns null when the schedule is exhausted: the row is `failed`.
 * Each delay is spread ±`jitter` so a merchant coming back online is not hit by a wall of retries.
 */
export function nextAttemptAt(
  nowMs: number,
  attempt: number,
  scheduleSeconds: readonly number[],
  random: Random,
  jitter = 0.2,
): number | null {
  const base = scheduleSeconds[attempt - 1];
  if (base === undefined) return null;
  const factor = 1 + jitter * (2 * random() - 1);
  return nowMs + Math.round(base * 1000 * factor);
}
