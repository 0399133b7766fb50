import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createParams, type MerchantCreds, provisionMerchant } from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** How merchant settings shape realprice and expire_time. */
describe('realprice and merchant settings', () => {
  let gw: TestGateway;
  let seq = 0;

  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  const create = async (m: MerchantCreds, price: string, type = 'alipay') => {
    const res = await call(
      gw.url,
      '/api/anypay/create',
      createParams(m, { price, type, out_order_id: `rp-${++seq}`, custom: '' }),
    );
    return res.body!;
  };

  it('walks down from the price by default: 10.00, 9.99, 9.98', async () => {
    const { merchant } = await provisionMerchant(gw, { name: 'Down' });
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await create(merchant, '10')).data.realprice);
    expect(got).toEqual(['10.00', '9.99', '9.98']);
  });

  it('walks up with offsetDirection up: 10.00, 10.01, 10.02', async () => {
    const { merchant } = await provisionMerchant(gw, { name: 'Up' });
    await gw.services.merchants.set(merchant.id, { offsetDirection: 'up' });
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await create(merchant, '10')).data.realprice);
    expect(got).toEqual(['10.00', '10.01', '10.02']);
  });

  it('keeps the price of every order and varies only realprice', async () => {
    const { merchant } = await provisionMerchant(gw, { name: 'Price kept' });
    for (let i = 0; i < 3; i++) expect((await create(merchant, '7.5')).data.price).toBe('7.50');
  });

  it('holds realprices per account and type: another type starts again at the price', async () => {
    const { merchant } = await provisionMerchant(gw, { name: 'Types', types: ['alipay', 'wechat'] });
    expect((await create(merchant, '10', 'alipay')).data.realprice).toBe('10.00');
    expect((await create(merchant, '10', 'wechat')).data.realprice).toBe('10.00');
    expect((await create(merchant, '10', 'alipay')).data.realprice).toBe('9.99');
  });

  it('never goes to zero: a 0.02 order leaves room for two orders only', async () => {
    const { merchant } = await provisionMerchant(gw, { name: 'Tiny' });
    expect((await create(merchant, '0.02')).data.realprice).toBe('0.02');
    expect((await create(merchant, '0.02')).data.realprice).toBe('0.01');
    expect(await create(merchant, '0.02')).toMatchObject({ code: 204, data: null });
  });

  it('stops at the maximum offset and answers 204 past it', async () => {
    const { merchant } = await provisionMerchant(gw, { name: 'Max offset' });
    await gw.services.merchants.set(merchant.id, { maxOffset: '0.02' });
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await create(merchant, '10')).data.realprice);
    expect(got).toEqual(['10.00', '9.99', '9.98']);
    expect(await create(merchant, '10')).toMatchObject({ code: 204, data: null });
  });

  it('tries the next account when one has no free realprice left', async () => {
    const { merchant } = await provisionMerchant(gw, { name: 'Two accounts' });
    await gw.services.merchants.set(merchant.id, { maxOffset: '0' });
    await gw.services.accounts.add({
      merchantId: merchant.id,
      type: 'alipay',
      name: 'Second',
      qrContent: 'q2',
    });
    const first = await create(merchant, '10');
    const second = await create(merchant, '10');
    expect([first.data.realprice, second.data.realprice]).toEqual(['10.00', '10.00']);
    const accountOf = async (orderId: number) =>
      Number(
        (
          await gw.services.db.kysely
            .selectFrom('orders')
            .select('account_id')
            .where('id', '=', orderId)
            .executeTakeFirstOrThrow()
        ).account_id,
      );
    expect(await accountOf(first.data.order_id)).not.toBe(await accountOf(second.data.order_id));
    expect(await create(merchant, '10')).toMatchObject({ code: 204 });
  });

  it('frees a paid order’s realprice for the next order at once', async () => {
    const { merchant, accounts } = await provisionMerchant(gw, { name: 'Release' });
    expect((await create(merchant, '10')).data.realprice).toBe('10.00');
    const r = await gw.services.payments.record({
      accountId: accounts.alipay!,
      type: 'alipay',
      amountCents: 1000,
      paidAt: Date.now(),
      reporterId: 'release-1',
      source: 'simulate',
    });
    expect(r.outcome).toBe('paid');
    expect((await create(merchant, '10')).data.realprice).toBe('10.00');
  });

  it('respects the merchant order TTL in expire_time', async () => {
    const { merchant } = await provisionMerchant(gw, { name: 'TTL' });
    await gw.services.merchants.set(merchant.id, { orderTtl: 60 });
    const before = Math.floor(Date.now() / 1000);
    const res = await create(merchant, '10');
    const after = Math.floor(Date.now() / 1000);
    expect(res.data.expire_time).toBeGreaterThanOrEqual(before + 60);
    expect(res.data.expire_time).toBeLessThanOrEqual(after + 60);
  });
});
