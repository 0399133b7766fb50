import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  createParams,
  findOrderParams,
  type MerchantCreds,
  productShowParams,
  provisionMerchant,
  sign,
  VIAS,
} from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

describe('GatePay findOrder', () => {
  let gw: TestGateway;
  let m: MerchantCreds & { id: number; name: string };
  let accountId: number;

  beforeAll(async () => {
    gw = await startTestGateway();
    const p = await provisionMerchant(gw, { name: 'Find shop' });
    m = p.merchant;
    accountId = p.accounts.alipay!;
  });
  afterAll(() => gw.close());

  const create = async (out: string, price: string) => {
    const res = await call(
      gw.url,
      '/api/anypay/create',
      createParams(m, { price, type: 'alipay', out_order_id: out, custom: 'c' }),
    );
    expect(res.body!.code).toBe(100);
    return res.body!.data as { order_id: number; realprice: string };
  };
  const find = (out: string, via: 'get' | 'form' | 'json' = 'get') =>
    call(gw.url, '/api/find/findOrder', findOrderParams(m, out), via);

  it('describes an unpaid order', async () => {
    const created = await create('find-unpaid', '1.88');
    for (const via of VIAS) {
      const res = await find('find-unpaid', via);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ code: 100, msg: '请求成功' });
      expect(res.body!.data).toMatchObject({
        order_id: created.order_id,
        order_title: 'Find shop',
        order_price: '1.88',
        order_realprice: '1.88',
        order_type: 'alipay',
        order_status: 'unpaid',
        paytime: 0,
        notify_status: 'pending',
      });
    }
  });

  it('answers the same on /api/order/check, the title also as order_name on both paths', async () => {
    const created = await create('find-check', '1.66');
    const viaFind = await find('find-check');
    for (const via of VIAS) {
      const res = await call(gw.url, '/api/order/check', findOrderParams(m, 'find-check'), via);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ code: 100 });
      expect(res.body!.data).toEqual(viaFind.body!.data);
      expect(res.body!.data).toMatchObject({
        order_id: created.order_id,
        order_name: 'Find shop',
        order_title: 'Find shop',
      });
    }
    const bad = findOrderParams(m, 'find-check');
    bad.sign = bad.sign!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const refused = await call(gw.url, '/api/order/check', bad);
    expect(refused.body!.code).not.toBe(100);
    expect(refused.body!.data ?? null).toBeNull();
  });

  it('describes a paid order with its pay time', async () => {
    const created = await create('find-paid', '2.5');
    const paidAt = Date.now() - 5000;
    const r = await gw.services.payments.record({
      accountId,
      type: 'alipay',
      amountCents: 250,
      paidAt,
      reporterId: 'find-paid-1',
      source: 'simulate',
    });
    expect(r).toMatchObject({ outcome: 'paid', orderId: created.order_id });
    const res = await find('find-paid');
    expect(res.body!.code).toBe(100);
    expect(res.body!.data).toMatchObject({
      order_id: created.order_id,
      order_price: '2.50',
      order_realprice: '2.50',
      order_status: 'paid',
      paytime: Math.floor(paidAt / 1000),
      late: false,
    });
    // The merchant's notify URL refuses connections, so delivery is still being retried.
    expect(res.body!.data.notify_status).toBe('pending');
  });

  it('answers 201 order not found for an unknown out_order_id', async () => {
    const res = await find('never-created');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: 201, msg: '订单不存在', data: null });
    const en = await call(gw.url, '/api/find/findOrder', {
      ...findOrderParams(m, 'never-created'),
      lang: 'en',
    });
    expect(en.body).toMatchObject({ code: 201, msg: 'order not found' });
  });

  it("does not show one merchant another merchant's order", async () => {
    await create('find-mine', '3');
    const other = (await provisionMerchant(gw, { name: 'Other', types: [] })).merchant;
    const res = await call(gw.url, '/api/find/findOrder', findOrderParams(other, 'find-mine'));
    expect(res.body!.code).toBe(201);
  });

  it('refuses a wrong sign with 104', async () => {
    await create('find-sign', '4');
    const res = await call(gw.url, '/api/find/findOrder', {
      appkey: m.appkey,
      out_order_id: 'find-sign',
      sign: sign(m.appkey, ['find-sign'], 'not the secret'),
    });
    expect(res.body).toMatchObject({ code: 104, msg: '无效的签名', data: null });
  });
});

describe('GatePay product/show', () => {
  let gw: TestGateway;
  let m: MerchantCreds & { id: number };

  beforeAll(async () => {
    gw = await startTestGateway();
    m = (await provisionMerchant(gw, { name: 'Catalogue shop', types: [] })).merchant;
  });
  afterAll(() => gw.close());

  it('lists categories with their products', async () => {
    const tea = await gw.services.products.add({
      merchantId: m.id,
      name: 'Tea',
      price: '9.9',
      stock: 12,
      category: 'Drinks',
      description: 'Green tea',
      image: 'https://img.example.com/tea.png',
    });
    const coffee = await gw.services.products.add({
      merchantId: m.id,
      name: 'Coffee',
      price: '15',
      category: 'Drinks',
    });
    const card = await gw.services.products.add({ merchantId: m.id, name: 'Gift card', price: '100.01' });
    const other = (await provisionMerchant(gw, { name: 'Other', types: [] })).merchant;
    await gw.services.products.add({ merchantId: other.id, name: 'Not mine', price: '1' });

    for (const via of VIAS) {
      const res = await call(gw.url, '/api/product/show', productShowParams(m), via);
      expect(res.status).toBe(200);
      expect(res.body!.code).toBe(100);
      const cats = res.body!.data as Array<{ id: number; name: string; products: any[] }>;
      expect(cats.map((c) => c.name)).toEqual(['Drinks', '默认']);
      const [drinks, plain] = cats as [(typeof cats)[0], (typeof cats)[0]];
      expect(drinks.products).toEqual([
        {
          id: tea.id,
          category_id: drinks.id,
          name: 'Tea',
          description: 'Green tea',
          image: 'https://img.example.com/tea.png',
          price: '9.90',
          stock: 12,
        },
        {
          id: coffee.id,
          category_id: drinks.id,
          name: 'Coffee',
          description: '',
          image: '',
          price: '15.00',
          stock: null,
        },
      ]);
      expect(plain.products).toEqual([
        {
          id: card.id,
          category_id: plain.id,
          name: 'Gift card',
          description: '',
          image: '',
          price: '100.01',
          stock: null,
        },
      ]);
    }
  });

  it('refuses a sign over anything but the appkey with 104', async () => {
    const res = await call(gw.url, '/api/product/show', {
      appkey: m.appkey,
      sign: sign(m.appkey, ['x'], m.appsecret),
    });
    expect(res.body).toMatchObject({ code: 104, data: null });
  });
});
