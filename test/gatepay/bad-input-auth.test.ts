import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  expectRefused,
  type MerchantCreds,
  provisionMerchant,
  sign,
  type Via,
  VIAS,
} from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/**
 * Appkey and signature refusals, in the upstream order of codes, on every GatePay endpoint and
 * every way of sending parameters. Each refusal stores nothing and is never a 5xx.
 */

interface Endpoint {
  path: string;
  /** Signed fields after appkey, in order, with valid values. */
  fields: (productId: number) => Array<[string, string]>;
}

const ENDPOINTS: Endpoint[] = [
  ...(['anypay', 'cloudpay'] as const).map((k) => ({
    path: `/api/${k}/create`,
    fields: (): Array<[string, string]> => [
      ['price', '10'],
      ['type', 'alipay'],
      ['out_order_id', `auth-${k}`],
      ['custom', ''],
    ],
  })),
  {
    path: '/api/stablepay/create',
    fields: (pid) => [
      ['product_id', String(pid)],
      ['type', 'alipay'],
      ['out_order_id', 'auth-stable'],
      ['custom', 'x'],
    ],
  },
  {
    path: '/api/grouppay/create',
    fields: (pid) => [
      ['fields', `${pid}:2`],
      ['type', 'alipay'],
      ['out_order_id', 'auth-group'],
      ['custom', 'x'],
    ],
  },
  { path: '/api/find/findOrder', fields: () => [['out_order_id', 'auth-find']] },
  { path: '/api/product/show', fields: () => [] },
];

describe('GatePay authentication refusals', () => {
  let gw: TestGateway;
  let m: MerchantCreds & { id: number };
  let disabled: MerchantCreds & { id: number };
  let productId: number;

  beforeAll(async () => {
    // Every refusal here comes from one address; the limits on them are tested in test/http/.
    gw = await startTestGateway({
      env: { BAD_SIGN_LIMIT_PER_ADDRESS: '100000', BAD_SIGN_LIMIT_PER_APPKEY: '100000' },
    });
    m = (await provisionMerchant(gw, { name: 'Auth shop' })).merchant;
    productId = (await gw.services.products.add({ merchantId: m.id, name: 'P', price: '1' })).id;
    disabled = (await provisionMerchant(gw, { name: 'Disabled shop' })).merchant;
    await gw.services.merchants.set(disabled.id, { enabled: false });
  });
  afterAll(() => gw.close());

  /** Valid signed params of an endpoint for a merchant, as an ordered record. */
  function signed(e: Endpoint, who: MerchantCreds): Record<string, string> {
    const fields = e.fields(productId);
    return {
      appkey: who.appkey,
      ...Object.fromEntries(fields),
      sign: sign(
        who.appkey,
        fields.map(([, v]) => v),
        who.appsecret,
      ),
    };
  }

  const without = (p: Record<string, string>, name: string) =>
    Object.fromEntries(Object.entries(p).filter(([k]) => k !== name));

  for (const e of ENDPOINTS) {
    describe(e.path, () => {
      const refuse = async (
        params: () => Record<string, string> | URLSearchParams,
        code: number,
        msg: string | RegExp,
        vias: readonly Via[] = VIAS,
      ) => {
        for (const via of vias) {
          await expectRefused(gw, () => call(gw.url, e.path, params(), via), code, {
            msg,
            label: `${e.path} via ${via}`,
          });
        }
      };

      it('accepts the valid request these refusals are variations of', async () => {
        const res = await call(gw.url, e.path, signed(e, m), 'form');
        expect(res.body!.code).toBe(e.path === '/api/find/findOrder' ? 201 : 100);
      });

      it('answers 101 when appkey is missing', () =>
        refuse(() => without(signed(e, m), 'appkey'), 101, '秘钥必须'));

      it('answers 101 when appkey is empty', () =>
        refuse(() => ({ ...signed(e, m), appkey: '' }), 101, '秘钥必须'));

      it('answers 103 when sign is missing', () =>
        refuse(() => without(signed(e, m), 'sign'), 103, '签名必须'));

      it('answers 103 when sign is empty', () =>
        refuse(() => ({ ...signed(e, m), sign: '' }), 103, '签名必须'));

      it('answers 102 for an unknown appkey', () =>
        refuse(() => signed(e, { appkey: 'f'.repeat(32), appsecret: m.appsecret }), 102, '无效的秘钥'));

      it('answers 103 秘钥已过期 for a disabled merchant', () =>
        refuse(() => signed(e, disabled), 103, '秘钥已过期'));

      it('answers 104 for a sign made with the wrong secret', () =>
        refuse(() => signed(e, { appkey: m.appkey, appsecret: 'wrong' }), 104, '无效的签名'));

      it('answers 104 when a signed value was changed after signing', () => {
        const fields = e.fields(productId);
        if (fields.length === 0) {
          return refuse(
            () => ({ ...signed(e, m), sign: sign(m.appkey, [' '], m.appsecret) }),
            104,
            '无效的签名',
          );
        }
        const [name] = fields[fields.length - 1]!;
        return refuse(() => ({ ...signed(e, m), [name]: `${signed(e, m)[name]}2` }), 104, '无效的签名');
      });

      it('answers 104 for a sign that is not 32 hex digits', () =>
        refuse(() => ({ ...signed(e, m), sign: signed(e, m).sign!.slice(1) }), 104, '无效的签名'));

      for (const [name] of e.fields(0)) {
        it(`answers 105 naming ${name} when it is missing`, () =>
          refuse(() => without(signed(e, m), name), 105, new RegExp(`^参数缺失: ${name}`)));
      }

      it('answers 105 when appkey is given twice', () =>
        refuse(
          () => {
            const p = new URLSearchParams(signed(e, m));
            p.append('appkey', m.appkey);
            return p;
          },
          105,
          /appkey/,
          ['get', 'form'],
        ));

      it('answers in English with lang=en', async () => {
        const res = await call(gw.url, e.path, { ...signed(e, disabled), lang: 'en' });
        expect(res.body).toMatchObject({ code: 103, msg: 'merchant disabled' });
        const res2 = await call(gw.url, e.path, { ...without(signed(e, m), 'appkey'), lang: 'en' });
        expect(res2.body).toMatchObject({ code: 101, msg: 'appkey missing' });
        const res3 = await call(gw.url, e.path, { ...signed(e, { ...m, appsecret: 'x' }), lang: 'en' });
        expect(res3.body).toMatchObject({ code: 104, msg: 'invalid sign' });
      });
    });
  }
});
