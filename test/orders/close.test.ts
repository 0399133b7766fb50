import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createParams, type MerchantCreds, provisionMerchant } from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** OrderService.close: what V免签 `closeOrder` and 易支付 `pay/close` stand on. */
describe('closing an unpaid order', () => {
  let gw: TestGateway;
  let m: MerchantCreds & { id: number };
  let accountId: number;

  beforeAll(async () => {
    gw = await startTestGateway();
    const p = await provisionMerchant(gw, { name: 'Close shop' });
    m = p.merchant;
    accountId = p.accounts.alipay!;
  });
  afterAll(() => gw.close());

  const create = async (out: string, price: string) => {
    const res = await call(
      gw.url,
      '/api/cloudpay/create',
      createParams(m, { price, type: 'alipay', out_order_id: out, custom: '' }),
    );
    expect(res.body!.code).toBe(100);
    return res.body!.data as { order_id: number; realprice: string };
  };

  it('expires it now and frees its amount for the next order', async () => {
    const first = await create('close-1', '3.21');
    expect(first.realprice).toBe('3.21');
    // While the first holds 3.21, the next order of 3.21 gets another amount.
    const held = await create('close-held', '3.21');
    expect(held.realprice).not.toBe('3.21');

    const closed = await gw.services.orders.close(first.order_id);
    expect(closed).toMatchObject({ id: first.order_id, status: 'expired' });
    expect(closed!.holdUntil).toBeLessThanOrEqual(Date.now());

    const next = await create('close-2', '3.21');
    expect(next.realprice).toBe('3.21');

    // A payment of 3.21 made now pays the new holder, not the closed order.
    const r = await gw.services.payments.record({
      accountId,
      type: 'alipay',
      amountCents: 321,
      paidAt: Date.now(),
      reporterId: 'close-pay-1',
      source: 'simulate',
    });
    expect(r).toMatchObject({ outcome: 'paid', orderId: next.order_id });
  });

  it('leaves a paid order as it is, and answers null for an unknown one', async () => {
    const o = await create('close-paid', '4.56');
    await gw.services.payments.record({
      accountId,
      type: 'alipay',
      amountCents: Math.round(Number(o.realprice) * 100),
      paidAt: Date.now(),
      reporterId: 'close-paid-1',
      source: 'simulate',
    });
    const after = await gw.services.orders.close(o.order_id);
    expect(after).toMatchObject({ id: o.order_id, status: 'paid' });
    expect(await gw.services.orders.close(999_999_999)).toBeNull();
  });
});
