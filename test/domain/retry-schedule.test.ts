import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE } from '../../src/config.js';
import { seededRandom } from '../../src/domain/random.js';
import { nextAttemptAt } from '../../src/domain/retry-schedule.js';

const NOW = 1_700_000_000_000;
const fixed = (x: number) => () => x;

describe('nextAttemptAt', () => {
  const schedule = [2, 5, 15];

  it('waits the scheduled delay for the attempt just made, without jitter at the midpoint', () => {
    expect(nextAttemptAt(NOW, 1, schedule, fixed(0.5))).toBe(NOW + 2000);
    expect(nextAttemptAt(NOW, 2, schedule, fixed(0.5))).toBe(NOW + 5000);
    expect(nextAttemptAt(NOW, 3, schedule, fixed(0.5))).toBe(NOW + 15_000);
  });

  it('spreads the delay by at most ±20 %', () => {
    expect(nextAttemptAt(NOW, 3, schedule, fixed(0))).toBe(NOW + 12_000);
    expect(nextAttemptAt(NOW, 3, schedule, fixed(0.999_999))).toBeLessThanOrEqual(NOW + 18_000);
    const r = seededRandom(99);
    let below = 0;
    let above = 0;
    for (let i = 0; i < 5000; i++) {
      const delay = (nextAttemptAt(NOW, 2, schedule, r) as number) - NOW;
      expect(delay).toBeGreaterThanOrEqual(4000);
      expect(delay).toBeLessThanOrEqual(6000);
      if (delay < 5000) below++;
      if (delay > 5000) above++;
    }
    // Jitter goes both ways.
    expect(below).toBeGreaterThan(2000);
    expect(above).toBeGreaterThan(2000);
  });

  it('honours a custom jitter', () => {
    expect(nextAttemptAt(NOW, 1, [10], fixed(0), 0.5)).toBe(NOW + 5000);
    expect(nextAttemptAt(NOW, 1, [10], fixed(0), 0)).toBe(NOW + 10_000);
  });

  it('returns null once the schedule is exhausted', () => {
    expect(nextAttemptAt(NOW, 4, schedule, fixed(0.5))).toBeNull();
    expect(nextAttemptAt(NOW, 100, schedule, fixed(0.5))).toBeNull();
    expect(nextAttemptAt(NOW, 1, [], fixed(0.5))).toBeNull();
  });

  it('gives up after as many retries as the default schedule lists', () => {
    const n = DEFAULT_RETRY_SCHEDULE.length;
    expect(nextAttemptAt(NOW, n, DEFAULT_RETRY_SCHEDULE, fixed(0.5))).toBe(
      NOW + (DEFAULT_RETRY_SCHEDULE[n - 1] as number) * 1000,
    );
    expect(nextAttemptAt(NOW, n + 1, DEFAULT_RETRY_SCHEDULE, fixed(0.5))).toBeNull();
  });
});

describe('DEFAULT_RETRY_SCHEDULE', () => {
  it("starts with the design's delays, 2 s to 15 h, and never shortens", () => {
    expect(DEFAULT_RETRY_SCHEDULE.slice(0, 13)).toEqual([
      2, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21_600, 54_000,
    ]);
    DEFAULT_RETRY_SCHEDULE.forEach((s, i) => {
      if (i > 0) expect(s).toBeGreaterThanOrEqual(DEFAULT_RETRY_SCHEDULE[i - 1]!);
    });
  });
});
