import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createParams } from '../helpers/gatepay.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { Receiver } from '../notify/receiver.js';
import { type ConsoleClient, operatorClient, signedInClient } from './client.js';

describe(`console test payment on ${TEST_DIALECT}`, () => {
  let gw: TestGateway;
  let receiver: Receiver;
  let op: ConsoleClient;
  let shopA: ConsoleClient;
  let shopB: ConsoleClient;
  let a: { id: number; appkey: string; appsecret: string };
  let b: number;
  let seq = 0;
  const password = 'shop password 1';

  const counts = async () => {
    const db = gw.services.db.kysely;
    const n = async (table: 'orders' | 'payments' | 'notifications') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      orders: await n('orders'),
      payments: await n('payments'),
      notifications: await n('notifications'),
    };
  };

  /** An order from the merchant's own site, over the signed GatePay API. */
  const apiOrder = async (price = '5.00') => {
    const r = await call(
      gw.url,
      '/api/anypay/create',
      createParams(a, { price, type: 'alipay', out_order_id: `shop-${++seq}`, custom: '' }),
    );
    return r.body!;
  };

  /** Polls the page's endpoint like the page does (every 100 ms here) until `done` holds. */
  const watch = async (c: ConsoleClient, id: number, done: (body: any) => boolean) => {
    const until = Date.now() + 10_000;
    for (;;) {
      const r = await c.get(`/test-payment/orders/${id}`);
      if (r.status === 200 && done(r.body)) return r.body;
      if (Date.now() > until) throw new Error(`gave up watching: ${JSON.stringify(r.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeAll(async () => {
    gw = await startTestGateway();
    receiver = await Receiver.start();
    op = await operatorClient(gw);
    const m = await gw.services.merchants.add({
      name: 'tea',
      notifyUrl: receiver.url,
      returnUrl: 'https://tea.example.com/r',
    });
    receiver.trust(m);
    a = m;
    b = (
      await gw.services.merchants.add({
        name: 'noodles',
        notifyUrl: 'https://n.example/n',
        returnUrl: 'https://n.example/r',
      })
    ).id;
    await gw.services.accounts.add({
      merchantId: a.id,
      type: 'alipay',
      name: 'Counter',
      qrContent: 'https://qr/a',
    });
    await gw.services.accounts.add({
      merchantId: b,
      type: 'alipay',
      name: 'Other',
      qrContent: 'https://qr/b',
    });
    await gw.services.users.add({ email: 'a@tea.example.com', password, role: 'merchant', merchantId: a.id });
    await gw.services.users.add({
      email: 'b@noodles.example.com',
      password,
      role: 'merchant',
      merchantId: b,
    });
    shopA = await signedInClient(gw, 'a@tea.example.com', password);
    shopB = await signedInClient(gw, 'b@noodles.example.com', password);
  });
  afterAll(async () => {
    await gw?.close();
    await receiver?.close();
  });

  it('creates a test order with a TEST- out_order_id and its real cashier page', async () => {
    const r = await shopA.post('/test-payment/orders', { amount: '0.5', type: 'alipay' });
    expect(r.status).toBe(200);
    const o = r.body.order;
    expect(o).toMatchObject({
      merchant_id: a.id,
      origin: 'test',
      type: 'alipay',
      price: '0.50',
      status: 'unpaid',
    });
    expect(o.out_order_id).toMatch(/^TEST-[A-Za-z0-9_-]{12,}$/);
    expect(o.account_name).toBe('Counter');
    expect(r.body.notifications).toEqual([]);
    const stored = await gw.services.orders.findById(o.id);
    expect(stored?.origin).toBe('test');
    const page = await fetch(o.pay_url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(o.realprice);
    // Each test order gets its own out_order_id.
    const again = await shopA.post('/test-payment/orders', { amount: '0.5', type: 'alipay' });
    expect(again.body.order.out_order_id).not.toBe(o.out_order_id);
    expect(again.body.order.id).not.toBe(o.id);
  });

  it('keeps test orders outside the daily API quota', async () => {
    await gw.services.merchants.set(a.id, { dailyQuota: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        expect((await shopA.post('/test-payment/orders', { amount: '1', type: 'alipay' })).status).toBe(200);
      }
      expect((await apiOrder()).code).toBe(100);
      expect((await apiOrder()).code).toBe(110);
      // The quota ran out for the API; a test payment still works.
      expect((await shopA.post('/test-payment/orders', { amount: '1', type: 'alipay' })).status).toBe(200);
    } finally {
      await gw.services.merchants.set(a.id, { dailyQuota: null });
    }
  });

  it('pays a test order by a simulated payment and shows the notification arriving', async () => {
    const created = (await shopA.post('/test-payment/orders', { amount: '9.99', type: 'alipay' })).body.order;
    const r = await shopA.post(`/test-payment/orders/${created.id}/simulate`);
    expect(r.status).toBe(200);
    expect(r.body.outcome).toBe('paid');
    expect(r.body.order.status).toBe('paid');
    const done = await watch(shopA, created.id, (s) => s.notifications[0]?.state === 'delivered');
    const n = done.notifications[0];
    expect(n.url).toBe(receiver.url);
    expect(n.attempt_log).toHaveLength(1);
    expect(n.attempt_log[0]).toMatchObject({ status: 200, response: 'success', error: '' });
    expect(n.delivered_at).toBeGreaterThan(0);
    const got = receiver.requests.find((q) => q.params.order_id === String(created.id));
    expect(got?.signValid).toBe(true);
    expect(got?.params.out_order_id).toBe(created.out_order_id);
    const payment = await gw.services.db.kysely
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', r.body.payment_id)
      .executeTakeFirstOrThrow();
    expect(payment.source).toBe('simulate');

    const twice = await shopA.post(`/test-payment/orders/${created.id}/simulate`);
    expect(twice.status).toBe(409);
    expect(twice.body.message).toMatch(/already paid/);
  });

  it('never simulates a payment on a real order, even for the operator', async () => {
    const real = (await apiOrder('7.00')).data;
    const before = await counts();
    for (const c of [shopA, op]) {
      const r = await c.post(`/test-payment/orders/${real.order_id}/simulate`);
      expect(r.status).toBe(409);
      expect(r.body.error).toBe('not_a_test_order');
      expect(r.body.message).toMatch(/Only test orders can be paid by a simulated payment/);
    }
    expect((await gw.services.orders.findById(real.order_id))?.status).toBe('unpaid');
    expect(await counts()).toEqual(before);
    // The watch endpoint is for test orders only.
    expect((await shopA.get(`/test-payment/orders/${real.order_id}`)).status).toBe(404);
  });

  it('refuses bad input in words and creates nothing', async () => {
    const before = await counts();
    for (const [body, status, message] of [
      [{ amount: '0', type: 'alipay' }, 400, /Enter an amount like 0.01/],
      [{ amount: '1.234', type: 'alipay' }, 400, /at most 2 decimals/],
      [{ amount: 'ten', type: 'alipay' }, 400, /Enter an amount/],
      [{ amount: '1', type: 'paypal' }, 400, /alipay or wechat/],
      [{ amount: '1', type: 'wechat' }, 409, /No wechat receiving account can take 1.00 right now/],
    ] as const) {
      const r = await shopA.post('/test-payment/orders', body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.body.error).toBe(status === 409 ? 'no_account' : 'invalid_input');
      expect(r.body.message).toMatch(message);
    }
    await gw.services.merchants.set(a.id, { alipayEnabled: false });
    try {
      const closed = await shopA.post('/test-payment/orders', { amount: '1', type: 'alipay' });
      expect([closed.status, closed.body.error]).toEqual([409, 'type_disabled']);
      expect(closed.body.message).toMatch(/alipay is switched off/);
    } finally {
      await gw.services.merchants.set(a.id, { alipayEnabled: true });
    }
    expect(await counts()).toEqual(before);
  });

  it("answers a merchant user 404 for another merchant's test orders, the same as for none", async () => {
    const theirs = (await shopA.post('/test-payment/orders', { amount: '2', type: 'alipay' })).body.order;
    const nf = { error: 'not_found', message: 'Not found.' };
    for (const id of [theirs.id, 999_999]) {
      const get = await shopB.get(`/test-payment/orders/${id}`);
      expect([get.status, get.body]).toEqual([404, nf]);
      const sim = await shopB.post(`/test-payment/orders/${id}/simulate`);
      expect([sim.status, sim.body]).toEqual([404, nf]);
    }
    const create = await shopB.post('/test-payment/orders', {
      merchant_id: a.id,
      amount: '1',
      type: 'alipay',
    });
    expect([create.status, create.body]).toEqual([404, nf]);
    expect((await gw.services.orders.findById(theirs.id))?.status).toBe('unpaid');
    // The operator names the merchant, and may watch and simulate any test order.
    expect((await op.post('/test-payment/orders', { amount: '1', type: 'alipay' })).status).toBe(400);
    const byOp = await op.post('/test-payment/orders', { merchant_id: b, amount: '1', type: 'alipay' });
    expect(byOp.body.order).toMatchObject({ merchant_id: b, origin: 'test' });
    expect((await op.get(`/test-payment/orders/${theirs.id}`)).status).toBe(200);
  });

  it('refuses creating and simulating without the CSRF token, changing nothing', async () => {
    const order = (await shopA.post('/test-payment/orders', { amount: '3', type: 'alipay' })).body.order;
    const before = await counts();
    for (const csrf of [null, 'forged']) {
      const create = await shopA.post('/test-payment/orders', { amount: '1', type: 'alipay' }, { csrf });
      expect([create.status, create.body.error]).toEqual([403, 'csrf']);
      const sim = await shopA.post(`/test-payment/orders/${order.id}/simulate`, {}, { csrf });
      expect([sim.status, sim.body.error]).toEqual([403, 'csrf']);
    }
    expect(await counts()).toEqual(before);
    expect((await gw.services.orders.findById(order.id))?.status).toBe('unpaid');
  });
});
