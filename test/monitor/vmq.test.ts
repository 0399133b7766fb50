import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import { addAccount, addMerchant, cliJson, createOrder, findOrder } from './fixtures.js';
import { appGet, javaPrice, VmqApp } from './vmq-app.js';

const T0 = 1_700_000_000_000;

async function paymentCount(gw: TestGateway): Promise<number> {
  const r = await gw.services.db.kysely
    .selectFrom('payments')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('V免签 app protocol', () => {
  let gw: TestGateway;
  const clock = new TestClock(T0 - 60_000);

  beforeAll(async () => {
    gw = await startTestGateway({ clock });
  });
  afterAll(() => gw.close());

  it('prints prices the way Java prints a double', () => {
    expect([1001, 1050, 10000, 5, 50, 123456].map(javaPrice)).toEqual([
      '10.01',
      '10.5',
      '100.0',
      '0.05',
      '0.5',
      '1234.56',
    ]);
  });

  it("answers the spec's worked examples for key abc123, routing the WeChat push to the peer account", async () => {
    const m = await addMerchant(gw.services);
    const alipay = await addAccount(gw.services, m.id, 'alipay', 'phone-a');
    const wechat = await addAccount(gw.services, m.id, 'wechat', 'phone-w');
    await gw.services.db.kysely
      .updateTable('accounts')
      .set({ monitor_key: 'abc123' })
      .where('id', '=', alipay.id)
      .execute();
    await gw.services.accounts.set(wechat.id, { vmqPeerId: alipay.id });

    clock.nowMs = T0 - 1000;
    const a = await createOrder(gw.url, m, { price: '10.01', type: 'alipay', out: 'vec-a' });
    const w = await createOrder(gw.url, m, { price: '100', type: 'wechat', out: 'vec-w' });
    expect([a.data.realprice, w.data.realprice]).toEqual(['10.01', '100.00']);

    clock.nowMs = T0 + 500;
    const base = gw.url;
    const heart = await fetch(`${base}/appHeart?t=1700000000000&sign=281819c21aafed48b279933a0227a2ae`);
    expect(await heart.text()).toBe('{"code":1,"msg":"成功","data":null}');
    const both = await gw.services.accounts.list(m.id);
    expect(both.map((x) => x.lastHeartbeatAt)).toEqual([T0 + 500, T0 + 500]);

    const pushA = await appGet(
      `${base}/appPush?t=1700000000123&type=2&price=10.01&sign=e607ba0cf708c5163ead9a87a44bd10a`,
    );
    expect(pushA.body).toEqual({ code: 1, msg: '成功', data: null });
    const pushW = await appGet(
      `${base}/appPush?t=1700000000456&type=1&price=100.0&sign=5454daf9c26e2b9dbf7a598a8ece57c5`,
    );
    expect(pushW.body).toEqual({ code: 1, msg: '成功', data: null });

    const fa = await findOrder(gw.url, m, 'vec-a');
    const fw = await findOrder(gw.url, m, 'vec-w');
    expect([fa.data.order_status, fw.data.order_status]).toEqual(['paid', 'paid']);
    expect(fa.data.paytime).toBe(1_700_000_000);
    const payments = await gw.services.payments.list({});
    expect(payments.map((p) => [Number(p.account_id), p.reporter_id, p.source]).slice(0, 2)).toEqual([
      [wechat.id, 'vmq:1700000000456:1:100.0', 'vmq'],
      [alipay.id, 'vmq:1700000000123:2:10.01', 'vmq'],
    ]);
  });

  it('pairs through `account pair`, comes online by heartbeat, and pays orders as the app does', async () => {
    clock.nowMs = T0 + 60_000;
    const m = await addMerchant(gw.services, { allowOffline: false });
    const acc = await addAccount(gw.services, m.id, 'alipay', 'shop-phone');

    const pair = await cliJson(gw.env, ['account', 'pair', String(acc.id)]);
    expect(pair.code).toBe(0);
    const host = new URL(gw.url).host;
    expect(pair.json.pairing).toBe(`${host}/${acc.monitorKey}`);
    const app = new VmqApp(pair.json.pairing, clock.now);

    // Offline: the merchant does not take orders on accounts whose monitor is silent.
    const refused = await createOrder(gw.url, m, { price: '12.34', type: 'alipay', out: 'p-0' });
    expect(refused.code).toBe(204);

    expect((await app.heartbeat()).body).toEqual({ code: 1, msg: '成功', data: null });
    for (const [i, price] of ['12.34', '20', '10.50'].entries()) {
      const o = await createOrder(gw.url, m, { price, type: 'alipay', out: `p-${i + 1}` });
      expect(o.code).toBe(100);
      clock.advance(5_000);
      const cents = Math.round(Number(o.data.realprice) * 100);
      const push = await app.push(2, cents);
      expect(push.body.code).toBe(1);
      const found = await findOrder(gw.url, m, `p-${i + 1}`);
      expect(found.data.order_status).toBe('paid');
      expect(found.data.late).toBe(false);
    }
    const sent = (await gw.services.payments.list({ accountId: acc.id })).map(
      (p) => p.reporter_id.split(':')[3],
    );
    expect(sent.sort()).toEqual(['10.5', '12.34', '20.0']);

    // 91 s without a heartbeat: offline again.
    clock.advance(91_000);
    expect((await createOrder(gw.url, m, { price: '5', type: 'alipay', out: 'p-late' })).code).toBe(204);
  });

  it('rejects a replayed push: the captured URL never pays a newer order of the same amount', async () => {
    clock.nowMs = T0 + 600_000;
    const m = await addMerchant(gw.services);
    const acc = await addAccount(gw.services, m.id, 'alipay');
    const app = new VmqApp(`${new URL(gw.url).host}/${acc.monitorKey}`, clock.now);
    await createOrder(gw.url, m, { price: '30', type: 'alipay', out: 'r-1' });
    const captured = app.pushUrl(2, 3000);
    expect((await appGet(captured)).body.code).toBe(1);
    expect((await findOrder(gw.url, m, 'r-1')).data.order_status).toBe('paid');

    const second = await createOrder(gw.url, m, { price: '30', type: 'alipay', out: 'r-2' });
    expect(second.data.realprice).toBe('30.00'); // the paid order freed the slot
    const before = await paymentCount(gw);
    clock.advance(60_000);
    const replay = await appGet(captured);
    expect(replay.body).toEqual({ code: -1, msg: '重复推送' });
    expect(await paymentCount(gw)).toBe(before);
    expect((await findOrder(gw.url, m, 'r-2')).data.order_status).toBe('unpaid');
  });

  it('rejects stale and future timestamps before anything is recorded', async () => {
    clock.nowMs = T0 + 1_200_000;
    const m = await addMerchant(gw.services);
    const acc = await addAccount(gw.services, m.id, 'alipay');
    const app = new VmqApp(`${new URL(gw.url).host}/${acc.monitorKey}`, clock.now);
    await createOrder(gw.url, m, { price: '40', type: 'alipay', out: 's-1' });
    const before = await paymentCount(gw);
    const stale = await app.push(2, 4000, String(clock.nowMs - 5 * 60_000 - 1));
    const future = await app.push(2, 4000, String(clock.nowMs + 5 * 60_000 + 1));
    const staleHeart = await app.heartbeat(String(clock.nowMs - 10 * 60_000));
    for (const r of [stale, future, staleHeart]) expect(r.body).toEqual({ code: -1, msg: '客户端时间错误' });
    expect(await paymentCount(gw)).toBe(before);
    expect((await gw.services.accounts.get(acc.id)).lastHeartbeatAt).toBeNull();
    // A push that reaches the gateway 4 min 50 s after the phone sent it still counts.
    const sentAt = clock.nowMs + 10_000;
    clock.advance(10_000 + 290_000);
    expect((await app.push(2, 4000, String(sentAt))).body.code).toBe(1);
    expect((await findOrder(gw.url, m, 's-1')).data.order_status).toBe('paid');
  });

  it('rejects a push or heartbeat signed with a wrong key, and one from an account with the protocol off', async () => {
    clock.nowMs = T0 + 1_800_000;
    const m = await addMerchant(gw.services);
    const acc = await addAccount(gw.services, m.id, 'alipay');
    await createOrder(gw.url, m, { price: '50', type: 'alipay', out: 'k-1' });
    const before = await paymentCount(gw);
    const host = new URL(gw.url).host;
    const wrong = new VmqApp(`${host}/not-the-key`, clock.now);
    const res = await fetch(wrong.pushUrl(2, 5000));
    expect(await res.text()).toBe('{"code":-1,"msg":"签名校验不通过"}');
    expect((await wrong.heartbeat()).body).toEqual({ code: -1, msg: '签名校验不通过' });

    await gw.services.accounts.set(acc.id, { vmqEnabled: false });
    const off = new VmqApp(`${host}/${acc.monitorKey}`, clock.now);
    expect((await off.push(2, 5000)).body).toEqual({ code: -1, msg: '签名校验不通过' });
    expect(await paymentCount(gw)).toBe(before);
    expect((await findOrder(gw.url, m, 'k-1')).data.order_status).toBe('unpaid');

    await gw.services.accounts.set(acc.id, { vmqEnabled: true });
    expect((await off.push(2, 5000)).body.code).toBe(1);
    expect((await findOrder(gw.url, m, 'k-1')).data.order_status).toBe('paid');
  });

  it('refuses malformed pushes: missing fields, unknown type, prices Java would not print', async () => {
    clock.nowMs = T0 + 2_400_000;
    const m = await addMerchant(gw.services);
    const acc = await addAccount(gw.services, m.id, 'alipay');
    const app = new VmqApp(`${new URL(gw.url).host}/${acc.monitorKey}`, clock.now);
    const t = String(clock.nowMs);
    const md5 = (await import('../helpers/gatepay.js')).md5;
    const signed = (type: string, price: string) =>
      `${gw.url}/appPush?t=${t}&type=${type}&price=${price}&sign=${md5(type + price + t + app.key)}`;
    expect((await appGet(`${gw.url}/appPush?t=${t}&type=2`)).body.code).toBe(-1);
    expect((await appGet(signed('3', '10.0'))).body.code).toBe(-1);
    expect((await appGet(signed('2', '10'))).body).toEqual({ code: -1, msg: '金额格式错误' });
    expect((await appGet(signed('2', '10.001'))).body).toEqual({ code: -1, msg: '金额格式错误' });
    expect((await appGet(`${gw.url}/appPush?t=123&type=2&price=1.0&sign=x`)).body.code).toBe(-1);
    expect((await gw.services.payments.list({ accountId: acc.id })).length).toBe(0);
  });

  it('keeps a push that matches no order (or the other type without a peer) as unmatched', async () => {
    clock.nowMs = T0 + 3_000_000;
    const m = await addMerchant(gw.services);
    const acc = await addAccount(gw.services, m.id, 'alipay');
    const app = new VmqApp(`${new URL(gw.url).host}/${acc.monitorKey}`, clock.now);
    expect((await app.push(2, 777)).body.code).toBe(1);
    clock.advance(1);
    expect((await app.push(1, 888)).body.code).toBe(1);
    const listed = await cliJson(gw.env, ['payment', 'list', '--unmatched', '--account', String(acc.id)]);
    expect(listed.json.map((p: any) => [p.type, p.amount, p.source, p.order_id])).toEqual([
      ['wechat', '8.88', 'vmq', null],
      ['alipay', '7.77', 'vmq', null],
    ]);
  });

  it('finds an account paired by another process after its key list was loaded', async () => {
    clock.nowMs = T0 + 3_600_000;
    const m = await addMerchant(gw.services);
    const host = new URL(gw.url).host;
    // Warm the key list, then pair a new account through the CLI (its own database connection).
    await new VmqApp(`${host}/nobody`, clock.now).heartbeat();
    const added = await cliJson(gw.env, [
      'account',
      'add',
      '--merchant',
      String(m.id),
      '--type',
      'wechat',
      '--name',
      'cli',
      '--qr',
      'wxp://cli',
    ]);
    expect(added.code).toBe(0);
    await new Promise((r) => setTimeout(r, 1100)); // reloads on a miss are at most once a second
    const app = new VmqApp(`${host}/${added.json.monitor_key}`, clock.now);
    expect((await app.heartbeat()).body.code).toBe(1);
    expect((await gw.services.accounts.get(added.json.id)).lastHeartbeatAt).toBe(clock.nowMs);
  });
});
