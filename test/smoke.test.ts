import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParams, postForm } from './helpers/gatepay.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

describe('smoke', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('creates an order on a fresh gateway and finds it paid after a simulated payment', async () => {
    const m = await gw.services.merchants.add({
      name: 'S',
      notifyUrl: 'http://127.0.0.1:9/n',
      returnUrl: 'http://127.0.0.1:9/r',
    });
    await gw.services.accounts.add({
      merchantId: m.id,
      type: 'alipay',
      name: 'A',
      qrContent: 'https://qr.alipay.com/x',
    });
    const r = await postForm(
      `${gw.url}/api/anypay/create`,
      createParams(m, { price: '10', type: 'alipay', out_order_id: 'o1', custom: '' }),
    );
    expect(r.body.code).toBe(100);
    expect(r.body.data.realprice).toBe('10.00');
    expect(r.body.data.pay_url.startsWith(gw.url)).toBe(true);
    expect(r.body.data.qrcode_body).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
  });
});
