import { describe, expect, it } from 'vitest';
import { candidateAmounts, firstFreeAmount } from '../../src/domain/slots.js';

describe('candidateAmounts', () => {
  it('walks down one cent at a time from the price, nearest first', () => {
    expect(candidateAmounts(1000, 'down', 3)).toEqual([1000, 999, 998, 997]);
  });

  it('walks up one cent at a time when the merchant asks for up', () => {
    expect(candidateAmounts(1000, 'up', 3)).toEqual([1000, 1001, 1002, 1003]);
  });

  it('tries at most the maximum offset: 100 amounts for 0.99', () => {
    const down = candidateAmounts(1000, 'down', 99);
    expect(down).toHaveLength(100);
    expect(down.at(-1)).toBe(901);
    const up = candidateAmounts(1000, 'up', 99);
    expect(up).toHaveLength(100);
    expect(up.at(-1)).toBe(1099);
  });

  it('never offers an amount of zero or less', () => {
    expect(candidateAmounts(50, 'down', 99)).toEqual(Array.from({ length: 50 }, (_, i) => 50 - i));
    expect(candidateAmounts(1, 'down', 99)).toEqual([1]);
    for (const a of candidateAmounts(3, 'down', 99)) expect(a).toBeGreaterThan(0);
  });

  it('offers only the price itself with no offset allowed', () => {
    expect(candidateAmounts(1234, 'down', 0)).toEqual([1234]);
    expect(candidateAmounts(1234, 'up', 0)).toEqual([1234]);
  });

  it('offers nothing for a price of zero', () => {
    expect(candidateAmounts(0, 'down', 99)).toEqual([]);
  });
});

describe('firstFreeAmount', () => {
  const candidates = [1000, 999, 998];

  it('takes the price itself when nothing is held', () => {
    expect(firstFreeAmount(candidates, new Set())).toBe(1000);
  });

  it('skips held amounts in candidate order', () => {
    expect(firstFreeAmount(candidates, new Set([1000]))).toBe(999);
    expect(firstFreeAmount(candidates, new Set([1000, 999]))).toBe(998);
    expect(firstFreeAmount(candidates, new Set([999]))).toBe(1000);
  });

  it('ignores held amounts that are not candidates', () => {
    expect(firstFreeAmount(candidates, new Set([1001, 5]))).toBe(1000);
  });

  it('returns null when every candidate is held', () => {
    expect(firstFreeAmount(candidates, new Set([1000, 999, 998]))).toBeNull();
    expect(firstFreeAmount([], new Set())).toBeNull();
  });
});
