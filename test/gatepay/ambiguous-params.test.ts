import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duplicateJsonKey } from '../../src/http/json-body.js';
import {
  type Answer,
  createParams,
  expectRefused,
  type MerchantCreds,
  provisionMerchant,
} from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

describe('duplicateJsonKey', () => {
  it('finds a key given twice in one object, at any depth, however it is escaped', () => {
    expect(duplicateJsonKey('{"a":"1","b":"2","a":"3"}')).toBe('a');
    expect(duplicateJsonKey('{"x":{"k":1,"k":2}}')).toBe('k');
    expect(duplicateJsonKey('[{"k":1},{"j":1,"j":1}]')).toBe('j');
    expect(duplicateJsonKey('{"a":1,"\\u0061":2}')).toBe('a');
  });

  it('accepts the same key in different objects, and JSON without objects', () => {
    expect(duplicateJsonKey('{"a":{"a":1},"b":{"a":{"a":2}}}')).toBeNull();
    expect(duplicateJsonKey('[{"a":1},{"a":2}]')).toBeNull();
    expect(duplicateJsonKey('{"x":{"k":1},"k":2}')).toBeNull();
    expect(duplicateJsonKey('"a"')).toBeNull();
    expect(duplicateJsonKey('{}')).toBeNull();
  });
});

/** Requests that two readers could read two ways are refused with 105 and change nothing. */
describe('GatePay refuses ambiguous parameters', () => {
  let gw: TestGateway;
  let m: MerchantCreds;
  beforeAll(async () => {
    gw = await startTestGateway();
    m = (await provisionMerchant(gw)).merchant;
  });
  afterAll(() => gw?.close());

  let seq = 0;
  const params = () =>
    createParams(m, { price: '3', type: 'alipay', out_order_id: `amb-${++seq}`, custom: '' });
  const send = async (path: string, init: RequestInit): Promise<Answer> => {
    const res = await fetch(`${gw.url}${path}`, init);
    const text = await res.text();
    let body: Answer['body'] = null;
    try {
      body = JSON.parse(text);
    } catch {
      // left null: expectRefused reports the text
    }
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', body, text };
  };
  const rawJson = (text: string, query = '') =>
    send(`/api/anypay/create${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: text,
    });
  /** The signed parameters as JSON text, with `extra` (already JSON) spliced in after the first. */
  const jsonWith = (p: Record<string, string>, extra: string) => {
    const text = JSON.stringify(p);
    return `{${extra},${text.slice(1)}`;
  };

  it('answers 400 with 105 for a JSON body that repeats a key, whichever copy was signed', async () => {
    const p = params();
    // JSON.parse keeps the last copy (the signed 3.00); a proxy or log that keeps the first sees 300.
    await expectRefused(gw, () => rawJson(jsonWith(p, `"price":"300"`)), 105, {
      status: 400,
      msg: /duplicate key "price"/,
    });
    await expectRefused(gw, () => rawJson(jsonWith(p, `"sign":"${p.sign}"`)), 105, {
      status: 400,
      msg: /duplicate key "sign"/,
    });
    await expectRefused(gw, () => rawJson(jsonWith(p, `"\\u0070rice":"99"`)), 105, {
      status: 400,
      msg: /duplicate key "price"/,
    });
  });

  it('still takes a well-formed JSON body', async () => {
    const res = await rawJson(JSON.stringify(params()));
    expect(res.body?.code, res.text).toBe(100);
  });

  it('answers 105 for a parameter given in both the query string and the body', async () => {
    const p = params();
    const inQuery = (name: string, value: string) => `?${new URLSearchParams({ [name]: value })}`;
    await expectRefused(
      gw,
      () =>
        send(`/api/anypay/create${inQuery('price', '300')}`, {
          method: 'POST',
          body: new URLSearchParams(p),
        }),
      105,
      { msg: '参数缺失: price given in both the query string and the body' },
    );
    // Even the same value: which one a proxy or log saw is not knowable.
    await expectRefused(
      gw,
      () =>
        send(`/api/anypay/create${inQuery('appkey', p.appkey!)}`, {
          method: 'POST',
          body: new URLSearchParams(p),
        }),
      105,
      { msg: /appkey given in both/ },
    );
    await expectRefused(gw, () => rawJson(JSON.stringify(p), inQuery('custom', 'x')), 105, {
      msg: /custom given in both/,
    });
  });

  it('still reads the query string and the body together when they name different keys', async () => {
    const { sign, ...rest } = params();
    const res = await send(`/api/anypay/create?${new URLSearchParams({ sign: sign! })}`, {
      method: 'POST',
      body: new URLSearchParams(rest),
    });
    expect(res.body?.code, res.text).toBe(100);
  });
});
