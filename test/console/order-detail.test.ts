import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DIALECT } from '../helpers/database.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { Receiver } from '../notify/receiver.js';
import { type ConsoleClient, OPERATOR } from './client.js';
import { consoleSetup, order, payExactly, report, type Shop } from './orders-fixtures.js';

const kinds = (r: { body: { timeline: Array<{ kind: string }> } }) => r.body.timeline.map((e) => e.kind);

describe(`console order detail and its actions on ${TEST_DIALECT}`, () => {
  let gw: TestGateway;
  let receiver: Receiver;
  let op: ConsoleClient;
  let a: Shop;
  let b: Shop;

  const audit = () => gw.services.db.kysely.selectFrom('audit_log').selectAll().orderBy('id').execute();
  const attempts = (orderId: number) =>
    gw.services.db.kysely
      .selectFrom('notify_attempts as a')
      .innerJoin('notifications as n', 'n.id', 'a.notification_id')
      .selectAll('a')
      .where('n.order_id', '=', orderId)
      .orderBy('a.id')
      .execute();

  beforeAll(async () => {
    receiver = await Receiver.start();
    // One quick retry, then failed: a failing endpoint settles within a second.
    gw = await startTestGateway({ env: { NOTIFY_RETRY_SCHEDULE: '0' } });
    ({ op, a, b } = await consoleSetup(gw, receiver.url));
    receiver.trust(a.merchant).trust(b.merchant);
  });
  afterAll(async () => {
    await gw?.close();
    await receiver?.close();
  });

  it('tells an order’s story: request, amount held, payment reported, matched, every notification attempt, return redirect', async () => {
    receiver.next('http-500');
    const o = await order(gw.services, a.merchant, { price: 1234, custom: 'cup of tea', out: 'story-1' });
    await payExactly(gw.services, o);
    await receiver.until(() => receiver.forOrder(o.id).length === 2, 10_000, 'two attempts');
    await new Promise((r) => setTimeout(r, 200)); // the second attempt is recorded after its answer

    const r = await a.client.get(`/orders/${o.id}`);
    expect(r.status).toBe(200);
    expect(r.body.order).toMatchObject({
      id: o.id,
      state: 'paid',
      realprice: '12.34',
      paid_amount: '12.34',
      notify_state: 'delivered',
    });
    expect(r.body.request).toEqual([
      { name: 'endpoint', value: 'api/anypay/create' },
      { name: 'type', value: 'alipay' },
      { name: 'out_order_id', value: 'story-1' },
      { name: 'price', value: '12.34' },
      { name: 'custom', value: 'cup of tea' },
    ]);
    expect(kinds(r)).toEqual([
      'created',
      'held',
      'payment_reported',
      'paid',
      'notification_queued',
      'notification_attempt',
      'notification_attempt',
    ]);
    const [created, held, reported, paid, , failedTry, goodTry] = r.body.timeline;
    expect(created.detail).toMatchObject({
      origin: 'api',
      endpoint: 'anypay',
      price: '12.34',
      out_order_id: 'story-1',
    });
    expect(held.detail).toMatchObject({
      account_id: a.alipay,
      account_name: a.merchant.name + ' Alipay',
      realprice: '12.34',
    });
    // Paying ended the hold on 12.34 at once (it was held until the deadline plus grace).
    expect(held.detail.hold_until).toBeLessThan(o.holdUntil);
    expect(reported.detail).toMatchObject({
      source: 'monitor',
      amount: '12.34',
      payer: 'buyer',
      memo: 'note',
    });
    expect(reported.detail.reporter_id).toMatch(/^rep-/);
    expect(paid.detail).toMatchObject({ how: 'matched', late: false, oversold: false, amount: '12.34' });
    expect(failedTry.detail).toMatchObject({ ok: false, status: 500, trigger: 'scheduled' });
    expect(failedTry.detail.answer).toContain('Internal Server Error');
    expect(failedTry.detail.error).not.toBe('');
    expect(goodTry.detail).toMatchObject({ ok: true, status: 200, answer: 'success', error: '' });
    expect(typeof goodTry.detail.duration_ms).toBe('number');
    expect(r.body.redirect.kind).toBe('return');
    expect(r.body.redirect.url).toMatch(
      /^https:\/\/tea\d+\.example\.com\/return\?.*out_order_id=story-1.*sign=/,
    );
    expect(r.body.can).toEqual({ resend_notification: true, mark_paid: false, attach_payment: false });
    expect(r.body.candidate_payments).toEqual([]);
  });

  it('shows an unpaid order’s deadline ahead, and the unmatched payments it could be attached to', async () => {
    const o = await order(gw.services, a.merchant, { price: 2000 });
    // A payment that paid its own order is nobody's candidate.
    await payExactly(gw.services, await order(gw.services, a.merchant, { price: 1995 }));
    const near = await report(gw.services, { accountId: a.alipay, cents: 1990 }); // typed 19.90
    const far = await report(gw.services, { accountId: a.alipay, cents: 2500 });
    const elsewhere = await report(gw.services, { accountId: a.wechat, type: 'wechat', cents: 2000 });
    const below = await report(gw.services, { accountId: a.alipay, cents: 1899 }); // 1.01 less
    const before = await report(gw.services, {
      accountId: a.alipay,
      cents: 1999,
      paidAt: o.createdAt - 31 * 60_000,
    });
    const after = await report(gw.services, {
      accountId: a.alipay,
      cents: 1998,
      paidAt: o.createdAt + 31 * 60_000,
    });
    expect([near, far, elsewhere, below, before, after].map((p) => p.outcome)).toEqual(
      Array(6).fill('unmatched'),
    );
    const r = await a.client.get(`/orders/${o.id}`);
    expect(kinds(r)).toEqual(['created', 'held', 'expires']);
    expect(r.body.timeline[2]).toMatchObject({ upcoming: true, at: o.expiresAt });
    expect(
      r.body.candidate_payments.map((p: any) => [p.id, p.amount, p.amount_difference, p.match_note]),
    ).toEqual([[near.paymentId, '19.90', '-0.10', 'no_order']]);
    expect(r.body.can).toEqual({ resend_notification: false, mark_paid: true, attach_payment: true });
  });

  it('lets only the operator mark an order paid, with a reason, audited, and the timeline says who and why', async () => {
    const o = await order(gw.services, a.merchant, { price: 3100 });
    const before = (await audit()).length;
    const shop = await a.client.post(`/orders/${o.id}/mark-paid`, { reason: 'saw it in the bill' });
    expect(shop.status).toBe(403);
    expect(shop.body.error).toBe('forbidden');
    const noCsrf = await op.post(`/orders/${o.id}/mark-paid`, { reason: 'saw it' }, { csrf: null });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.error).toBe('csrf');
    const noReason = await op.post(`/orders/${o.id}/mark-paid`, { reason: '   ' });
    expect(noReason.status).toBe(400);
    expect(noReason.body.message).toMatch(/reason/);
    expect((await op.post(`/orders/${o.id}/mark-paid`, {})).status).toBe(400);
    expect((await a.client.get(`/orders/${o.id}`)).body.order.state).toBe('unpaid');
    expect((await audit()).length).toBe(before);

    const done = await op.post(`/orders/${o.id}/mark-paid`, { reason: 'saw it in the bill' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ order_id: o.id, state: 'paid', late: false });
    const entry = (await audit()).at(-1);
    expect(entry).toMatchObject({
      actor: `console:${OPERATOR.email}`,
      action: 'order.mark_paid',
      subject: `order:${o.id}`,
    });
    const r = await a.client.get(`/orders/${o.id}`);
    const paid = r.body.timeline.find((e: any) => e.kind === 'paid');
    expect(paid.detail).toMatchObject({
      how: 'marked_paid',
      actor: `console:${OPERATOR.email}`,
      reason: 'saw it in the bill',
    });
    expect(r.body.payments[0]).toMatchObject({
      source: 'manual',
      amount: '31.00',
      memo: 'saw it in the bill',
    });
    // Paid is final.
    expect((await op.post(`/orders/${o.id}/mark-paid`, { reason: 'again' })).status).toBe(400);
  });

  it('resends a failed notification once the endpoint is fixed, audited, and only for the merchant’s own orders', async () => {
    receiver.next('http-500', 'http-500');
    const o = await order(gw.services, a.merchant, { price: 4100 });
    await payExactly(gw.services, o);
    await receiver.until(() => receiver.forOrder(o.id).length === 2, 10_000, 'both attempts');
    await new Promise((r) => setTimeout(r, 200));
    expect((await a.client.get(`/orders/${o.id}`)).body.timeline.at(-1).kind).toBe('notification_gave_up');

    const theirs = await b.client.post('/notifications/resend', { order_id: o.id });
    expect(theirs.status).toBe(404);
    expect(theirs.body).toEqual((await b.client.post('/notifications/resend', { order_id: 999999 })).body);
    const noCsrf = await a.client.post('/notifications/resend', { order_id: o.id }, { csrf: null });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.error).toBe('csrf');
    expect(receiver.forOrder(o.id).length).toBe(2);
    expect((await attempts(o.id)).length).toBe(2);

    const r = await a.client.post('/notifications/resend', { order_id: o.id });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ order_id: o.id, state: 'delivered', status: 200, error: '' });
    expect(receiver.forOrder(o.id).length).toBe(3);
    expect(receiver.forOrder(o.id).at(-1)?.signValid).toBe(true);
    expect((await attempts(o.id)).at(-1)).toMatchObject({ trigger: 'manual', status_code: 200 });
    expect((await audit()).at(-1)).toMatchObject({
      actor: `console:${a.email}`,
      action: 'notification.resend',
      subject: `order:${o.id}`,
    });
    const detail = await a.client.get(`/orders/${o.id}`);
    expect(detail.body.order.notify_state).toBe('delivered');
    expect(kinds(detail)).toContain('notification_resend');
  });

  it('refuses to resend for an unpaid order, in words, and audits nothing', async () => {
    const o = await order(gw.services, a.merchant, { price: 4200 });
    const before = (await audit()).length;
    const r = await a.client.post('/notifications/resend', { order_id: o.id });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/not paid: only paid orders are notified/);
    expect((await audit()).length).toBe(before);
  });

  it("answers a merchant user 404 for another merchant's order detail and mark-paid is refused before anything changes", async () => {
    const theirs = await order(gw.services, b.merchant, { price: 4300 });
    expect((await a.client.get(`/orders/${theirs.id}`)).status).toBe(404);
    // Even an operator action on a missing order is a plain 404.
    expect((await op.post('/orders/999999/mark-paid', { reason: 'x' })).status).toBe(404);
    expect((await b.client.get(`/orders/${theirs.id}`)).body.order.state).toBe('unpaid');
  });
});
