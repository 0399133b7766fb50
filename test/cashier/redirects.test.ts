import { describe, expect, it } from 'vitest';
import { phaseOf, RETURN_BUTTON_AFTER_MS } from '../../src/cashier/cashier.state.js';
import { buildReturnUrl, buildTimeoutUrl } from '../../src/protocols/gatepay/gatepay-return.js';
import { locationHeader } from '../../src/lib/urls.js';

// Expected signatures computed independently in a shell, e.g.:
//   i=$(printf '%s' 'appkey12310.00alipay0522ORD-1' | md5sum | cut -d' ' -f1)
//   printf '%s' "${i}secret456" | md5sum
const merchant = {
  appkey: 'appkey123',
  appsecret: 'secret456',
  returnUrl: 'https://shop.example.com/return',
  timeoutUrl: null as string | null,
};

describe('return URL (spec §3)', () => {
  it('appends the signed parameters with ? when the URL has no query', () => {
    const url = buildReturnUrl(merchant, {
      id: 522,
      outOrderId: 'ORD-1',
      priceCents: 1000,
      type: 'alipay',
      productId: '0',
    });
    expect(url).toBe(
      'https://shop.example.com/return?price=10.00&type=alipay&product_id=0&order_id=522&out_order_id=ORD-1' +
        '&sign=1bc8a440ef87b68f8693bf08b385f395',
    );
  });

  it('appends with & when the URL already has a query, and signs the raw out_order_id', () => {
    const url = buildReturnUrl(
      { ...merchant, returnUrl: 'https://shop.example.com/r.php?a=1' },
      { id: 523, outOrderId: 'A&B=c', priceCents: 150, type: 'wechat', productId: '8,7' },
    );
    const u = new URL(url);
    expect(url.startsWith('https://shop.example.com/r.php?a=1&price=1.50&')).toBe(true);
    expect(u.searchParams.get('a')).toBe('1');
    expect(u.searchParams.get('product_id')).toBe('8,7');
    expect(u.searchParams.get('out_order_id')).toBe('A&B=c');
    expect(u.searchParams.get('sign')).toBe('e99288fee291fceecb51c7b110da530f');
  });

  it('signs UTF-8 text as the merchant will, and keeps a fragment at the end', () => {
    const url = buildReturnUrl(
      { appkey: 'k', appsecret: 's', returnUrl: 'https://x.example/done#top', timeoutUrl: null },
      { id: 1, outOrderId: '订单-中', priceCents: 999, type: 'alipay', productId: '0' },
    );
    const u = new URL(url);
    expect(u.hash).toBe('#top');
    expect(u.searchParams.get('price')).toBe('9.99');
    expect(u.searchParams.get('sign')).toBe('a79cf031f07453f02b3377f8f60b2823');
  });
});

describe('timeout URL (spec §4)', () => {
  it('is null without a configured timeout URL', () => {
    expect(
      buildTimeoutUrl(merchant, { id: 5, outOrderId: 'o', priceCents: 1, type: 'alipay', productId: '0' }),
    ).toBeNull();
  });

  it('appends out_order_id and order_id', () => {
    const m = { ...merchant, timeoutUrl: 'https://shop.example.com/timeout?x=y' };
    expect(
      buildTimeoutUrl(m, { id: 5, outOrderId: 'o 1', priceCents: 1, type: 'alipay', productId: '0' }),
    ).toBe('https://shop.example.com/timeout?x=y&out_order_id=o+1&order_id=5');
  });

  it('percent-encodes a raw non-ASCII merchant URL for the Location header', () => {
    expect(locationHeader('https://shop.example.com/超时?a=1')).toBe(
      'https://shop.example.com/%E8%B6%85%E6%97%B6?a=1',
    );
  });
});

describe('cashier phase', () => {
  const paidAt = 1_700_000_000_000;
  it('waits while unpaid and closes when expired', () => {
    expect(phaseOf({ status: 'unpaid', notifyState: 'pending', paidAt: null, now: paidAt })).toBe('waiting');
    expect(phaseOf({ status: 'expired', notifyState: 'pending', paidAt: null, now: paidAt })).toBe('closed');
  });

  it('is done once the notification was delivered', () => {
    expect(phaseOf({ status: 'paid', notifyState: 'delivered', paidAt, now: paidAt })).toBe('done');
  });

  it('offers the return button one minute after the payment while the merchant has not answered', () => {
    const at = (ms: number, notifyState: 'pending' | 'failed' = 'pending') =>
      phaseOf({ status: 'paid', notifyState, paidAt, now: paidAt + ms });
    expect(at(0)).toBe('notifying');
    expect(at(RETURN_BUTTON_AFTER_MS - 1)).toBe('notifying');
    expect(at(RETURN_BUTTON_AFTER_MS)).toBe('delayed');
    expect(at(RETURN_BUTTON_AFTER_MS * 10, 'failed')).toBe('delayed');
  });
});
