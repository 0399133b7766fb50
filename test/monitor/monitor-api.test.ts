import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MONITOR_ERRORS } from '../../src/monitor/monitor.errors.js';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import { addAccount, addMerchant, createOrder, findOrder } from './fixtures.js';
import { MonitorClient } from './monitor-client.js';

const sec = (ms: number) => Math.floor(ms / 1000);

describe('Shouyin monitor API', () => {
  let gw: TestGateway;
  const clock = new TestClock(Date.UTC(2025, 0, 6, 4, 0, 0)); // 12:00 in China

  beforeAll(async () => {
    gw = await startTestGateway({ clock });
  });
  afterAll(() => gw.close());

  async function setup(opts: { allowOffline?: boolean } = {}) {
    const m = await addMerchant(gw.services, opts);
    const acc = await addAccount(gw.services, m.id, 'alipay');
    return { m, acc, client: new MonitorClient(gw.url, acc.id, acc.monitorKey, clock.now) };
  }

  async function countPayments(accountId: number) {
    return (await gw.services.payments.list({ accountId, limit: 10_000 })).length;
  }

  it('takes a signed heartbeat and puts the account online for new orders', async () => {
    const { m, client } = await setup({ allowOffline: false });
    expect((await createOrder(gw.url, m, { price: '1', type: 'alipay', out: 'h-0' })).code).toBe(204);
    const r = await client.heartbeat();
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      ok: true,
      account_id: client.accountId,
      type: 'alipay',
      server_time: sec(clock.nowMs),
      offline_after: 90,
    });
    expect((await createOrder(gw.url, m, { price: '1', type: 'alipay', out: 'h-1' })).code).toBe(100);
  });

  it('refuses a bad signature, an unknown account, a tampered body and missing headers with clear JSON', async () => {
    const { acc, client } = await setup();
    const body = JSON.stringify({
      payments: [{ id: 'x', type: 'alipay', amount: '1.00', paid_at: sec(clock.nowMs) }],
    });
    const wrongKey = await client.send('/payments', body, { key: 'not-the-key' });
    expect(wrongKey).toEqual({
      status: 401,
      body: { error: 'bad_signature', message: 'the signature does not match' },
    });

    const unknown = new MonitorClient(gw.url, 999_999, acc.monitorKey, clock.now);
    expect((await unknown.heartbeat()).body.error).toBe('bad_signature');

    const ts = String(sec(clock.nowMs));
    const { createHmac } = await import('node:crypto');
    const sigForOther = createHmac('sha256', acc.monitorKey).update(`${ts}.{"payments":[]}`).digest('hex');
    const tampered = await fetch(`${gw.url}/monitor/v1/payments`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-shouyin-account': String(acc.id),
        'x-shouyin-timestamp': ts,
        'x-shouyin-signature': sigForOther,
      },
      body,
    });
    expect(tampered.status).toBe(401);
    expect(((await tampered.json()) as any).error).toBe('bad_signature');

    const bare = await fetch(`${gw.url}/monitor/v1/heartbeat`, { method: 'POST' });
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as any).error).toBe('missing_auth');
    expect(await countPayments(acc.id)).toBe(0);
  });

  it('refuses timestamps more than 5 minutes away and tells the monitor the server time', async () => {
    const { client } = await setup();
    const now = sec(clock.nowMs);
    for (const ts of [now - 301, now + 301, now - 100_000]) {
      const r = await client.send('/heartbeat', '', { timestamp: ts });
      expect(r).toEqual({
        status: 401,
        body: { error: 'stale_timestamp', message: expect.any(String), server_time: now },
      });
    }
    expect((await client.send('/heartbeat', '', { timestamp: now - 300 })).status).toBe(200);
    // Milliseconds are a common mistake: refused, never silently accepted.
    expect((await client.send('/heartbeat', '', { timestamp: clock.nowMs })).status).toBe(401);
  });

  it('answers each item of a mixed batch on its own and never counts a payment twice', async () => {
    const { m, acc, client } = await setup();
    const ten = await createOrder(gw.url, m, { price: '10', type: 'alipay', out: 'b-10' });
    const twenty = await createOrder(gw.url, m, { price: '20', type: 'alipay', out: 'b-20' });
    const now = sec(clock.nowMs);
    const batch = [
      { id: 'p-1', type: 'alipay', amount: '10.00', paid_at: now, payer: 'Zhang', memo: 'order b-10' },
      { id: 'p-2', type: 'alipay', amount: 20, paid_at: now },
      { id: 'p-3', type: 'wechat', amount: '20.00', paid_at: now },
      { type: 'alipay', amount: '20.00', paid_at: now },
      { id: 'p-1', type: 'alipay', amount: '10.00', paid_at: now },
      { id: 'p-4', type: 'alipay', amount: '99.99', paid_at: now },
      'not an item',
      { id: 'p-5', type: 'alipay', amount: '20.00', paid_at: clock.nowMs },
      { id: 6, type: 'alipay', amount: '20', paid_at: now - 30 },
    ];
    const r = await client.payments(batch);
    expect(r.status).toBe(200);
    const results = r.body.results;
    expect(results.map((x: any) => [x.index, x.id, x.result])).toEqual([
      [0, 'p-1', 'matched'],
      [1, 'p-2', 'invalid'],
      [2, 'p-3', 'invalid'],
      [3, null, 'invalid'],
      [4, 'p-1', 'duplicate'],
      [5, 'p-4', 'unmatched'],
      [6, null, 'invalid'],
      [7, 'p-5', 'invalid'],
      [8, '6', 'matched'],
    ]);
    expect(results[0].order_id).toBe(ten.data.order_id);
    expect(results[8].order_id).toBe(twenty.data.order_id);
    expect(results[4]).toMatchObject({ payment_id: results[0].payment_id, order_id: ten.data.order_id });
    expect(results[1].reason).toMatch(/amount must be a decimal string/);
    expect(results[2].reason).toBe('type is wechat but this account is alipay');
    expect(results[3].reason).toMatch(/^id must be/);
    expect(results[7].reason).toMatch(/not milliseconds/);
    expect(await countPayments(acc.id)).toBe(3);

    // The monitor did not get the answer and sends the same batch again: nothing changes.
    const again = await client.payments(batch);
    expect(again.body.results.map((x: any) => x.result)).toEqual([
      'duplicate',
      'invalid',
      'invalid',
      'invalid',
      'duplicate',
      'duplicate',
      'invalid',
      'invalid',
      'duplicate',
    ]);
    expect(again.body.results[5]).toMatchObject({ payment_id: results[5].payment_id, order_id: null });
    expect(await countPayments(acc.id)).toBe(3);
    const notes = await gw.services.db.kysely
      .selectFrom('notifications')
      .select('order_id')
      .where('order_id', 'in', [ten.data.order_id, twenty.data.order_id])
      .execute();
    expect(notes.length).toBe(2);
    const stored = (await gw.services.payments.list({ accountId: acc.id })).find(
      (p) => p.reporter_id === 'api:p-1',
    );
    expect([stored?.payer, stored?.memo, stored?.source]).toEqual(['Zhang', 'order b-10', 'monitor']);
  });

  it('refuses bodies that are not a batch, with 400 malformed', async () => {
    const { client } = await setup();
    for (const body of ['{not json', '[]', '{"payments": {}}', '{}', '"payments"', '']) {
      const r = await client.send('/payments', body);
      expect(r.status, body).toBe(400);
      expect(r.body.error).toBe('malformed');
      expect(JSON.stringify(r.body)).not.toMatch(/at .*\.(ts|js)/);
    }
    expect((await client.send('/heartbeat', 'not json')).body.error).toBe('malformed');
    expect((await client.send('/heartbeat', '{"battery": 80}')).status).toBe(200);
  });

  it('refuses oversized bodies and batches with 413 too_large', async () => {
    const { acc, client } = await setup();
    const now = sec(clock.nowMs);
    const item = (i: number) => ({ id: `big-${i}`, type: 'alipay', amount: '1.00', paid_at: now });
    const tooMany = await client.payments(Array.from({ length: 501 }, (_, i) => item(i)));
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error).toBe('too_large');
    const huge = JSON.stringify({ payments: [{ ...item(0), memo: 'x'.repeat(300 * 1024) }] });
    const big = await client.send('/payments', huge);
    expect(big.status).toBe(413);
    expect(big.body.error).toBe('too_large');
    expect(await countPayments(acc.id)).toBe(0);

    const full = await client.payments(Array.from({ length: 500 }, (_, i) => item(i)));
    expect(full.status).toBe(200);
    expect(full.body.results.filter((x: any) => x.result === 'unmatched').length).toBe(500);
  });

  it('answers unknown monitor paths in its own JSON, and leaves the merchant API as it was', async () => {
    const r = await fetch(`${gw.url}/monitor/v1/nope`, { method: 'POST' });
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: 'not_found', message: 'no such monitor endpoint' });
    const wrongMethod = await fetch(`${gw.url}/monitor/v1/payments`);
    expect(wrongMethod.status).toBe(404);
    const gatepay = await fetch(`${gw.url}/api/anypay/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{bad json',
    });
    expect(((await gatepay.json()) as any).code).toBe(105);
  });

  it('pays an order that expired within the grace window as late; after it, keeps the payment unmatched', async () => {
    const { m, client } = await setup();
    const created = clock.nowMs;
    await createOrder(gw.url, m, { price: '31', type: 'alipay', out: 'late-in' });
    await createOrder(gw.url, m, { price: '32', type: 'alipay', out: 'late-out' });
    await createOrder(gw.url, m, { price: '33', type: 'alipay', out: 'slow-report' });

    // 300 s order lifetime, 600 s grace. Eight minutes later:
    clock.nowMs = created + 480_000;
    expect((await findOrder(gw.url, m, 'late-in')).data.order_status).toBe('expired');
    const inGrace = await client.payments([
      { id: 'late-1', type: 'alipay', amount: '31.00', paid_at: sec(created + 470_000) },
      // Paid in time, reported late (the phone was offline): paid, not late.
      { id: 'slow-1', type: 'alipay', amount: '33.00', paid_at: sec(created + 200_000) },
    ]);
    expect(inGrace.body.results.map((x: any) => x.result)).toEqual(['late', 'matched']);
    const lateOrder = await findOrder(gw.url, m, 'late-in');
    expect([lateOrder.data.order_status, lateOrder.data.late]).toEqual(['paid', true]);
    const slow = await findOrder(gw.url, m, 'slow-report');
    expect([slow.data.order_status, slow.data.late]).toEqual(['paid', false]);

    // Paid past expiry + grace (900 s): the payment has no order to go to.
    clock.nowMs = created + 905_000;
    const after = await client.payments([
      { id: 'late-2', type: 'alipay', amount: '32.00', paid_at: sec(created + 901_000) },
    ]);
    expect(after.body.results[0].result).toBe('unmatched');
    const missed = await findOrder(gw.url, m, 'late-out');
    expect([missed.data.order_status, missed.data.late]).toEqual(['expired', false]);
  });

  it('documents every error code with its status in docs/monitor-api.md', () => {
    const doc = readFileSync(new URL('../../docs/monitor-api.md', import.meta.url), 'utf8');
    for (const [code, { status }] of Object.entries(MONITOR_ERRORS)) {
      expect(doc, code).toMatch(new RegExp(`\\|\\s*${status}\\s*\\|\\s*\`${code}\``));
    }
  });
});
