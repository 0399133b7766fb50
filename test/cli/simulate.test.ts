import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createParams, type MerchantCreds } from '../helpers/gatepay.js';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import { expectRefusal, json, SLOW, shouyin } from './shouyin.js';

const MINUTE = 60_000;

describe('shouyin simulate pay --order', () => {
  // The gateway's clock is moved by hand to create orders in the past; the CLI runs on real time.
  const clock = new TestClock(Date.now() - 120 * MINUTE);
  let gw: TestGateway;
  let creds: MerchantCreds;

  beforeAll(async () => {
    gw = await startTestGateway({ clock });
    const m = await gw.services.merchants.add({
      name: 'Sim',
      notifyUrl: 'http://127.0.0.1:9/n',
      returnUrl: 'http://127.0.0.1:9/r',
    });
    await gw.services.accounts.add({
      merchantId: m.id,
      type: 'alipay',
      name: 'A',
      qrContent: 'https://qr.alipay.com/s',
    });
    creds = { appkey: m.appkey, appsecret: m.appsecret };
  });
  afterAll(() => gw.close());

  const create = async (price: string, out: string) => {
    const res = await call(
      gw.url,
      '/api/anypay/create',
      createParams(creds, { price, type: 'alipay', out_order_id: out, custom: '' }),
    );
    expect(res.body!.code, res.body!.msg).toBe(100);
    return res.body!.data as { order_id: number; realprice: string };
  };
  const payments = () =>
    gw.services.db.kysely.selectFrom('payments').select(['order_id', 'amount_cents']).orderBy('id').execute();
  const status = async (id: number) => (await gw.services.orders.findById(id))!.status;

  it(
    'refuses a paid order and one expired past its grace window, recording nothing; pays an unpaid or in-grace one',
    async () => {
      // Created two hours ago with the default 5-minute deadline and 10-minute grace: long past grace.
      const stale = await create('10', 'stale');
      // Expired 100 s ago: still within its grace window.
      clock.nowMs = Date.now() - 400_000;
      const late = await create('20', 'late');
      // A new order at the same price takes the stale order's lapsed slot: the same realprice.
      clock.nowMs = Date.now();
      const fresh = await create('10', 'fresh');
      expect(fresh.realprice).toBe(stale.realprice);

      const [onStale, onLate, onUnknown] = await Promise.all([
        shouyin(`simulate pay --order ${stale.order_id}`, gw.env),
        shouyin(`simulate pay --order ${late.order_id} --json`, gw.env),
        shouyin('simulate pay --order 999', gw.env),
      ]);
      expectRefusal(
        onStale,
        1,
        new RegExp(
          `^error: order ${stale.order_id} expired at \\S+ and its grace window ended at \\S+: .*nothing recorded`,
        ),
      );
      expect(json(onLate)).toMatchObject({
        outcome: 'late',
        orderId: late.order_id,
        order: { status: 'paid', late: true },
      });
      expectRefusal(onUnknown, 1, /^error: order 999 not found \(database /);
      // The refused payment did not pay the new order that holds the same amount now.
      expect(await status(fresh.order_id)).toBe('unpaid');
      expect(await payments()).toEqual([{ order_id: late.order_id, amount_cents: 2000 }]);

      expect(json(await shouyin(`simulate pay --order ${fresh.order_id} --json`, gw.env))).toMatchObject({
        outcome: 'paid',
        orderId: fresh.order_id,
        order: { status: 'paid', late: false },
      });
      const again = await shouyin(`simulate pay --order ${fresh.order_id}`, gw.env);
      expectRefusal(
        again,
        1,
        new RegExp(`^error: order ${fresh.order_id} is already paid; nothing recorded\\n$`),
      );
      expect(await payments()).toEqual([
        { order_id: late.order_id, amount_cents: 2000 },
        { order_id: fresh.order_id, amount_cents: 1000 },
      ]);
    },
    SLOW,
  );
});
