import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listUnmatchedInbox } from '../../src/payments/payment.inbox.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import type { ConsoleClient } from './client.js';
import { addShop, consoleSetup, order, payExactly, report, type Shop } from './orders-fixtures.js';

const MIN = 60_000;

describe(`console unmatched payments inbox on ${TEST_DIALECT}`, () => {
  let gw: TestGateway;
  const clock = new TestClock(Date.now());
  let op: ConsoleClient;
  let a: Shop;
  let b: Shop;

  const paymentRow = (id: number) =>
    gw.services.db.kysely.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  beforeAll(async () => {
    gw = await startTestGateway({ clock, env: { EXPIRE_INTERVAL_MS: '600000' } });
    ({ op, a, b } = await consoleSetup(gw));
  });
  afterAll(() => gw?.close());

  it('lists each unmatched payment with why, and the orders it could belong to: same account and type, ±1.00, ±30 min, not paid', async () => {
    const s = await addShop(gw, 'inbox1', 'http://127.0.0.1:9/notify');
    await order(gw.services, s.merchant, { price: 1095, out: 'too-early' }); // 31 min before paying
    clock.advance(26 * MIN);
    const t0 = clock.nowMs;
    const target = await order(gw.services, s.merchant, { price: 1000, out: 'target' }); // 10.00
    const close = await order(gw.services, s.merchant, { price: 1050, out: 'close' }); // 10.50
    const paid = await order(gw.services, s.merchant, { price: 1020, out: 'paid' });
    await payExactly(gw.services, paid);
    await order(gw.services, s.merchant, { price: 1000, type: 'wechat', out: 'other-type' });
    await order(gw.services, s.merchant, { price: 1200, out: 'far-amount' }); // 12.00: 1.01 away
    await order(gw.services, s.merchant, { price: 998, out: 'far-below' }); // 9.98: 1.01 away
    clock.advance(25 * MIN);
    const later = await order(gw.services, s.merchant, { price: 1010, out: 'later' }); // +25 min
    clock.advance(11 * MIN);
    const open = await order(gw.services, s.merchant, { price: 1001, out: 'too-late' }); // +36 min: 31 after paying
    // The same amount and time on another alipay account of the shop is not a candidate.
    const second = await gw.services.accounts.add({
      merchantId: s.merchant.id,
      type: 'alipay',
      name: 'Second',
      qrContent: 'https://qr.alipay.com/2',
    });
    await gw.services.db.kysely
      .insertInto('orders')
      .values({
        merchant_id: s.merchant.id,
        account_id: second.id,
        token: `other-account-${t0}`,
        out_order_id: 'other-account',
        kind: 'anypay',
        type: 'alipay',
        price_cents: 1099,
        realprice_cents: 1099,
        product_id: '0',
        title: '',
        custom: '',
        fingerprint: '',
        status: 'unpaid',
        created_at: t0 + 5 * MIN,
        expires_at: t0 + 10 * MIN,
      })
      .execute();
    // The buyer of `target` paid 10.99 by mistake, 5 minutes after it was created.
    const typo = await report(gw.services, { accountId: s.alipay, cents: 1099, paidAt: t0 + 5 * MIN });
    expect(typo.outcome).toBe('unmatched');

    const r = await s.client.get('/payments/unmatched');
    expect(r.status).toBe(200);
    expect(r.body.payments.length).toBe(1);
    const p = r.body.payments[0];
    expect(p).toMatchObject({
      id: typo.paymentId,
      account_id: s.alipay,
      account_name: 'inbox1 Alipay',
      merchant_id: s.merchant.id,
      type: 'alipay',
      amount: '10.99',
      paid_at: t0 + 5 * MIN,
      source: 'monitor',
      match_note: 'no_order',
    });
    // Closest amount first: 10.50 (0.49), 10.10 (0.89), 10.00 (0.99); the rest are out of reach.
    expect(p.candidates.map((c: any) => [c.out_order_id, c.amount_difference, c.state])).toEqual([
      ['close', '0.49', 'expired'],
      ['later', '0.89', 'expired'],
      ['target', '0.99', 'expired'],
    ]);
    expect(p.candidates[1].order_id).toBe(later.id);
    expect(p.candidates[2]).toMatchObject({
      order_id: target.id,
      created_offset_ms: -5 * MIN,
      realprice: '10.00',
    });
    expect(close.id).toBe(p.candidates[0].order_id);
    expect(p.candidates.map((c: any) => c.order_id)).not.toContain(open.id);
  });

  it('says why nothing matched: two orders held the amount, or the order was already paid', async () => {
    const s = await addShop(gw, 'inbox2', 'http://127.0.0.1:9/notify');
    const o = await order(gw.services, s.merchant, { price: 500 });
    await payExactly(gw.services, o);
    const again = await report(gw.services, { accountId: s.alipay, cents: 500 });
    expect(again.outcome).toBe('unmatched');
    const r = await s.client.get('/payments/unmatched');
    expect(r.body.payments.map((p: any) => p.match_note)).toEqual(['order_paid']);
  });

  it('attaches a payment to the order it belongs to in one call: the order is paid and notified, audited with the console user', async () => {
    const o = await order(gw.services, a.merchant, { price: 2000 });
    const typo = await report(gw.services, { accountId: a.alipay, cents: 2010 });
    expect(typo.outcome).toBe('unmatched');
    const before = await gw.services.db.kysely.selectFrom('audit_log').selectAll().execute();

    // Another merchant's user cannot, nor can a call without the CSRF token; nothing changes.
    const theirs = await b.client.post(`/payments/${typo.paymentId}/attach`, { order_id: o.id });
    expect(theirs.status).toBe(404);
    expect(theirs.body).toEqual((await b.client.post('/payments/999999/attach', { order_id: o.id })).body);
    const bOrder = await order(gw.services, b.merchant, { price: 2010 });
    expect((await a.client.post(`/payments/${typo.paymentId}/attach`, { order_id: bOrder.id })).status).toBe(
      404,
    );
    // …nor to one of its own orders: A's payment is as unknown to B as one that does not exist.
    const toOwn = await b.client.post(`/payments/${typo.paymentId}/attach`, { order_id: bOrder.id });
    expect(toOwn.status).toBe(404);
    expect(toOwn.body).toEqual(theirs.body);
    const noCsrf = await a.client.post(
      `/payments/${typo.paymentId}/attach`,
      { order_id: o.id },
      { csrf: null },
    );
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.error).toBe('csrf');
    expect((await paymentRow(typo.paymentId)).order_id).toBeNull();
    expect((await gw.services.db.kysely.selectFrom('audit_log').selectAll().execute()).length).toBe(
      before.length,
    );
    expect((await a.client.get('/payments/unmatched')).body.payments.map((p: any) => p.id)).toContain(
      typo.paymentId,
    );
    expect((await b.client.get('/payments/unmatched')).body.payments.map((p: any) => p.id)).not.toContain(
      typo.paymentId,
    );

    const r = await a.client.post(`/payments/${typo.paymentId}/attach`, {
      order_id: o.id,
      reason: 'typed 20.10',
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ payment_id: typo.paymentId, order_id: o.id, state: 'paid', late: false });
    expect(Number((await paymentRow(typo.paymentId)).order_id)).toBe(o.id);
    const entry = await gw.services.db.kysely
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(entry).toMatchObject({
      actor: `console:${a.email}`,
      action: 'payment.attach',
      subject: `payment:${typo.paymentId}`,
    });
    expect(JSON.parse(entry.detail)).toMatchObject({
      order_id: o.id,
      payment_amount: '20.10',
      order_realprice: '20.00',
      reason: 'typed 20.10',
    });
    expect((await a.client.get('/payments/unmatched')).body.payments.map((p: any) => p.id)).not.toContain(
      typo.paymentId,
    );
    const detail = await a.client.get(`/orders/${o.id}`);
    expect(detail.body.timeline.find((e: any) => e.kind === 'paid').detail).toMatchObject({
      how: 'attached',
      actor: `console:${a.email}`,
      reason: 'typed 20.10',
      amount: '20.10',
    });

    // Attached is final: a second attach is refused in words.
    const o2 = await order(gw.services, a.merchant, { price: 2001 });
    const twice = await a.client.post(`/payments/${typo.paymentId}/attach`, { order_id: o2.id });
    expect(twice.status).toBe(400);
    expect(twice.body.message).toMatch(/already attached/);
    // …and so is a payment of another account.
    const wechat = await report(gw.services, { accountId: a.wechat, type: 'wechat', cents: 2001 });
    const wrong = await a.client.post(`/payments/${wechat.paymentId}/attach`, { order_id: o2.id });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toMatch(/same account and type/);
  });

  it('pages newest first; the operator sees every merchant’s, or one', async () => {
    const s = await addShop(gw, 'inbox3', 'http://127.0.0.1:9/notify');
    const made: number[] = [];
    for (let i = 0; i < 5; i++)
      made.push((await report(gw.services, { accountId: s.alipay, cents: 7000 + i })).paymentId);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const r = await s.client.get(`/payments/unmatched?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...r.body.payments.map((p: any) => p.id));
      cursor = r.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
    const all = await op.get('/payments/unmatched?limit=100');
    expect(all.body.payments.map((p: any) => p.merchant_id)).toContain(a.merchant.id);
    expect(all.body.payments.map((p: any) => p.merchant_id)).toContain(s.merchant.id);
    const one = await op.get(`/payments/unmatched?limit=100&merchant_id=${s.merchant.id}`);
    expect(one.body.payments.map((p: any) => p.id)).toEqual([...made].reverse());
    expect((await s.client.get(`/payments/unmatched?merchant_id=${a.merchant.id}`)).status).toBe(404);
    expect((await s.client.get('/payments/unmatched?cursor=xyz!')).status).toBe(400);
    expect((await s.client.get('/payments/unmatched?limit=0')).status).toBe(400);
    // The service checks the page size too, for callers without the route's schema.
    const deps = { db: gw.services.db, clock: gw.services.clock };
    await expect(listUnmatchedInbox(deps, { merchantId: null, limit: 0 })).rejects.toThrow(
      /1 to 100 payments/,
    );
    await expect(listUnmatchedInbox(deps, { merchantId: null, limit: 101 })).rejects.toThrow(
      /1 to 100 payments/,
    );
  });
});
