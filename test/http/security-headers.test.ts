import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParams } from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  createOrder,
  type MerchantSite,
  type SeededMerchant,
  seedMerchant,
  startMerchantSite,
} from '../cashier/setup.js';

/** The headers of a stream's answer, without waiting for its end. */
async function headersOf(url: string): Promise<Headers> {
  const ctl = new AbortController();
  const res = await fetch(url, { signal: ctl.signal });
  ctl.abort();
  return res.headers;
}

function expectNotFramable(h: Headers, what: string) {
  expect(h.get('x-frame-options'), what).toBe('DENY');
  expect(h.get('content-security-policy'), what).toContain("frame-ancestors 'none'");
  expect(h.get('x-content-type-options'), what).toBe('nosniff');
}

describe('security headers', () => {
  let gw: TestGateway;
  let site: MerchantSite;
  let m: SeededMerchant;
  let token: string;
  beforeAll(async () => {
    site = await startMerchantSite();
    gw = await startTestGateway();
    m = await seedMerchant(gw, site);
    token = (await createOrder(gw, m)).token;
  });
  afterAll(async () => {
    await gw?.close();
    await site?.close();
  });

  it('keeps the cashier and /pay/any pages out of other sites’ frames', async () => {
    expectNotFramable((await fetch(`${gw.url}/pay/api?id=${token}`)).headers, 'cashier page');
    expectNotFramable((await fetch(`${gw.url}/pay/api?id=nope`)).headers, 'cashier 404 page');
    expectNotFramable(
      (await fetch(`${gw.url}/pay/any?appkey=${m.appkey}&token=${m.payToken}`)).headers,
      '/pay/any form',
    );
    expectNotFramable((await fetch(`${gw.url}/pay/any?appkey=x&token=y`)).headers, '/pay/any 403 page');
  });

  it('sends nosniff on JSON, event-stream, image and error answers', async () => {
    const answers = {
      'merchant API': await fetch(`${gw.url}/api/anypay/create`, {
        method: 'POST',
        body: new URLSearchParams(
          createParams(m, { price: '2', type: 'alipay', out_order_id: 'hdr-1', custom: '' }),
        ),
      }).then((r) => r.headers),
      'cashier JSON': (await fetch(`${gw.url}/pay/api?id=${token}&format=json`)).headers,
      'event stream': await headersOf(`${gw.url}/pay/events?id=${token}`),
      'QR image': (await fetch(`${gw.url}/qrcode/build?text=hi`)).headers,
      'not found': (await fetch(`${gw.url}/nowhere`)).headers,
      'malformed JSON': (
        await fetch(`${gw.url}/api/anypay/create`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{',
        })
      ).headers,
    };
    expect(answers['event stream'].get('content-type')).toContain('text/event-stream');
    for (const [what, h] of Object.entries(answers))
      expect(h.get('x-content-type-options'), what).toBe('nosniff');
  });

  it('sends no HSTS while the public URL is plain http', async () => {
    expect((await fetch(`${gw.url}/healthz`)).headers.get('strict-transport-security')).toBeNull();
  });
});

describe('HSTS behind https', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { PUBLIC_URL: 'https://pay.example.com' } });
  });
  afterAll(() => gw?.close());

  it('sends Strict-Transport-Security on every answer when PUBLIC_URL is https', async () => {
    for (const path of ['/healthz', '/pay/api?id=nope', '/nowhere']) {
      const h = (await fetch(`${gw.url}${path}`)).headers;
      expect(h.get('strict-transport-security'), path).toBe('max-age=31536000');
    }
  });
});
