import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import { addAccount, addMerchant, cli, createOrder, findOrder } from './fixtures.js';
import { MonitorClient } from './monitor-client.js';
import { VmqApp } from './vmq-app.js';

const sec = (ms: number) => Math.floor(ms / 1000);
const OK = { code: 1, msg: '成功', data: null };
const DISABLED = { code: -1, msg: '收款账户已停用，且没有待支付的订单' };
const TTL_MS = 300_000; // the merchant's default order lifetime
const GRACE_MS = 600_000; // GRACE_SECONDS default

describe('a disabled receiving account', () => {
  let gw: TestGateway;
  const clock = new TestClock(Date.UTC(2025, 0, 6, 4, 0, 0));

  beforeAll(async () => {
    gw = await startTestGateway({ clock });
  });
  afterAll(() => gw.close());

  const paymentCount = async (accountId: number) =>
    (await gw.services.payments.list({ accountId, limit: 10_000 })).length;

  it('takes no new order but matches payments for its open orders and those in grace, then refuses reports', async () => {
    const m = await addMerchant(gw.services);
    const acc = await addAccount(gw.services, m.id, 'alipay');
    const api = new MonitorClient(gw.url, acc.id, acc.monitorKey, clock.now);
    const app = new VmqApp(`${new URL(gw.url).host}/${acc.monitorKey}`, clock.now);
    const created = clock.nowMs;
    for (const [out, price] of [
      ['d-1', '10'],
      ['d-2', '20'],
      ['d-3', '30'],
    ] as const) {
      expect((await createOrder(gw.url, m, { price, type: 'alipay', out })).code).toBe(100);
    }
    // Disabled by the CLI (its own services): nothing in the server process is told.
    expect((await cli(gw.env, ['account', 'disable', String(acc.id)])).code).toBe(0);
    expect((await createOrder(gw.url, m, { price: '10', type: 'alipay', out: 'd-new' })).code).toBe(204);

    // Open orders: a buyer paying right now is matched, on either path.
    clock.advance(10_000);
    const paid = await api.payments([
      { id: 'p-1', type: 'alipay', amount: '10.00', paid_at: sec(clock.nowMs) },
    ]);
    expect(paid.status).toBe(200);
    expect(paid.body.results[0].result).toBe('matched');

    // Past every deadline but within grace: d-2's late payment still finds it.
    clock.nowMs = created + TTL_MS + 60_000;
    await gw.services.orders.expireDue();
    expect((await findOrder(gw.url, m, 'd-3')).data.order_status).toBe('expired');
    expect((await app.push(2, 2000)).body).toEqual(OK);
    const late = await findOrder(gw.url, m, 'd-2');
    expect([late.data.order_status, late.data.late]).toEqual(['paid', true]);

    // d-3 is past its grace: nothing of the account's is open, its reports are refused.
    clock.nowMs = created + TTL_MS + GRACE_MS + 1000;
    const before = await paymentCount(acc.id);
    const refused = await api.payments([
      { id: 'p-3', type: 'alipay', amount: '30.00', paid_at: sec(clock.nowMs) },
    ]);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({
      error: 'account_disabled',
      message: `account ${acc.id} is disabled and none of its orders is open or in grace; it takes no payments (shouyin account enable ${acc.id})`,
    });
    expect((await app.push(2, 3000)).body).toEqual(DISABLED);
    expect(await paymentCount(acc.id)).toBe(before);

    // Heartbeats are still taken (decision: the account is online again the moment it is enabled).
    expect((await api.heartbeat()).status).toBe(200);
    expect((await app.heartbeat()).body).toEqual(OK);
    expect((await gw.services.accounts.get(acc.id)).lastHeartbeatAt).toBe(clock.nowMs);

    // Enabled again: reports count again (the same id, never recorded, is not a duplicate).
    expect((await cli(gw.env, ['account', 'enable', String(acc.id)])).code).toBe(0);
    const again = await api.payments([
      { id: 'p-3', type: 'alipay', amount: '30.00', paid_at: sec(clock.nowMs) },
    ]);
    expect(again.body.results[0].result).toBe('unmatched');
  });

  it('records a payment of another amount for a disabled account while one of its orders is open', async () => {
    const m = await addMerchant(gw.services);
    const acc = await addAccount(gw.services, m.id, 'alipay');
    const api = new MonitorClient(gw.url, acc.id, acc.monitorKey, clock.now);
    expect((await createOrder(gw.url, m, { price: '40', type: 'alipay', out: 'u-1' })).code).toBe(100);
    await gw.services.accounts.setEnabled(acc.id, false);
    // Another amount (someone paid a wrong sum): still recorded for the operator while u-1 is open.
    const r = await api.payments([{ id: 'u-x', type: 'alipay', amount: '3.21', paid_at: sec(clock.nowMs) }]);
    expect(r.body.results[0].result).toBe('unmatched');
  });
});
