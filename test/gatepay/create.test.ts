import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  countRows,
  createParams,
  dataUrlBytes,
  type MerchantCreds,
  PNG_SIGNATURE,
  provisionMerchant,
  readQr,
  VIAS,
} from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const KINDS = ['anypay', 'cloudpay', 'stablepay', 'grouppay'] as const;
type Kind = (typeof KINDS)[number];

describe('GatePay create endpoints', () => {
  let gw: TestGateway;
  let m: MerchantCreds & { id: number };
  let productA: number;
  let productB: number;
  let seq = 0;

  beforeAll(async () => {
    gw = await startTestGateway();
    const p = await provisionMerchant(gw, { name: 'Create shop', types: ['alipay', 'wechat'] });
    m = p.merchant;
    productA = (await gw.services.products.add({ merchantId: m.id, name: 'Tea', price: '9.90' })).id;
    productB = (await gw.services.products.add({ merchantId: m.id, name: 'Cake', price: '5' })).id;
  });
  afterAll(() => gw.close());

  /** Signed params of a valid request of `kind`, and the price it must come to. */
  function validRequest(kind: Kind, type: 'alipay' | 'wechat') {
    const out_order_id = `create-${kind}-${++seq}`;
    const custom = `buyer${seq}@example.com`;
    if (kind === 'stablepay') {
      return {
        params: createParams(m, { product_id: String(productA), type, out_order_id, custom }),
        price: '9.90',
      };
    }
    if (kind === 'grouppay') {
      return {
        params: createParams(m, { fields: `${productA}:1,${productB}:2`, type, out_order_id, custom }),
        price: '19.90',
      };
    }
    // A fresh price each time, so the realprice is the price itself.
    const price = `${100 + seq}.5`;
    return { params: createParams(m, { price, type, out_order_id, custom }), price: `${100 + seq}.50` };
  }

  for (const kind of KINDS) {
    for (const via of VIAS) {
      it(`${kind} via ${via}: answers the envelope with every field of data`, async () => {
        const type = via === 'json' ? 'wechat' : 'alipay';
        const { params, price } = validRequest(kind, type);
        const before = Math.floor(Date.now() / 1000);
        const res = await call(gw.url, `/api/${kind}/create`, params, via);
        const after = Math.floor(Date.now() / 1000);

        expect(res.status).toBe(200);
        expect(res.contentType).toMatch(/^application\/json/);
        const body = res.body!;
        expect(Object.keys(body).sort()).toEqual(['code', 'data', 'msg', 'time']);
        expect(body.code).toBe(100);
        expect(body.msg).toBe('请求成功');
        expect(body.time).toMatch(/^\d+$/);
        expect(Number(body.time)).toBeGreaterThanOrEqual(before);
        expect(Number(body.time)).toBeLessThanOrEqual(after);

        const d = body.data;
        const expectedKeys = [
          'order_id',
          'pay_url',
          'api_url',
          'qrcode_url',
          ...(kind === 'cloudpay' ? [] : ['qrcode_body']),
          'price',
          'realprice',
          'expire_time',
          'params',
        ];
        expect(Object.keys(d).sort()).toEqual(expectedKeys.sort());
        expect(Number.isInteger(d.order_id)).toBe(true);

        const row = await gw.services.db.kysely
          .selectFrom('orders')
          .selectAll()
          .where('id', '=', d.order_id)
          .executeTakeFirstOrThrow();
        expect(row.out_order_id).toBe(params.out_order_id);
        expect(row.kind).toBe(kind);
        expect(row.type).toBe(type);

        const escapedUrl = gw.url.replace(/[.]/g, '\\.');
        const m1 = new RegExp(`^${escapedUrl}/pay/api\\?id=([A-Za-z0-9_-]+)&type=${type}$`).exec(d.pay_url);
        expect(m1, d.pay_url).not.toBeNull();
        const token = m1![1]!;
        expect(token).toBe(row.token);
        expect(token).not.toBe(String(d.order_id));
        expect(token.length).toBeGreaterThanOrEqual(22); // ≥ 128 bits of base64url
        expect(d.api_url).toBe(`${d.pay_url}&format=json`);
        expect(d.qrcode_url).toBe(`${gw.url}/qrcode/build?size=130&text=${encodeURIComponent(d.pay_url)}`);

        if (kind === 'cloudpay') {
          expect('qrcode_body' in d).toBe(false);
        } else {
          expect(d.qrcode_body).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
          const png = dataUrlBytes(d.qrcode_body);
          expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
          expect(png.toString('ascii', 12, 16)).toBe('IHDR');
        }

        expect(d.price).toBe(price);
        expect(d.realprice).toMatch(/^\d+\.\d{2}$/);
        expect(Number(d.realprice)).toBeLessThanOrEqual(Number(price));
        expect(Number(d.realprice)).toBeGreaterThan(Number(price) - 1);
        expect(Math.round(Number(d.realprice) * 100)).toBe(Number(row.realprice_cents));
        if (kind === 'anypay' || kind === 'cloudpay') expect(d.realprice).toBe(price);

        expect(Number.isInteger(d.expire_time)).toBe(true);
        expect(d.expire_time).toBeGreaterThanOrEqual(before + 300);
        expect(d.expire_time).toBeLessThanOrEqual(after + 300);

        expect(d.params).toEqual(params);
      });
    }
  }

  it('ignores unknown extra parameters such as the PHP SDK _t and does not echo them', async () => {
    const { params } = validRequest('anypay', 'alipay');
    const res = await call(gw.url, '/api/anypay/create', { ...params, _t: '1556614084' }, 'get');
    expect(res.body!.code).toBe(100);
    expect(res.body!.data.params).toEqual(params);
  });

  it('accepts the sign in upper-case hex', async () => {
    const { params } = validRequest('anypay', 'alipay');
    const res = await call(gw.url, '/api/anypay/create', { ...params, sign: params.sign!.toUpperCase() });
    expect(res.body!.code).toBe(100);
  });

  it('draws a qrcode_body that decodes to the pay_url', async () => {
    const { params } = validRequest('anypay', 'alipay');
    const d = (await call(gw.url, '/api/anypay/create', params)).body!.data;
    expect(readQr(dataUrlBytes(d.qrcode_body))).toBe(d.pay_url);
  });

  it('serves the order state as JSON at api_url', async () => {
    const { params } = validRequest('anypay', 'alipay');
    const d = (await call(gw.url, '/api/anypay/create', params)).body!.data;
    const res = await fetch(d.api_url);
    expect(res.status).toBe(200);
    const state = (await res.json()) as Record<string, unknown>;
    expect(state).toMatchObject({
      order_id: d.order_id,
      status: 'unpaid',
      realprice: d.realprice,
      expire_time: d.expire_time,
    });
  });

  describe('idempotent create', () => {
    it('returns the same order for the same out_order_id and parameters, storing nothing more', async () => {
      const params = createParams(m, { price: '33', type: 'alipay', out_order_id: 'idem-1', custom: 'c' });
      const first = await call(gw.url, '/api/anypay/create', params, 'form');
      expect(first.body!.code).toBe(100);
      const rows = await countRows(gw);
      for (const via of VIAS) {
        const again = await call(gw.url, '/api/anypay/create', params, via);
        expect(again.body!.code).toBe(100);
        const { qrcode_body: _a, ...a } = again.body!.data;
        const { qrcode_body: _b, ...b } = first.body!.data;
        expect(a).toEqual(b);
      }
      expect(await countRows(gw)).toEqual(rows);
    });

    it.each([
      ['price', { price: '34' }],
      ['type', { type: 'wechat' }],
      ['custom', { custom: 'someone else' }],
    ])('refuses the same out_order_id with a different %s with code 207', async (_what, change) => {
      const base = { price: '35', type: 'alipay', out_order_id: `idem-${_what}`, custom: 'c' };
      expect((await call(gw.url, '/api/anypay/create', createParams(m, base))).body!.code).toBe(100);
      const rows = await countRows(gw);
      const res = await call(gw.url, '/api/anypay/create', createParams(m, { ...base, ...change }));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ code: 207, data: null });
      expect(res.body!.msg).toContain('外部订单号重复');
      expect(await countRows(gw)).toEqual(rows);
    });

    it('refuses the same out_order_id on another create endpoint with code 207', async () => {
      const base = { price: '36', type: 'alipay', out_order_id: 'idem-kind', custom: 'c' };
      expect((await call(gw.url, '/api/anypay/create', createParams(m, base))).body!.code).toBe(100);
      const rows = await countRows(gw);
      const res = await call(gw.url, '/api/cloudpay/create', createParams(m, base));
      expect(res.body!.code).toBe(207);
      expect(await countRows(gw)).toEqual(rows);
    });
  });
});
