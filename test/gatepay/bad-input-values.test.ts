import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  createParams,
  expectRefused,
  findOrderParams,
  type MerchantCreds,
  provisionMerchant,
  VIAS,
} from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/**
 * Refusals of create requests that are correctly signed but ask for something the gateway must
 * not do, or are malformed. Each stores nothing and is never a 5xx.
 */

const KINDS = ['anypay', 'cloudpay', 'stablepay', 'grouppay'] as const;
type Kind = (typeof KINDS)[number];

describe('GatePay create refusals', () => {
  let gw: TestGateway;
  let m: MerchantCreds & { id: number };
  let productId: number;
  let seq = 0;

  beforeAll(async () => {
    gw = await startTestGateway();
    m = (await provisionMerchant(gw, { name: 'Values shop', types: ['alipay', 'wechat'] })).merchant;
    productId = (await gw.services.products.add({ merchantId: m.id, name: 'P', price: '8' })).id;
  });
  afterAll(() => gw.close());

  function params(kind: Kind, who: MerchantCreds, over: { type?: string } = {}) {
    const base = { type: over.type ?? 'alipay', out_order_id: `v-${++seq}`, custom: '' };
    if (kind === 'stablepay') return createParams(who, { ...base, product_id: String(productId) });
    if (kind === 'grouppay') return createParams(who, { ...base, fields: `${productId}:1` });
    return createParams(who, { ...base, price: '10' });
  }

  /** A merchant like `m` but with one setting changed, with its own products. */
  async function merchantWith(settings: Parameters<TestGateway['services']['merchants']['set']>[1]) {
    const other = (await provisionMerchant(gw, { name: 'Variant', types: ['alipay', 'wechat'] })).merchant;
    await gw.services.merchants.set(other.id, settings);
    return other;
  }

  for (const kind of KINDS) {
    describe(kind, () => {
      const path = `/api/${kind}/create`;

      it('answers 106 when realprice is passed', async () => {
        for (const via of VIAS) {
          await expectRefused(
            gw,
            () => call(gw.url, path, { ...params(kind, m), realprice: '0.01' }, via),
            106,
            {
              msg: /^存在禁止传递的参数/,
            },
          );
        }
      });

      it('answers 107 when the API is closed for the merchant', async () => {
        const closed = await merchantWith({ apiEnabled: false });
        await expectRefused(gw, () => call(gw.url, path, params(kind, closed)), 107, { msg: 'api已关闭' });
      });

      it('answers 202 for a payment type that does not exist', async () => {
        for (const type of ['bitcoin', 'Alipay', 'qqpay']) {
          await expectRefused(gw, () => call(gw.url, path, params(kind, m, { type })), 202, {
            msg: '无效的支付方式',
          });
        }
      });

      it('answers 203 when the merchant closed the payment type', async () => {
        const noWechat = await merchantWith({ wechatEnabled: false });
        await expectRefused(gw, () => call(gw.url, path, params(kind, noWechat, { type: 'wechat' })), 203, {
          msg: '当前支付方式已关闭',
        });
        expect((await call(gw.url, path, params(kind, noWechat, { type: 'alipay' }))).body!.code).toBe(
          kind === 'anypay' || kind === 'cloudpay' ? 100 : 205,
        );
      });
    });
  }

  it.each(['stablepay', 'grouppay'] as const)('answers 106 when %s is given a price', async (kind) => {
    await expectRefused(
      gw,
      () => call(gw.url, `/api/${kind}/create`, { ...params(kind, m), price: '0.01' }),
      106,
    );
  });

  for (const kind of ['anypay', 'cloudpay'] as const) {
    it.each([
      '0',
      '0.00',
      '-1',
      '1.234',
      '1e3',
      'NaN',
      'Infinity',
      ' 10',
      '10.',
      '010',
      '0x10',
      '１０',
      '100000000',
    ])(`${kind}: answers 201 for price %j`, async (price) => {
      for (const via of VIAS) {
        await expectRefused(
          gw,
          () =>
            call(
              gw.url,
              `/api/${kind}/create`,
              createParams(m, { price, type: 'alipay', out_order_id: `price-${++seq}`, custom: '' }),
              via,
            ),
          201,
          { msg: '价格无效' },
        );
      }
    });

    it(`${kind}: answers 105 naming price for an empty price`, async () => {
      await expectRefused(
        gw,
        () =>
          call(
            gw.url,
            `/api/${kind}/create`,
            createParams(m, { price: '', type: 'alipay', out_order_id: 'e', custom: '' }),
          ),
        105,
        { msg: '参数缺失: price' },
      );
    });
  }

  describe('oversized and malformed bodies', () => {
    it('answers a 1 MB form body with 413 and envelope code 105', async () => {
      const p = createParams(m, {
        price: '10',
        type: 'alipay',
        out_order_id: 'huge',
        custom: 'x'.repeat(1 << 20),
      });
      await expectRefused(gw, () => call(gw.url, '/api/anypay/create', p, 'form'), 105, { status: 413 });
    });

    it('answers a 1 MB JSON body with 413 and envelope code 105', async () => {
      const p = createParams(m, {
        price: '10',
        type: 'alipay',
        out_order_id: 'huge',
        custom: 'x'.repeat(1 << 20),
      });
      await expectRefused(gw, () => call(gw.url, '/api/anypay/create', p, 'json'), 105, { status: 413 });
    });

    it('answers 105 naming custom for a 2,000-character custom and takes 1,024', async () => {
      for (const via of VIAS) {
        const p = createParams(m, {
          price: '10',
          type: 'alipay',
          out_order_id: `long-${via}`,
          custom: 'c'.repeat(2000),
        });
        await expectRefused(gw, () => call(gw.url, '/api/anypay/create', p, via), 105, { msg: /custom/ });
      }
      const ok = createParams(m, {
        price: '10',
        type: 'alipay',
        out_order_id: 'long-ok',
        custom: 'c'.repeat(1024),
      });
      expect((await call(gw.url, '/api/anypay/create', ok)).body!.code).toBe(100);
    });

    it('answers invalid JSON with 400 and envelope code 105', async () => {
      await expectRefused(
        gw,
        async () => {
          const res = await fetch(`${gw.url}/api/anypay/create`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"appkey": ',
          });
          const text = await res.text();
          return { status: res.status, contentType: '', text, body: JSON.parse(text) };
        },
        105,
        { status: 400 },
      );
    });

    it('answers an unsupported media type with 415 and envelope code 105', async () => {
      await expectRefused(
        gw,
        async () => {
          const res = await fetch(`${gw.url}/api/anypay/create`, {
            method: 'POST',
            headers: { 'content-type': 'application/xml' },
            body: '<appkey/>',
          });
          const text = await res.text();
          return { status: res.status, contentType: '', text, body: JSON.parse(text) };
        },
        105,
        { status: 415 },
      );
    });

    it('answers a malformed body in English with lang=en in the query', async () => {
      const res = await fetch(`${gw.url}/api/anypay/create?lang=en`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"appkey": ',
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: number; msg: string };
      expect(body.code).toBe(105);
      expect(body.msg).toMatch(/^missing parameter/);
    });

    it.each([
      ['an object', { a: 1 }],
      ['an array', ['10']],
      ['a boolean', true],
      ['null', null],
    ])('answers 105 naming price when the JSON price is %s', async (_what, value) => {
      const p = createParams(m, { price: '10', type: 'alipay', out_order_id: 'typed', custom: '' });
      await expectRefused(gw, () => call(gw.url, '/api/anypay/create', { ...p, price: value }, 'json'), 105, {
        msg: /price/,
      });
    });

    it('answers 105 naming the field when a signed query key is repeated', async () => {
      for (const via of ['get', 'form'] as const) {
        const p = new URLSearchParams(
          createParams(m, { price: '10', type: 'alipay', out_order_id: 'rep', custom: '' }),
        );
        p.append('price', '11');
        await expectRefused(gw, () => call(gw.url, '/api/anypay/create', p, via), 105, { msg: /price/ });
      }
    });
  });

  describe('text fields', () => {
    it('stores and echoes SQL meta-characters and emoji in custom exactly', async () => {
      const custom = `'; DROP TABLE orders; -- 张三 🧧 "quoted" \\ back\\slash %_`;
      for (const via of VIAS) {
        const out = `sql-${via}`;
        const p = createParams(m, { price: '12', type: 'alipay', out_order_id: out, custom });
        const res = await call(gw.url, '/api/anypay/create', p, via);
        expect(res.body!.code).toBe(100);
        expect(res.body!.data.params.custom).toBe(custom);
        const row = await gw.services.db.kysely
          .selectFrom('orders')
          .select('custom')
          .where('id', '=', res.body!.data.order_id)
          .executeTakeFirstOrThrow();
        expect(row.custom).toBe(custom);
      }
    });

    it('takes an out_order_id made of SQL meta-characters and finds it again', async () => {
      const out = `a'b";--%_\\`;
      const res = await call(
        gw.url,
        '/api/anypay/create',
        createParams(m, { price: '13', type: 'alipay', out_order_id: out, custom: '' }),
      );
      expect(res.body!.code).toBe(100);
      expect(res.body!.data.params.out_order_id).toBe(out);
      const found = await call(gw.url, '/api/find/findOrder', findOrderParams(m, out));
      expect(found.body!.data.order_id).toBe(res.body!.data.order_id);
      // A LIKE pattern must not match it.
      expect((await call(gw.url, '/api/find/findOrder', findOrderParams(m, `a'b";--__\\`))).body!.code).toBe(
        201,
      );
    });

    it.each([
      ['non-ASCII', '订单-1'],
      ['emoji', 'order-🧧'],
      ['a space', 'order 1'],
      ['a tab', 'order\t1'],
      ['129 characters', 'o'.repeat(129)],
      ['nothing', ''],
    ])('answers 105 for an out_order_id with %s', async (_what, out) => {
      await expectRefused(
        gw,
        () =>
          call(
            gw.url,
            '/api/anypay/create',
            createParams(m, { price: '10', type: 'alipay', out_order_id: out, custom: '' }),
          ),
        105,
        { msg: /out_order_id/ },
      );
    });
  });

  it('answers 110 once the daily quota of orders is used up', async () => {
    const quota = await merchantWith({ dailyQuota: 2 });
    for (let i = 0; i < 2; i++) {
      const ok = await call(
        gw.url,
        '/api/anypay/create',
        createParams(quota, { price: '10', type: 'alipay', out_order_id: `q${i}`, custom: '' }),
      );
      expect(ok.body!.code).toBe(100);
    }
    await expectRefused(
      gw,
      () =>
        call(
          gw.url,
          '/api/anypay/create',
          createParams(quota, { price: '10', type: 'alipay', out_order_id: 'q2', custom: '' }),
        ),
      110,
      { msg: '套餐已超额' },
    );
  });

  it('answers 204 when the merchant has no receiving account for the type', async () => {
    const none = (await provisionMerchant(gw, { name: 'No accounts', types: ['alipay'] })).merchant;
    await expectRefused(
      gw,
      () =>
        call(
          gw.url,
          '/api/anypay/create',
          createParams(none, { price: '10', type: 'wechat', out_order_id: 'n', custom: '' }),
        ),
      204,
      { msg: '无可用支付方式' },
    );
  });

  it('reads a JSON number appkey as its digits (unknown: 102) and refuses an object appkey with 105', async () => {
    const p = {
      ...createParams(m, { price: '10', type: 'alipay', out_order_id: 'ak', custom: '' }),
      appkey: 123,
    };
    await expectRefused(gw, () => call(gw.url, '/api/anypay/create', p, 'json'), 102, { msg: '无效的秘钥' });
    const obj = { ...p, appkey: { $ne: '' } };
    await expectRefused(gw, () => call(gw.url, '/api/anypay/create', obj, 'json'), 105, { msg: /appkey/ });
  });
});
