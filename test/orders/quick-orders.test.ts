import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateOrderRequest } from '../../src/orders/order.service.js';
import { provisionMerchant } from '../helpers/gatepay.js';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';

/**
 * Orders started on the unsigned quick collection page: anyone can start them, so they hold an
 * amount briefly, are limited per buyer address, and never use up the merchant's API quota.
 */
describe('quick collection orders', () => {
  let gw: TestGateway;
  const clock = new TestClock(Date.UTC(2025, 0, 6, 4, 0, 0));
  let seq = 0;

  beforeAll(async () => {
    gw = await startTestGateway({
      clock,
      env: { QUICK_ORDER_TTL: '180', QUICK_ORDER_GRACE: '120', QUICK_ORDERS_PER_ADDRESS: '3' },
    });
  });
  afterAll(() => gw.close());

  async function merchant(quota: number | null = null) {
    const { merchant } = await provisionMerchant(gw, { name: `Quick ${++seq}` });
    if (quota !== null) await gw.services.merchants.set(merchant.id, { dailyQuota: quota });
    return (await gw.services.merchants.findByAppkey(merchant.appkey))!;
  }

  const request = (m: CreateOrderRequest['merchant'], quick?: string): CreateOrderRequest => {
    const out = `q-${++seq}`;
    return {
      merchant: m,
      kind: 'anypay',
      type: 'alipay',
      pricing: { by: 'amount', priceCents: 1000 },
      outOrderId: out,
      custom: '',
      fingerprint: out,
      ...(quick ? { quick: { clientAddress: quick } } : {}),
    };
  };

  it('holds a quick order’s amount for its shorter lifetime and grace only', async () => {
    const m = await merchant();
    const { order } = await gw.services.orders.create(request(m, '198.51.100.1'));
    expect(order.expiresAt - order.createdAt).toBe(180_000);
    expect(order.holdUntil - order.expiresAt).toBe(120_000);
    expect(order.origin).toBe('quick');
    const api = (await gw.services.orders.create(request(m))).order;
    expect(api.expiresAt - api.createdAt).toBe(m.orderTtl * 1000);
    expect(api.holdUntil - api.expiresAt).toBe(gw.config.graceSeconds * 1000);
  });

  it('refuses a fourth open quick order from one address, not from another, and again after one expires', async () => {
    const m = await merchant();
    for (let i = 0; i < 3; i++) await gw.services.orders.create(request(m, '198.51.100.2'));
    await expect(gw.services.orders.create(request(m, '198.51.100.2'))).rejects.toMatchObject({ code: 110 });
    await gw.services.orders.create(request(m, '198.51.100.3'));
    clock.advance(181_000);
    await gw.services.orders.create(request(m, '198.51.100.2'));
  });

  it('answers the payer a 429 page in their language on the quick collection page past the limit', async () => {
    const m = await merchant();
    const post = () =>
      fetch(`${gw.url}/pay/any`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'accept-language': 'zh-CN' },
        body: new URLSearchParams({ appkey: m.appkey, token: m.payToken, price: '12.5', type: 'alipay' }),
      });
    for (let i = 0; i < 3; i++) expect((await post()).status).toBe(303);
    const refused = await post();
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain('您有多笔未支付的订单');
  });

  it('does not count quick orders against the merchant’s daily API quota', async () => {
    const m = await merchant(2);
    await gw.services.orders.create(request(m, '198.51.100.4'));
    await gw.services.orders.create(request(m, '198.51.100.5'));
    await gw.services.orders.create(request(m));
    await gw.services.orders.create(request(m));
    await expect(gw.services.orders.create(request(m))).rejects.toMatchObject({ code: 110 });
    await gw.services.orders.create(request(m, '198.51.100.6'));
  });
});
