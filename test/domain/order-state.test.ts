import { describe, expect, it } from 'vitest';
import {
  canTransition,
  effectiveStatus,
  isPaymentType,
  ORDER_STATUSES,
  type OrderStatus,
  sourcesOf,
} from '../../src/domain/order-state.js';

describe('order transitions', () => {
  const allowed = new Set(['unpaid→paid', 'unpaid→expired', 'expired→paid']);

  for (const from of ORDER_STATUSES) {
    for (const to of ORDER_STATUSES) {
      const ok = allowed.has(`${from}→${to}`);
      it(`${ok ? 'allows' : 'forbids'} ${from} → ${to}`, () => {
        expect(canTransition(from, to)).toBe(ok);
      });
    }
  }

  it('has exactly the three statuses of the design', () => {
    expect([...ORDER_STATUSES].sort()).toEqual(['expired', 'paid', 'unpaid']);
  });

  it('lets an order become paid from unpaid or expired, expired only from unpaid, unpaid from nothing', () => {
    expect(sourcesOf('paid').sort()).toEqual(['expired', 'unpaid']);
    expect(sourcesOf('expired')).toEqual(['unpaid']);
    expect(sourcesOf('unpaid')).toEqual([]);
  });
});

describe('effectiveStatus', () => {
  const deadline = 1_000_000;
  it.each<[OrderStatus, number, OrderStatus]>([
    ['unpaid', deadline - 1, 'unpaid'],
    ['unpaid', deadline, 'expired'],
    ['unpaid', deadline + 1, 'expired'],
    ['paid', deadline + 1, 'paid'],
    ['expired', deadline - 1, 'expired'],
  ])('reads %s at %i as %s', (status, now, expected) => {
    expect(effectiveStatus(status, deadline, now)).toBe(expected);
  });
});

describe('isPaymentType', () => {
  it('knows alipay and wechat only, case-sensitively', () => {
    expect(isPaymentType('alipay')).toBe(true);
    expect(isPaymentType('wechat')).toBe(true);
    for (const t of ['Alipay', 'WECHAT', 'qqpay', '', 'alipay ']) expect(isPaymentType(t)).toBe(false);
  });
});
