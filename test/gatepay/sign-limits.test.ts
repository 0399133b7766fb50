import { afterEach, describe, expect, it } from 'vitest';
import {
  type Answer,
  countRows,
  createParams,
  findOrderParams,
  type MerchantCreds,
  provisionMerchant,
} from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** A form POST from `address` (as a trusted proxy at 127.0.0.1 reports it). */
async function post(gw: TestGateway, path: string, params: Record<string, string>, address?: string) {
  const res = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    body: new URLSearchParams(params),
    headers: address ? { 'x-forwarded-for': address } : {},
  });
  const text = await res.text();
  const body = JSON.parse(text);
  /** HTTP status and envelope code together: a limited answer is 429 with code 104. */
  const outcome = `${res.status} ${body.code}`;
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body, text, outcome };
}

let seq = 0;
const create = (m: MerchantCreds) =>
  createParams(m, { price: '1', type: 'alipay', out_order_id: `lim-${++seq}`, custom: '' });
const wrongSign = (m: MerchantCreds) => ({ ...create(m), sign: '0'.repeat(32) });

function expectLimited(res: Answer | Awaited<ReturnType<typeof post>>, msg: RegExp) {
  expect(res.status, res.text).toBe(429);
  expect(res.body).toMatchObject({ code: 104, data: null });
  expect(res.body!.msg).toMatch(msg);
  expect(res.body!.time).toMatch(/^\d+$/);
}

describe('merchant API limits on failed signatures', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('answers 429 with the envelope once an address has sent too many wrong signs, whatever it sends next', async () => {
    gw = await startTestGateway({ env: { BAD_SIGN_LIMIT_PER_ADDRESS: '3' } });
    const { merchant: m } = await provisionMerchant(gw);
    for (let i = 0; i < 3; i++)
      expect((await post(gw, '/api/anypay/create', wrongSign(m))).outcome).toBe('200 104');

    const before = await countRows(gw);
    const limited = await post(gw, '/api/anypay/create', create(m));
    expectLimited(limited, /^本地址秘钥或签名错误次数过多: 请 \d+ 秒后再试$/);
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(60);
    expect(await countRows(gw), 'a limited request creates nothing').toEqual(before);

    // Every merchant endpoint, in English too; the refusals themselves are not counted again.
    const en = await post(gw, '/api/find/findOrder', { ...findOrderParams(m, 'x'), lang: 'en' });
    expectLimited(en, /^too many requests with an invalid appkey or sign from this address: retry in \d+ s$/);
  });

  it('counts unknown appkeys (102) but not malformed requests (101, 103, 105)', async () => {
    gw = await startTestGateway({ env: { BAD_SIGN_LIMIT_PER_ADDRESS: '3' } });
    const { merchant: m } = await provisionMerchant(gw);
    for (let i = 0; i < 5; i++) {
      expect((await post(gw, '/api/anypay/create', { ...create(m), appkey: '' })).body.code).toBe(101);
      expect((await post(gw, '/api/anypay/create', { ...create(m), sign: '' })).body.code).toBe(103);
      const { custom: _custom, ...noCustom } = create(m);
      expect((await post(gw, '/api/anypay/create', noCustom)).body.code).toBe(105);
    }
    expect((await post(gw, '/api/anypay/create', create(m))).body.code).toBe(100);

    for (let i = 0; i < 3; i++) {
      const res = await post(gw, '/api/anypay/create', { ...create(m), appkey: `unknown${i}` });
      expect(res.outcome).toBe('200 102');
    }
    expectLimited(await post(gw, '/api/anypay/create', create(m)), /错误次数过多/);
  });

  it('lets the address in again when its window has passed', async () => {
    gw = await startTestGateway({ env: { BAD_SIGN_LIMIT_PER_ADDRESS: '2', RATE_LIMIT_WINDOW_MS: '1000' } });
    const { merchant: m } = await provisionMerchant(gw);
    await post(gw, '/api/anypay/create', wrongSign(m));
    await post(gw, '/api/anypay/create', wrongSign(m));
    expect((await post(gw, '/api/anypay/create', create(m))).status).toBe(429);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await post(gw, '/api/anypay/create', create(m))).body.code).toBe(100);
  });

  it('keeps each client address apart behind a trusted proxy', async () => {
    gw = await startTestGateway({ env: { BAD_SIGN_LIMIT_PER_ADDRESS: '2', TRUST_PROXY: '127.0.0.1' } });
    const { merchant: m } = await provisionMerchant(gw);
    await post(gw, '/api/anypay/create', wrongSign(m), '203.0.113.1');
    await post(gw, '/api/anypay/create', wrongSign(m), '203.0.113.1');
    expect((await post(gw, '/api/anypay/create', create(m), '203.0.113.1')).status).toBe(429);
    expect((await post(gw, '/api/anypay/create', create(m), '203.0.113.2')).body.code).toBe(100);
  });

  it('does not count its own 429 answers, nor unknown appkeys, against an appkey', async () => {
    gw = await startTestGateway({
      env: { BAD_SIGN_LIMIT_PER_ADDRESS: '2', BAD_SIGN_LIMIT_PER_APPKEY: '4', TRUST_PROXY: '127.0.0.1' },
    });
    const { merchant: m } = await provisionMerchant(gw);
    const a = '198.51.100.1';
    await post(gw, '/api/anypay/create', wrongSign(m), a);
    await post(gw, '/api/anypay/create', wrongSign(m), a);
    for (let i = 0; i < 10; i++)
      expect((await post(gw, '/api/anypay/create', wrongSign(m), a)).status).toBe(429);
    // The appkey has seen 2 failures, not 12: another guesser still gets its own two tries.
    const b = '198.51.100.2';
    expect((await post(gw, '/api/anypay/create', wrongSign(m), b)).outcome).toBe('200 104');
    expect((await post(gw, '/api/anypay/create', wrongSign(m), b)).outcome).toBe('200 104');

    const unknown = { ...create(m), appkey: 'no-such-appkey' };
    for (const c of ['198.51.100.3', '198.51.100.4', '198.51.100.5', '198.51.100.6', '198.51.100.7']) {
      expect((await post(gw, '/api/anypay/create', unknown, c)).outcome).toBe('200 102');
    }
    expect((await post(gw, '/api/anypay/create', unknown, '198.51.100.3')).outcome).toBe('200 102');
  });

  it('holds guessers of one appkey to one try each without locking its merchant out', async () => {
    gw = await startTestGateway({
      env: { BAD_SIGN_LIMIT_PER_ADDRESS: '100', BAD_SIGN_LIMIT_PER_APPKEY: '3', TRUST_PROXY: '127.0.0.1' },
    });
    const { merchant: m } = await provisionMerchant(gw, { name: 'Target' });
    const { merchant: other } = await provisionMerchant(gw, { name: 'Other' });
    for (const a of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      expect((await post(gw, '/api/anypay/create', wrongSign(m), a)).outcome).toBe('200 104');
    }
    // A new guesser gets its one failure, then the appkey's limit holds it.
    expect((await post(gw, '/api/anypay/create', wrongSign(m), '198.51.100.4')).outcome).toBe('200 104');
    expectLimited(
      await post(gw, '/api/anypay/create', wrongSign(m), '198.51.100.4'),
      /^该秘钥签名错误次数过多: 请 \d+ 秒后再试$/,
    );
    // A guesser that has failed is refused even with a right sign while the appkey is hot…
    expect((await post(gw, '/api/anypay/create', create(m), '198.51.100.1')).status).toBe(429);
    // …but the merchant's own server, which never failed, is served; so is another merchant.
    expect((await post(gw, '/api/anypay/create', create(m), '192.0.2.10')).body.code).toBe(100);
    expect((await post(gw, '/api/anypay/create', create(other), '198.51.100.1')).body.code).toBe(100);
  });
});
