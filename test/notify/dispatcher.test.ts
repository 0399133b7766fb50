import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OrderEvent } from '../../src/events/bus.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createOrder, eventually, merchantWithAccount, outbox, paidOrder, pay } from './fixtures.js';
import { Receiver } from './receiver.js';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** Compressed time: retries 50 ms apart (±20 %), 3 retries, short timeouts. */
const FAST = {
  NOTIFY_RETRY_SCHEDULE: '0.05,0.05,0.05',
  NOTIFY_CONNECT_TIMEOUT_MS: '300',
  NOTIFY_TOTAL_TIMEOUT_MS: '500',
  NOTIFY_PER_HOST_CONCURRENCY: '2',
};

describe('push network: delivery to a real merchant receiver', () => {
  let gw: TestGateway;
  const receivers: Receiver[] = [];
  const events: OrderEvent[] = [];

  async function receiver(): Promise<Receiver> {
    const r = await Receiver.start();
    receivers.push(r);
    return r;
  }

  async function merchantAt(r: Receiver, settings: { notifyMethod?: 'POST' | 'GET' } = {}) {
    const { merchant } = await merchantWithAccount(gw.services, r.url, settings);
    r.trust(merchant);
    return merchant;
  }

  beforeAll(async () => {
    gw = await startTestGateway({ env: FAST });
    gw.services.events.subscribeAll((e) => events.push(e));
  });
  afterEach(async () => {
    // A receiver closed while the gateway still retries would turn later tests' logs noisy.
    for (const r of receivers.splice(0)) await r.close();
  });
  afterAll(() => gw.close());

  it('POSTs exactly the spec §2 fields plus appkey, form-encoded and signed, right after payment', async () => {
    const r = await receiver();
    const m = await merchantAt(r);
    const order = await createOrder(gw.services, m, 1023, 'tel:13800000000');
    const paidAt = Date.now();
    await pay(gw.services, order);
    await r.until(() => r.requests.length === 1, 2000, 'first notification');
    const got = r.requests[0]!;
    // Woken by the paid event, not by the 1 s poll.
    expect(got.at - paidAt).toBeLessThan(500);
    expect(got.method).toBe('POST');
    expect(got.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.keys(got.params).sort()).toEqual(
      [
        'appkey',
        'extend',
        'order_id',
        'out_order_id',
        'paytime',
        'price',
        'realprice',
        'sign',
        'type',
      ].sort(),
    );
    expect(got.params).toMatchObject({
      order_id: String(order.id),
      out_order_id: order.outOrderId,
      price: '10.23',
      realprice: (order.realpriceCents / 100).toFixed(2),
      type: 'alipay',
      extend: 'tel:13800000000',
      appkey: m.appkey,
    });
    expect(got.params.paytime).toMatch(/^\d{10}$/);
    // The seed's formula, computed here from the raw strings received.
    const p = got.params;
    expect(p.sign).toBe(
      md5(
        md5(m.appkey + p.order_id + p.out_order_id + p.price + p.realprice + p.type + p.paytime + p.extend) +
          m.appsecret,
      ),
    );
    expect(got.signValid).toBe(true);
    expect(got.webhookValid).toBe(true);
    expect(got.headers['webhook-id']).toMatch(/^msg_/);

    const { n, attempts } = await eventually(
      () => outbox(gw.services, order.id),
      (o) => o.n.state === 'delivered',
    );
    expect(n.attempts).toBe(1);
    expect(n.delivered_at).not.toBeNull();
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({
      status_code: 200,
      response_snippet: 'success',
      error: '',
      trigger: 'scheduled',
    });
    expect(events).toContainEqual({
      kind: 'notified',
      orderId: order.id,
      token: order.token,
      state: 'delivered',
    });

    // findOrder reports it delivered.
    const q = new URLSearchParams({
      appkey: m.appkey,
      out_order_id: order.outOrderId,
      sign: md5(md5(m.appkey + order.outOrderId) + m.appsecret),
    });
    const res = await fetch(`${gw.url}/api/find/findOrder?${q}`);
    const body = (await res.json()) as { code: number; data: { notify_status: string } };
    expect(body.code).toBe(100);
    expect(body.data.notify_status).toBe('delivered');
  });

  it('accepts " SUCCESS\\n" (trimmed, any case) as success', async () => {
    const r = await receiver();
    r.answer('success-padded');
    const m = await merchantAt(r);
    const order = await paidOrder(gw.services, m);
    const { attempts } = await eventually(
      () => outbox(gw.services, order.id),
      (o) => o.n.state === 'delivered',
    );
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.response_snippet).toBe(' SUCCESS\n');
  });

  it('retries every failure mode, records each attempt, and delivers on "success" with a stable webhook-id', async () => {
    const r = await receiver();
    r.next('fail', 'http-500', 'reset').answer('success');
    const m = await merchantAt(r);
    const order = await paidOrder(gw.services, m);
    const { n, attempts } = await eventually(
      () => outbox(gw.services, order.id),
      (o) => o.n.state === 'delivered',
      5000,
    );
    expect(attempts.map((a) => [a.status_code, a.trigger])).toEqual([
      [200, 'scheduled'],
      [500, 'scheduled'],
      [null, 'scheduled'],
      [200, 'scheduled'],
    ]);
    expect(attempts[0]!.response_snippet).toBe('fail');
    expect(attempts[0]!.error).toMatch(/"fail" is not "success"/);
    expect(attempts[1]!.response_snippet).toContain('boom');
    expect(attempts[1]!.error).toBe('HTTP 500');
    expect(attempts[2]!.error).toMatch(/reset/);
    expect(attempts[3]!.error).toBe('');
    expect(n.attempts).toBe(4);
    expect(n.last_error).toBe('');
    // Retries follow the schedule: about 50 ms apart, never before.
    for (let i = 1; i < attempts.length; i++) {
      expect(attempts[i]!.started_at - attempts[i - 1]!.started_at).toBeGreaterThanOrEqual(40);
    }
    const ids = new Set(r.requests.map((q) => q.headers['webhook-id']));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toBe(n.webhook_id);
    expect(r.requests.every((q) => q.webhookValid && q.signValid)).toBe(true);
    expect(
      events
        .filter((e) => e.kind === 'notified' && e.orderId === order.id)
        .map((e) => e.kind === 'notified' && e.state),
    ).toEqual(['pending', 'pending', 'pending', 'delivered']);
  });

  it('does not follow a redirect, and caps the answer at 64 KiB', async () => {
    const r = await receiver();
    r.next('redirect', 'huge').answer('success');
    const m = await merchantAt(r);
    const order = await paidOrder(gw.services, m);
    const { attempts } = await eventually(
      () => outbox(gw.services, order.id),
      (o) => o.n.state === 'delivered',
    );
    expect(attempts).toHaveLength(3);
    expect(attempts[0]).toMatchObject({ status_code: 302, error: 'redirect 302 not followed' });
    expect(attempts[1]).toMatchObject({ status_code: 200, error: 'answer larger than 64 KiB' });
    // Only the first 2 KiB of an answer is kept.
    expect(Buffer.byteLength(attempts[1]!.response_snippet)).toBe(2048);
    expect(attempts[1]!.response_snippet.startsWith('success')).toBe(true);
    expect(r.requests.filter((q) => q.path === '/elsewhere')).toHaveLength(0);
  });

  it('times out a hanging merchant and a refused connection, then gives up as failed after the schedule', async () => {
    const r = await receiver();
    r.next('hang').answer('fail');
    const m = await merchantAt(r);
    const order = await paidOrder(gw.services, m);
    const { n, attempts } = await eventually(
      () => outbox(gw.services, order.id),
      (o) => o.n.state === 'failed',
      5000,
    );
    // The first attempt plus three retries.
    expect(attempts).toHaveLength(4);
    expect(attempts[0]!.status_code).toBeNull();
    expect(attempts[0]!.error).toMatch(/timeout: no complete answer within 500 ms/);
    expect(attempts[0]!.duration_ms).toBeGreaterThanOrEqual(450);
    expect(attempts[0]!.duration_ms).toBeLessThan(1500);
    expect(n.attempts).toBe(4);
    expect(n.last_error).toMatch(/"fail" is not "success"/);
    expect(events).toContainEqual({
      kind: 'notified',
      orderId: order.id,
      token: order.token,
      state: 'failed',
    });

    // A closed port: connection refused, recorded likewise.
    const closed = await receiver();
    const m2 = await merchantAt(closed);
    await closed.close();
    const o2 = await paidOrder(gw.services, m2);
    const out2 = await eventually(
      () => outbox(gw.services, o2.id),
      (o) => o.n.state === 'failed',
      5000,
    );
    expect(out2.attempts.map((a) => a.error)).toEqual(Array(4).fill('connection refused'));
  });

  it('sends GET with the parameters in the query string for a GET merchant', async () => {
    const r = await receiver();
    const m = await merchantAt(r, { notifyMethod: 'GET' });
    const order = await paidOrder(gw.services, m);
    await r.until(() => r.requests.length === 1);
    const got = r.requests[0]!;
    expect(got.method).toBe('GET');
    expect(got.rawBody).toBe('');
    expect(got.params.order_id).toBe(String(order.id));
    expect(got.signValid).toBe(true);
    expect(got.webhookValid).toBe(true);
    await eventually(
      () => outbox(gw.services, order.id),
      (o) => o.n.state === 'delivered',
    );
  });

  it('keeps a hanging merchant from delaying another merchant', async () => {
    const slow = await receiver();
    slow.answer('hang');
    const fast = await receiver();
    const ms = await merchantAt(slow);
    const mf = await merchantAt(fast);
    // Far more hanging notifications than the per-host cap (2 here) allows at once.
    for (let i = 0; i < 8; i++) await paidOrder(gw.services, ms, 2000 + i);
    await slow.until(() => slow.requests.length >= 2, 2000, 'slow merchant to be hit');
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const order = await createOrder(gw.services, mf, 3000 + i);
      const t0 = Date.now();
      await pay(gw.services, order);
      await fast.until(() => fast.forOrder(order.id).length === 1, 2000, 'fast merchant');
      latencies.push(Date.now() - t0);
    }
    expect(Math.max(...latencies)).toBeLessThan(300);
    // The slow host never had more than its cap in flight.
    const inFlightAtOnce = slow.requests.filter((q) => q.at - slow.requests[0]!.at < 400).length;
    expect(inFlightAtOnce).toBeLessThanOrEqual(2);
  });
});

describe('push network: SSRF guard', () => {
  it('refuses a loopback target when private callbacks are not allowed, and records why', async () => {
    const gw = await startTestGateway({ env: { ...FAST, ALLOW_PRIVATE_CALLBACKS: '0' } });
    const r = await Receiver.start();
    try {
      const viaName = r.url.replace('127.0.0.1', 'localhost');
      const { merchant: m1 } = await merchantWithAccount(gw.services, r.url);
      const { merchant: m2 } = await merchantWithAccount(gw.services, viaName);
      const o1 = await paidOrder(gw.services, m1);
      const o2 = await paidOrder(gw.services, m2);
      const a = await eventually(
        () => outbox(gw.services, o1.id),
        (o) => o.n.state === 'failed',
        5000,
      );
      expect(a.attempts).toHaveLength(4);
      expect(a.attempts[0]!.status_code).toBeNull();
      expect(a.attempts[0]!.error).toMatch(/^refused: 127\.0\.0\.1 is a loopback address/);
      expect(a.n.last_error).toMatch(/refused/);
      // A name is checked after resolution, on the address the socket would use.
      const b = await eventually(
        () => outbox(gw.services, o2.id),
        (o) => o.n.attempts >= 1,
        5000,
      );
      expect(b.attempts[0]!.error).toMatch(
        /^refused: localhost resolves to (127\.0\.0\.1|::1), which is a loopback address/,
      );
      expect(r.requests).toHaveLength(0);
    } finally {
      await r.close();
      await gw.close();
    }
  });
});
