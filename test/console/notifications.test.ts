import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listConsoleNotifications } from '../../src/notify/notification.query.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { Receiver } from '../notify/receiver.js';
import type { ConsoleClient } from './client.js';
import { consoleSetup, order, payExactly, type Shop } from './orders-fixtures.js';

describe(`console notifications on ${TEST_DIALECT}`, () => {
  let gw: TestGateway;
  let receiver: Receiver;
  let op: ConsoleClient;
  let a: Shop;
  let b: Shop;

  const row = (orderId: number) =>
    gw.services.db.kysely
      .selectFrom('notifications')
      .selectAll()
      .where('order_id', '=', orderId)
      .executeTakeFirstOrThrow();
  const setRow = (
    orderId: number,
    v: { state?: string; next_attempt_at?: number; lease_until?: number; last_error?: string },
  ) => gw.services.db.kysely.updateTable('notifications').set(v).where('order_id', '=', orderId).execute();

  /** A paid order of `shop` whose notification ended as `outcome`. */
  async function notified(shop: Shop, outcome: 'delivered' | 'failed', price: number) {
    if (outcome === 'failed') receiver.next('http-500', 'http-500');
    const o = await order(gw.services, shop.merchant, { price });
    await payExactly(gw.services, o);
    await receiver.until(
      () => receiver.forOrder(o.id).length === (outcome === 'failed' ? 2 : 1),
      10_000,
      outcome,
    );
    for (let i = 0; i < 50 && (await row(o.id)).state !== outcome; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect((await row(o.id)).state).toBe(outcome);
    return o;
  }

  let delivered: number;
  let failed: number;
  let retrying: number;

  beforeAll(async () => {
    receiver = await Receiver.start();
    gw = await startTestGateway({ env: { NOTIFY_RETRY_SCHEDULE: '0' } });
    ({ op, a, b } = await consoleSetup(gw, receiver.url));
    receiver.trust(a.merchant).trust(b.merchant);
    failed = (await notified(a, 'failed', 1100)).id;
    delivered = (await notified(a, 'delivered', 1200)).id;
    // Still on its retry schedule after failing once: next attempt in an hour.
    retrying = (await notified(a, 'failed', 1300)).id;
    await setRow(retrying, { state: 'pending', next_attempt_at: Date.now() + 3600_000 });
    await notified(b, 'failed', 1400);
  });
  afterAll(async () => {
    await gw?.close();
    await receiver?.close();
  });

  it('lists failing ones first, then pending, then delivered, with the last answer and the next attempt', async () => {
    const r = await a.client.get('/notifications');
    expect(r.status).toBe(200);
    expect(r.body.notifications.map((n: any) => [n.order_id, n.state])).toEqual([
      [failed, 'failed'],
      [retrying, 'pending'],
      [delivered, 'delivered'],
    ]);
    const [f, p, d] = r.body.notifications;
    expect(f).toMatchObject({ attempts: 2, next_attempt_at: null, url: receiver.url, method: 'POST' });
    expect(f.last_attempt).toMatchObject({ status: 500, trigger: 'scheduled' });
    expect(f.last_attempt.answer).toContain('Internal Server Error');
    expect(f.last_error).not.toBe('');
    expect(p.next_attempt_at).toBeGreaterThan(Date.now() + 3500_000);
    expect(d.last_attempt).toMatchObject({ status: 200, answer: 'success', error: '' });
    expect(d.delivered_at).toEqual(expect.any(Number));
    expect(
      (await a.client.get('/notifications?state=pending')).body.notifications.map((n: any) => n.order_id),
    ).toEqual([retrying]);
  });

  it('pages through the ranks with a cursor, each row once', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const r = await a.client.get(`/notifications?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.body.notifications.length).toBe(1);
      seen.push(r.body.notifications[0].order_id);
      cursor = r.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([failed, retrying, delivered]);
    const two = await a.client.get('/notifications?limit=2');
    const rest = await a.client.get(`/notifications?limit=2&cursor=${two.body.next_cursor}`);
    expect(rest.body.notifications.map((n: any) => n.order_id)).toEqual([delivered]);
    expect(rest.body.next_cursor).toBeNull();
  });

  it('refuses bad input, other merchants and calls without the CSRF token', async () => {
    expect((await a.client.get('/notifications?state=lost')).status).toBe(400);
    const deps = { db: gw.services.db, clock: gw.services.clock };
    await expect(listConsoleNotifications(deps, { merchantId: null, limit: 0 })).rejects.toThrow(/1 to 100/);
    await expect(listConsoleNotifications(deps, { merchantId: null, limit: 101 })).rejects.toThrow(
      /1 to 100/,
    );
    expect((await a.client.get('/notifications?cursor=%%%')).status).toBe(400);
    expect(
      (await a.client.get(`/notifications?cursor=${Buffer.from('7.1').toString('base64url')}`)).status,
    ).toBe(400);
    expect((await a.client.get(`/notifications?merchant_id=${b.merchant.id}`)).status).toBe(404);
    expect(
      (await a.client.post('/notifications/resend-failing', { merchant_id: b.merchant.id })).status,
    ).toBe(404);
    const noCsrf = await a.client.post('/notifications/resend-failing', {}, { csrf: null });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.error).toBe('csrf');
    // The operator says which merchant.
    const unpicked = await op.post('/notifications/resend-failing', {});
    expect(unpicked.status).toBe(400);
    expect((await row(failed)).state).toBe('failed');
    expect((await row(retrying)).next_attempt_at).toBeGreaterThan(Date.now() + 3500_000);
    // Merchant B's list is its own.
    expect(
      (await b.client.get('/notifications')).body.notifications.every(
        (n: any) => n.merchant_id === b.merchant.id,
      ),
    ).toBe(true);
  });

  it('sends all failing ones of a merchant again once the endpoint is fixed, audited, leaving attempts in flight alone', async () => {
    receiver.answer('success');
    // One more failing row, but an attempt is under way (its lease runs): it must not be touched.
    const inFlight = (await notified(a, 'failed', 1500)).id;
    const leaseUntil = Date.now() + 60_000;
    await setRow(inFlight, {
      state: 'pending',
      next_attempt_at: Date.now() + 3600_000,
      lease_until: leaseUntil,
    });
    const before = receiver.requests.length;

    const r = await a.client.post('/notifications/resend-failing', {});
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ requeued: 2, failed: 1, retrying: 1 });
    await receiver.until(
      () => receiver.forOrder(failed).length === 3 && receiver.forOrder(retrying).length === 3,
      10_000,
      'resends',
    );
    for (let i = 0; i < 50 && (await row(retrying)).state !== 'delivered'; i++)
      await new Promise((res) => setTimeout(res, 20));
    expect((await row(failed)).state).toBe('delivered');
    expect((await row(retrying)).state).toBe('delivered');
    expect(await row(inFlight)).toMatchObject({ state: 'pending', lease_until: leaseUntil });
    expect(receiver.forOrder(inFlight).length).toBe(2);
    expect(receiver.requests.length - before).toBe(2);
    const entry = await gw.services.db.kysely
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(entry).toMatchObject({
      actor: `console:${a.email}`,
      action: 'notification.requeue',
      subject: `merchant:${a.merchant.id}`,
    });
    expect(JSON.parse(entry.detail)).toEqual({ failed: 1, retrying: 1 });
    // Merchant B's failed notification stayed failed.
    const bRows = await b.client.get('/notifications?state=failed');
    expect(bRows.body.notifications.length).toBe(1);
    // Nothing left to send: nothing requeued, nothing audited.
    expect((await a.client.post('/notifications/resend-failing', {})).body).toEqual({
      requeued: 0,
      failed: 0,
      retrying: 0,
    });
  });
});
