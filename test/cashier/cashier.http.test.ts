import { createHash } from 'node:crypto';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertFixedCode } from '../../src/accounts/account.repository.js';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import {
  ALIPAY_QR,
  createOrder,
  type MerchantSite,
  type SeededMerchant,
  seedMerchant,
  simulatePayment,
  startMerchantSite,
  until,
} from './setup.js';

// jsqr is CommonJS exporting the function itself while its types declare a default export.
type JsQR = typeof jsQRModule.default;
const jsQR: JsQR = (jsQRModule as unknown as { default?: JsQR }).default ?? (jsQRModule as unknown as JsQR);

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148';
const WECHAT =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/124 Mobile Safari/537.36 MicroMessenger/8.0.49';

const withoutQr = (page: string) => page.replace(/data:image\/png;base64,[A-Za-z0-9+/=]+/g, '');

function decodeQr(page: string): string | null {
  const m = /src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/.exec(page);
  if (!m) return null;
  const png = PNG.sync.read(Buffer.from(m[1] as string, 'base64'));
  // Add a white quiet zone around the image so the decoder finds the finder patterns.
  const pad = 16;
  const w = png.width + pad * 2;
  const h = png.height + pad * 2;
  const data = new Uint8ClampedArray(w * h * 4).fill(255);
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const s = (y * png.width + x) * 4;
      const d = ((y + pad) * w + x + pad) * 4;
      data.set(png.data.subarray(s, s + 4), d);
    }
  }
  return jsQR(data, w, h)?.data ?? null;
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('cashier page over HTTP', () => {
  let gw: TestGateway;
  let site: MerchantSite;
  let m: SeededMerchant;
  let timeoutMerchant: SeededMerchant;
  const clock = new TestClock();

  beforeAll(async () => {
    site = await startMerchantSite('fail');
    gw = await startTestGateway({ clock, env: { NOTIFY_RETRY_SCHEDULE: '3600' } });
    m = await seedMerchant(gw, site, { name: '<img src=x onerror=alert(1)> 小铺' });
    timeoutMerchant = await seedMerchant(gw, site, { name: 'T', timeout: true });
  });
  afterAll(async () => {
    await gw?.close();
    await site?.close();
  });

  it('renders realprice, "pay exactly", the QR of the account, the countdown, all inline and small', async () => {
    await createOrder(gw, m, { price: '10' }); // takes 10.00, so the next one pays 9.99
    const o = await createOrder(gw, m, { price: '10', outOrderId: 'X<b>"&\'1' });
    const r = await get(o.pay_url);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('content-security-policy')).toMatch(/script-src 'nonce-[\w-]+'/);
    expect(r.text).toContain('<html lang="zh-CN">');
    expect(r.text).toContain('<small>¥</small>9.99</div>');
    expect(r.text).toContain('请务必支付此金额');
    expect(r.text).toContain('订单金额 ¥10.00');
    expect(r.text).toMatch(/<b id="cd">0[45]:[0-5]\d<\/b>/);
    expect(r.text).toContain('data-phase="waiting"');
    // Merchant name and out_order_id are escaped, never markup.
    expect(r.text).not.toContain('<img src=x');
    expect(r.text).toContain('&lt;img src=x onerror=alert(1)&gt; 小铺');
    expect(r.text).toContain('X&lt;b&gt;&quot;&amp;&#39;1');
    expect(r.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(decodeQr(r.text)).toBe(ALIPAY_QR);
    expect(Buffer.byteLength(withoutQr(r.text))).toBeLessThan(30 * 1024);
  });

  it('shows the fixed-amount code when the account has one for exactly the realprice', async () => {
    const fixed = 'https://qr.alipay.com/fixed-12-34';
    await upsertFixedCode(gw.services.db.kysely, m.alipayAccountId, 1234, fixed);
    const o = await createOrder(gw, m, { price: '12.34' });
    expect(o.realprice).toBe('12.34');
    const r = await get(o.pay_url, { 'user-agent': IPHONE });
    expect(decodeQr(r.text)).toBe(fixed);
    expect(r.text).toContain('二维码已包含金额');
    expect(r.text).toContain(
      `href="alipays://platformapi/startapp?saId=10000007&amp;qrcode=${encodeURIComponent(fixed)}"`,
    );
  });

  it('offers the Alipay app on phones, a long-press hint in WeChat and a scan hint on PCs', async () => {
    const a = await createOrder(gw, m, { price: '3' });
    const phone = await get(a.pay_url, { 'user-agent': IPHONE });
    expect(phone.text).toContain(`qrcode=${encodeURIComponent(ALIPAY_QR)}`);
    expect(phone.text).toContain('打开支付宝付款');
    const pc = await get(a.pay_url);
    expect(pc.text).not.toContain('alipays://');
    expect(pc.text).toContain('请打开手机支付宝，扫一扫上方二维码');

    const w = await createOrder(gw, m, { price: '3', type: 'wechat' });
    const inWechat = await get(w.pay_url, { 'user-agent': WECHAT });
    expect(inWechat.text).toContain('长按上方二维码');
    expect(inWechat.text).toContain('<body class="wechat">');
    expect(inWechat.text).not.toContain('alipays://');
  });

  it('speaks English by Accept-Language or lang=en, with a link back to Chinese', async () => {
    const o = await createOrder(gw, m, { price: '4' });
    const en = await get(o.pay_url, { 'accept-language': 'en-US,en;q=0.9' });
    expect(en.text).toContain('<html lang="en">');
    expect(en.text).toContain('Pay exactly this amount');
    expect(en.text).toContain('&amp;lang=zh"');
    const byParam = await get(`${o.pay_url}&lang=en`, { 'accept-language': 'zh-CN' });
    expect(byParam.text).toContain('Time left to pay');
    const zh = await get(o.pay_url, { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' });
    expect(zh.text).toContain('&amp;lang=en"');
  });

  it('answers format=json with the state, and 404 for bad or unknown ids', async () => {
    const o = await createOrder(gw, m, { price: '5.5' });
    const r = await fetch(`${o.pay_url}&format=json`);
    expect(r.status).toBe(200);
    const s = await r.json();
    expect(s).toMatchObject({
      order_id: o.order_id,
      status: 'unpaid',
      notify_status: 'pending',
      phase: 'waiting',
      realprice: o.realprice,
      price: '5.50',
      type: 'alipay',
      expire_time: o.expire_time,
      server_time: Math.floor(clock.now() / 1000),
      redirect_url: null,
    });

    for (const id of ['nope', 'AAAAAAAAAAAAAAAAAAAAAA', '<script>', '']) {
      const html = await get(`${gw.url}/pay/api?id=${encodeURIComponent(id)}&type=alipay`);
      expect(html.status).toBe(404);
      expect(html.text).toContain('订单不存在');
      expect(html.text).not.toContain('<script>');
      const json = await fetch(`${gw.url}/pay/api?id=${encodeURIComponent(id)}&format=json`);
      expect(json.status).toBe(404);
      expect(await json.json()).toEqual({ code: 404, msg: 'order not found', data: null });
    }
  });

  it('after a payment says the merchant is being told, and after 60 s offers the signed return URL', async () => {
    const o = await createOrder(gw, m, { price: '6', outOrderId: 'late-merchant-1' });
    await simulatePayment(gw, o.token);
    // The merchant answers "fail": the first attempt is made and recorded, then retried much later.
    await until(() => site.notifications.some((n) => n.out_order_id === 'late-merchant-1'), 10_000, 'notify');
    const paid = await (await fetch(`${o.pay_url}&format=json`)).json();
    expect(paid).toMatchObject({ status: 'paid', phase: 'notifying', redirect_url: null });
    expect(paid.notify_status).not.toBe('delivered');
    const page = await get(o.pay_url);
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-phase="notifying"');
    expect(page.text).toContain('已收到您的付款，正在通知商户');

    clock.advance(60_000);
    const later = await (await fetch(`${o.pay_url}&format=json`)).json();
    expect(later.phase).toBe('delayed');
    const u = new URL(later.redirect_url);
    expect(`${u.origin}${u.pathname}`).toBe(`${site.url}/return`);
    const q = Object.fromEntries(u.searchParams);
    expect(q).toMatchObject({
      price: '6.00',
      type: 'alipay',
      product_id: '0',
      order_id: String(o.order_id),
      out_order_id: 'late-merchant-1',
    });
    expect(q.sign).toBe(
      md5(md5(m.appkey + q.price + q.type + q.product_id + q.order_id + q.out_order_id) + m.appsecret),
    );
    const delayed = await get(o.pay_url);
    expect(delayed.text).toContain('data-phase="delayed"');
    expect(delayed.text).toContain(`id="back" href="${later.redirect_url.replaceAll('&', '&amp;')}"`);
  });

  it('closes an expired order: timeout URL when set (302 and JSON), else the "order closed" page', async () => {
    const withTimeout = await createOrder(gw, timeoutMerchant, { price: '7', outOrderId: 'to-1' });
    const plain = await createOrder(gw, m, { price: '7' });
    clock.advance(301_000);
    const r = await get(withTimeout.pay_url);
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe(
      `${site.url}/timeout?out_order_id=to-1&order_id=${withTimeout.order_id}`,
    );
    const json = await (await fetch(`${withTimeout.pay_url}&format=json`)).json();
    expect(json).toMatchObject({
      status: 'expired',
      phase: 'closed',
      redirect_url: r.headers.get('location'),
    });

    const closed = await get(plain.pay_url);
    expect(closed.status).toBe(200);
    expect(closed.text).toContain('data-phase="closed"');
    expect(closed.text).toContain('订单已关闭');
    expect(closed.text).not.toContain('data:image/png');
  });
});

describe('cashier event stream', () => {
  let gw: TestGateway;
  let site: MerchantSite;
  let m: SeededMerchant;
  const clock = new TestClock();
  beforeAll(async () => {
    site = await startMerchantSite('success');
    gw = await startTestGateway({ clock });
    m = await seedMerchant(gw, site);
  });
  afterAll(async () => {
    await gw?.close();
    await site?.close();
  });

  /** Reads `data:` events off an SSE response. */
  function eventReader(res: Response) {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    return async function next(): Promise<any> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (data) return JSON.parse(data);
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    };
  }

  it('sends the current state at once, then paid, then delivered with the return URL', async () => {
    const o = await createOrder(gw, m, { price: '8' });
    const ac = new AbortController();
    const res = await fetch(`${gw.url}/pay/events?id=${o.token}`, { signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const next = eventReader(res);
    const first = await next();
    expect(first).toMatchObject({ order_id: o.order_id, status: 'unpaid', phase: 'waiting' });

    await simulatePayment(gw, o.token);
    const paid = await next();
    expect(paid).toMatchObject({ status: 'paid' });
    // The dispatcher delivers at once to a merchant answering "success".
    const done = paid.phase === 'done' ? paid : await next();
    expect(done).toMatchObject({ status: 'paid', notify_status: 'delivered', phase: 'done' });
    expect(done.redirect_url).toContain(`${site.url}/return?price=8.00&type=alipay&product_id=0&order_id=`);

    // A delivered order's page is a redirect now.
    const page = await fetch(o.pay_url, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(done.redirect_url);

    const bus = (gw.services.events as any).emitter;
    expect(bus.listenerCount(`order:${o.token}`)).toBe(1);
    ac.abort();
    await until(() => bus.listenerCount(`order:${o.token}`) === 0, 5000, 'unsubscribe');
  });

  it('reports expiry on the stream and answers 404 for unknown orders', async () => {
    const o = await createOrder(gw, m, { price: '9' });
    const ac = new AbortController();
    const res = await fetch(`${gw.url}/pay/events?id=${o.token}`, { signal: ac.signal });
    const next = eventReader(res);
    expect((await next()).phase).toBe('waiting');
    clock.advance(301_000);
    await gw.services.orders.expireDue();
    expect(await next()).toMatchObject({ status: 'expired', phase: 'closed', redirect_url: null });
    ac.abort();

    expect((await fetch(`${gw.url}/pay/events?id=AAAAAAAAAAAAAAAAAAAAAA`)).status).toBe(404);
    expect((await fetch(`${gw.url}/pay/events?id=bad`)).status).toBe(404);
  });
});

describe('cashier event stream and shutdown', () => {
  it('ends open streams when the gateway closes instead of holding it open', async () => {
    const site = await startMerchantSite();
    const gw = await startTestGateway();
    try {
      const m = await seedMerchant(gw, site);
      const o = await createOrder(gw, m, { price: '1' });
      const res = await fetch(`${gw.url}/pay/events?id=${o.token}`);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      const started = Date.now();
      await gw.close();
      expect(Date.now() - started).toBeLessThan(5000);
      for (;;) {
        const { done } = await reader.read();
        if (done) break;
      }
    } finally {
      await site.close();
    }
  });
});
