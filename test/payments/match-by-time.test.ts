import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import { addAccount, addMerchant, createOrder, findOrder } from '../monitor/fixtures.js';
import { MonitorClient } from '../monitor/monitor-client.js';

const sec = (ms: number) => Math.floor(ms / 1000);
const TTL = 300_000; // the merchant's default order lifetime
const GRACE = 600_000; // GRACE_SECONDS default

/**
 * A payment pays the order whose hold on (account, type, amount) covered the moment the money was
 * paid — whatever order holds that amount when the (possibly late) report arrives.
 */
describe('matching a payment by when it was paid', () => {
  let gw: TestGateway;
  const clock = new TestClock(Date.UTC(2025, 0, 6, 4, 0, 0));

  beforeAll(async () => {
    gw = await startTestGateway({ clock });
  });
  afterAll(() => gw.close());

  async function setup() {
    const m = await addMerchant(gw.services);
    const acc = await addAccount(gw.services, m.id, 'alipay');
    return { m, acc, client: new MonitorClient(gw.url, acc.id, acc.monitorKey, clock.now) };
  }

  async function payment(id: number) {
    return (await gw.services.payments.list({ limit: 10_000 })).find((p) => Number(p.id) === id);
  }

  it('pays the order that held the amount when the money was paid, not the newer order holding it at report time', async () => {
    const { m, client } = await setup();
    const t0 = clock.nowMs;
    const a = await createOrder(gw.url, m, { price: '5', type: 'alipay', out: 'late-a' });
    expect(a.data.realprice).toBe('5.00');

    // A's buyer pays 30 s before A's hold ends; the phone is offline and reports nothing.
    const paidAt = t0 + TTL + GRACE - 30_000;
    // A's hold lapses; order B takes 5.00.
    clock.nowMs = t0 + TTL + GRACE + 1_000;
    const b = await createOrder(gw.url, m, { price: '5', type: 'alipay', out: 'late-b' });
    expect(b.data.realprice).toBe('5.00');

    // The phone comes back a minute later with A's payment and its real paid_at.
    clock.nowMs += 60_000;
    const r = await client.payments([
      { id: 'backlog-1', type: 'alipay', amount: '5.00', paid_at: sec(paidAt) },
    ]);
    expect(r.body.results[0]).toMatchObject({ result: 'late', order_id: a.data.order_id });
    expect((await findOrder(gw.url, m, 'late-a')).data).toMatchObject({ order_status: 'paid', late: true });
    expect((await findOrder(gw.url, m, 'late-b')).data.order_status).toBe('unpaid');

    // B's own buyer pays now: B is paid with it.
    const own = await client.payments([
      { id: 'b-own', type: 'alipay', amount: '5.00', paid_at: sec(clock.nowMs) },
    ]);
    expect(own.body.results[0]).toMatchObject({ result: 'matched', order_id: b.data.order_id });
  });

  it('sorts a reconnecting phone backlog over the successive owners of one amount', async () => {
    const { m, client } = await setup();
    const t0 = clock.nowMs;
    const first = await createOrder(gw.url, m, { price: '7', type: 'alipay', out: 'bk-1' });
    clock.nowMs = t0 + TTL + GRACE + 5_000;
    const second = await createOrder(gw.url, m, { price: '7', type: 'alipay', out: 'bk-2' });
    expect([first.data.realprice, second.data.realprice]).toEqual(['7.00', '7.00']);
    clock.nowMs += 30_000;
    const r = await client.payments([
      { id: 'bk-p2', type: 'alipay', amount: '7.00', paid_at: sec(clock.nowMs - 10_000) },
      { id: 'bk-p1', type: 'alipay', amount: '7.00', paid_at: sec(t0 + 60_000) },
    ]);
    expect(r.body.results.map((x: any) => [x.result, x.order_id])).toEqual([
      ['matched', second.data.order_id],
      ['matched', first.data.order_id],
    ]);
  });

  it('lets a payment slightly older than its order pay it only when no order held the amount before', async () => {
    const { m, client } = await setup();
    const c = await createOrder(gw.url, m, { price: '8', type: 'alipay', out: 'skew-c' });
    // The phone's clock runs a minute behind.
    const r = await client.payments([
      { id: 'skew-1', type: 'alipay', amount: '8.00', paid_at: sec(clock.nowMs - 60_000) },
    ]);
    expect(r.body.results[0]).toMatchObject({ result: 'matched', order_id: c.data.order_id });

    const d = await createOrder(gw.url, m, { price: '9', type: 'alipay', out: 'skew-d' });
    expect(d.data.realprice).toBe('9.00');
    const tooOld = await client.payments([
      { id: 'skew-2', type: 'alipay', amount: '9.00', paid_at: sec(clock.nowMs - 200_000) },
    ]);
    expect(tooOld.body.results[0].result).toBe('unmatched');
    expect((await payment(tooOld.body.results[0].payment_id))?.match_note).toBe('no_order');
    expect((await findOrder(gw.url, m, 'skew-d')).data.order_status).toBe('unpaid');
  });

  it('keeps a second payment inside a paid order’s hold unmatched instead of paying the next order', async () => {
    const { m, client } = await setup();
    const t0 = clock.nowMs;
    await createOrder(gw.url, m, { price: '6', type: 'alipay', out: 'dup-a' });
    clock.nowMs += 10_000;
    const first = await client.payments([
      { id: 'dup-1', type: 'alipay', amount: '6.00', paid_at: sec(t0 + 5_000) },
    ]);
    expect(first.body.results[0].result).toBe('matched');
    // The slot is free again at once: a new order takes 6.00.
    const next = await createOrder(gw.url, m, { price: '6', type: 'alipay', out: 'dup-b' });
    expect(next.data.realprice).toBe('6.00');
    // The buyer of A paid twice (at t0 + 8 s); the phone reports it only now.
    clock.nowMs += 20_000;
    const second = await client.payments([
      { id: 'dup-2', type: 'alipay', amount: '6.00', paid_at: sec(t0 + 8_000) },
    ]);
    expect(second.body.results[0].result).toBe('unmatched');
    expect((await payment(second.body.results[0].payment_id))?.match_note).toBe('order_paid');
    expect((await findOrder(gw.url, m, 'dup-b')).data.order_status).toBe('unpaid');
  });
});
