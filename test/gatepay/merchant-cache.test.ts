import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createParams, provisionMerchant } from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** Merchants are looked up by appkey on every call and kept for a second; changes must not wait. */
describe('merchant lookup cache', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  const create = (m: { appkey: string; appsecret: string }, out: string) =>
    call(
      gw.url,
      '/api/cloudpay/create',
      createParams(m, { price: '10', type: 'alipay', out_order_id: out, custom: '' }),
    );

  it('refuses a merchant disabled in this process at once, though it was just looked up', async () => {
    const { merchant } = await provisionMerchant(gw, { name: 'Cached shop' });
    expect((await create(merchant, 'cache-1')).body?.code).toBe(100);
    await gw.services.merchants.set(merchant.id, { enabled: false });
    const refused = await create(merchant, 'cache-2');
    expect(refused.body?.code).toBe(103);
    expect(refused.body?.msg).toBe('秘钥已过期');
  });

  it('sees a change made by another process (the CLI) within about a second', async () => {
    const { merchant } = await provisionMerchant(gw, { name: 'Shared shop' });
    expect((await create(merchant, 'shared-1')).body?.code).toBe(100);
    // What `shouyin merchant set ID --api-enabled 0` does from its own process: a plain update.
    await gw.services.db.kysely
      .updateTable('merchants')
      .set({ api_enabled: 0 })
      .where('id', '=', merchant.id)
      .execute();
    await new Promise((r) => setTimeout(r, 1100));
    expect((await create(merchant, 'shared-2')).body?.code).toBe(107);
  });
});
