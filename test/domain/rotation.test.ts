import { describe, expect, it } from 'vitest';
import { seededRandom, shuffled } from '../../src/domain/random.js';
import { rotate, type RotationCandidate } from '../../src/domain/rotation.js';

const accounts = (...received: number[]): RotationCandidate[] =>
  received.map((r, i) => ({ id: i + 1, receivedTodayCents: r }));

const ids = (xs: RotationCandidate[]) => xs.map((x) => x.id);

/** Pearson's chi-square statistic of observed counts against a uniform expectation. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}

describe('seededRandom', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      expect(b()).toBe(x);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    expect(seededRandom(8)()).not.toBe(seededRandom(7)());
  });

  it('shuffles into a permutation without touching the input', () => {
    const input = [1, 2, 3, 4, 5];
    const out = shuffled(input, seededRandom(1));
    expect(input).toEqual([1, 2, 3, 4, 5]);
    expect([...out].sort()).toEqual(input);
  });
});

describe('rotate', () => {
  const random = seededRandom(20240601);

  it('returns a lone candidate as a new array', () => {
    const one = accounts(0);
    for (const s of ['smart', 'even', 'random'] as const) {
      const out = rotate(s, one, random, 1);
      expect(out).toEqual(one);
      expect(out).not.toBe(one);
    }
  });

  it('returns every candidate exactly once and leaves the input alone', () => {
    const input = accounts(0, 10, 20, 30);
    for (const s of ['smart', 'even', 'random'] as const) {
      const out = rotate(s, input, random, 3);
      expect(ids(out).sort()).toEqual([1, 2, 3, 4]);
    }
    expect(ids(input)).toEqual([1, 2, 3, 4]);
  });

  it('smart never puts the account of the last paid trade first when there are others', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const out = ids(rotate('smart', accounts(0, 0, 0), random, 2));
      expect(out[0]).not.toBe(2);
      expect(out.at(-1)).toBe(2);
      seen.add(out.join(','));
    }
    // The others are still shuffled.
    expect(seen).toEqual(new Set(['1,3,2', '3,1,2']));
  });

  it('smart is plain random when there is no last paid account or it is not a candidate', () => {
    for (const last of [null, 99]) {
      const firsts = new Set<number>();
      for (let i = 0; i < 500; i++) firsts.add(rotate('smart', accounts(0, 0, 0), random, last)[0]!.id);
      expect(firsts).toEqual(new Set([1, 2, 3]));
    }
  });

  it('even puts the account that received most today last and shuffles the rest', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const out = ids(rotate('even', accounts(500, 3000, 0), random, null));
      expect(out.at(-1)).toBe(2);
      seen.add(out.join(','));
    }
    expect(seen).toEqual(new Set(['1,3,2', '3,1,2']));
  });

  it('even ignores the last paid account', () => {
    for (let i = 0; i < 200; i++) {
      expect(rotate('even', accounts(0, 9000, 10), random, 2).at(-1)!.id).toBe(2);
    }
  });

  it('random puts each of three accounts first about equally often', () => {
    const r = seededRandom(12345);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[rotate('random', accounts(0, 9000, 0), r, 2)[0]!.id - 1]!++;
    // 2 degrees of freedom: 13.82 is the 0.1 % critical value.
    expect(chiSquare(counts)).toBeLessThan(13.82);
  });

  it('random draws all 24 orders of four accounts about equally often', () => {
    const r = seededRandom(777);
    const counts = new Map<string, number>();
    for (let i = 0; i < 48_000; i++) {
      const key = ids(rotate('random', accounts(0, 0, 0, 0), r, null)).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    // 23 degrees of freedom: 49.73 is the 0.1 % critical value.
    expect(chiSquare([...counts.values()])).toBeLessThan(49.73);
  });
});
