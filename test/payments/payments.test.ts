import { userInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import { addAccount, addMerchant, cli, cliJson, createOrder, findOrder } from '../monitor/fixtures.js';
import { MonitorClient } from '../monitor/monitor-client.js';

const sec = (ms: number) => Math.floor(ms / 1000);

describe('unmatched payments, attach and mark-paid', () => {
  let gw: TestGateway;
  // The gateway's clock moves by hand; the CLI (another "process") reads the real one. Start in step.
  const clock = new TestClock(Date.now());
  const actor = `cli:${userInfo().username}`;

  beforeAll(async () => {
    gw = await startTestGateway({ clock });
  });
  afterAll(() => gw.close());

  async function notificationsOf(orderId: number) {
    return gw.services.db.kysely
      .selectFrom('notifications')
      .selectAll()
      .where('order_id', '=', orderId)
      .execute();
  }

  it('lists a payment nobody matched, attaches it to the expired order it was meant for, notifies and audits', async () => {
    clock.nowMs = Date.now();
    const m = await addMerchant(gw.services);
    const acc = await addAccount(gw.services, m.id, 'alipay');
    const client = new MonitorClient(gw.url, acc.id, acc.monitorKey, clock.now);
    const o = await createOrder(gw.url, m, { price: '9.99', type: 'alipay', out: 'a-1' });
    // The buyer typed 10.00 instead of 9.99: no order holds 10.00.
    const sent = await client.payments([
      { id: 'typo', type: 'alipay', amount: '10.00', paid_at: sec(clock.nowMs) },
    ]);
    expect(sent.body.results[0].result).toBe('unmatched');
    const paymentId = sent.body.results[0].payment_id;

    const listed = await cliJson(gw.env, ['payment', 'list', '--unmatched', '--account', String(acc.id)]);
    expect(listed.json.map((p: any) => [p.id, p.amount, p.order_id])).toEqual([[paymentId, '10.00', null]]);

    clock.advance(301_000); // the order expires meanwhile
    expect((await findOrder(gw.url, m, 'a-1')).data.order_status).toBe('expired');
    const attached = await cliJson(gw.env, [
      'payment',
      'attach',
      String(paymentId),
      String(o.data.order_id),
      '--reason',
      'buyer typed 10.00',
    ]);
    expect(attached.code).toBe(0);
    expect(attached.json).toEqual({
      payment_id: paymentId,
      order_id: o.data.order_id,
      status: 'paid',
      late: false,
    });
    const found = await findOrder(gw.url, m, 'a-1');
    expect([found.data.order_status, found.data.late]).toEqual(['paid', false]);
    expect((await notificationsOf(o.data.order_id)).length).toBe(1);
    expect(
      (await cliJson(gw.env, ['payment', 'list', '--unmatched', '--account', String(acc.id)])).json,
    ).toEqual([]);

    const audit = await cliJson(gw.env, ['audit', 'list', '--subject', `payment:${paymentId}`]);
    expect(audit.json).toHaveLength(1);
    expect(audit.json[0]).toMatchObject({
      actor,
      action: 'payment.attach',
      detail: {
        order_id: o.data.order_id,
        payment_amount: '10.00',
        order_realprice: '9.99',
        reason: 'buyer typed 10.00',
      },
    });
    expect(Math.abs(Date.parse(audit.json[0].at) - Date.now())).toBeLessThan(60_000);
  });

  it('refuses to attach across accounts or types, twice, or to a paid order', async () => {
    clock.nowMs = Date.now();
    const m = await addMerchant(gw.services);
    const a = await addAccount(gw.services, m.id, 'alipay', 'a');
    const b = await addAccount(gw.services, m.id, 'alipay', 'b');
    const onA = new MonitorClient(gw.url, a.id, a.monitorKey, clock.now);
    const onB = new MonitorClient(gw.url, b.id, b.monitorKey, clock.now);
    // One order on each account: the other is disabled while it is created.
    await gw.services.accounts.setEnabled(b.id, false);
    const orderA = (await createOrder(gw.url, m, { price: '50', type: 'alipay', out: 'x-1' })).data.order_id;
    await gw.services.accounts.setEnabled(b.id, true);
    await gw.services.accounts.setEnabled(a.id, false);
    const orderB = (await createOrder(gw.url, m, { price: '50', type: 'alipay', out: 'x-2' })).data.order_id;
    const pa = (
      await onA.payments([{ id: 'u-a', type: 'alipay', amount: '1.23', paid_at: sec(clock.nowMs) }])
    ).body.results[0];
    const pb = (
      await onB.payments([{ id: 'u-b', type: 'alipay', amount: '1.24', paid_at: sec(clock.nowMs) }])
    ).body.results[0];

    const cross = await cliJson(gw.env, ['payment', 'attach', String(pa.payment_id), String(orderB)]);
    expect([cross.code, cross.json.message]).toEqual([
      1,
      'payment and order must be of the same account and type',
    ]);
    expect((await cliJson(gw.env, ['payment', 'attach', String(pa.payment_id), String(orderA)])).code).toBe(
      0,
    );
    const twice = await cliJson(gw.env, ['payment', 'attach', String(pa.payment_id), String(orderA)]);
    expect(twice.json.message).toMatch(/already attached/);
    await cliJson(gw.env, ['payment', 'attach', String(pb.payment_id), String(orderB)]);
    const pb2 = (
      await onB.payments([{ id: 'u-b2', type: 'alipay', amount: '1.25', paid_at: sec(clock.nowMs) }])
    ).body.results[0];
    const paid = await cliJson(gw.env, ['payment', 'attach', String(pb2.payment_id), String(orderB)]);
    expect(paid.json.message).toMatch(/already paid/);
    expect((await cliJson(gw.env, ['payment', 'attach', '999999', String(orderB)])).json.message).toMatch(
      /not found/,
    );
  });

  it('marks an order paid by hand: a manual payment, the usual notification, and an audit entry with who and why', async () => {
    clock.nowMs = Date.now();
    const m = await addMerchant(gw.services);
    const acc = await addAccount(gw.services, m.id, 'wechat');
    const o = await createOrder(gw.url, m, { price: '66', type: 'wechat', out: 'mp-1' });

    const noReason = await cli(gw.env, ['order', 'mark-paid', String(o.data.order_id)]);
    expect([noReason.code, noReason.stderr]).toEqual([
      1,
      'error: --reason is required: say how you know it was paid',
    ]);
    const r = await cliJson(gw.env, [
      'order',
      'mark-paid',
      String(o.data.order_id),
      '--reason',
      'seen in the WeChat app 10:42',
    ]);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({
      order_id: o.data.order_id,
      status: 'paid',
      late: false,
      realprice: '66.00',
    });
    expect((await findOrder(gw.url, m, 'mp-1')).data.order_status).toBe('paid');
    expect((await notificationsOf(o.data.order_id)).length).toBe(1);

    const payments = await gw.services.payments.list({ accountId: acc.id });
    expect(payments.map((p) => [p.source, Number(p.amount_cents), p.memo, Number(p.order_id)])).toEqual([
      ['manual', 6600, 'seen in the WeChat app 10:42', o.data.order_id],
    ]);
    const audit = await cliJson(gw.env, ['audit', 'list', '--subject', `order:${o.data.order_id}`]);
    expect(audit.json).toHaveLength(1);
    expect(audit.json[0]).toMatchObject({
      actor,
      action: 'order.mark_paid',
      detail: {
        reason: 'seen in the WeChat app 10:42',
        payment_id: r.json.payment_id,
        amount: '66.00',
        previous_status: 'unpaid',
      },
    });
    const again = await cliJson(gw.env, ['order', 'mark-paid', String(o.data.order_id), '--reason', 'again']);
    expect(again.json.message).toBe(`order ${o.data.order_id} is already paid`);
    expect((await gw.services.payments.list({ accountId: acc.id })).length).toBe(1);
  });

  it('marks an order paid long after it expired, flagged late', async () => {
    clock.nowMs = Date.now() - 3_600_000; // created an hour ago
    const m = await addMerchant(gw.services);
    await addAccount(gw.services, m.id, 'alipay');
    const o = await createOrder(gw.url, m, { price: '12', type: 'alipay', out: 'old-1' });
    clock.nowMs = Date.now();
    const r = await cliJson(gw.env, [
      'order',
      'mark-paid',
      String(o.data.order_id),
      '--reason',
      'bank statement',
    ]);
    expect(r.json).toMatchObject({ status: 'paid', late: true });
    expect((await findOrder(gw.url, m, 'old-1')).data.late).toBe(true);
    expect(
      (await cliJson(gw.env, ['audit', 'list', '--subject', `order:${o.data.order_id}`])).json[0].detail
        .previous_status,
    ).toBe('expired');
  });
});
