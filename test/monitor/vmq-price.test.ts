import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import { addAccount, addMerchant, createOrder, findOrder } from './fixtures.js';
import { appGet } from './vmq-app.js';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

describe('V免签 prices spelled other than Java prints them', () => {
  let gw: TestGateway;
  const clock = new TestClock(1_700_000_000_000);
  beforeAll(async () => {
    gw = await startTestGateway({ clock });
  });
  afterAll(() => gw.close());

  /** A push signed over `price` exactly as written. */
  const push = (key: string, price: string, t: string, sign = md5(`2${price}${t}${key}`)) =>
    appGet(`${gw.url}/appPush?t=${t}&type=2&price=${price}&sign=${sign}`);

  it('matches price=10.50 signed over "10.50" to the 10.50 order, and takes 10.5 at the same t as its replay', async () => {
    const m = await addMerchant(gw.services);
    const acc = await addAccount(gw.services, m.id, 'alipay');
    const o = await createOrder(gw.url, m, { price: '10.50', type: 'alipay', out: 'v-1050' });
    expect(o.data.realprice).toBe('10.50');
    const t = String(clock.nowMs + 1000);

    // Signed over "10.5" but sent as "10.50": the signature covers the string received.
    expect((await push(acc.monitorKey, '10.50', t, md5(`210.5${t}${acc.monitorKey}`))).body).toEqual({
      code: -1,
      msg: '签名校验不通过',
    });
    expect((await push(acc.monitorKey, '10.50', t)).body).toEqual({ code: 1, msg: '成功', data: null });
    const found = await findOrder(gw.url, m, 'v-1050');
    expect([found.data.order_status, found.data.order_realprice]).toEqual(['paid', '10.50']);

    // The same push as the app spells it: one price, so a replay that changes nothing.
    expect((await push(acc.monitorKey, '10.5', t)).body).toEqual({ code: -1, msg: '重复推送' });
    const payments = await gw.services.payments.list({ accountId: acc.id });
    expect(payments.map((p) => [p.reporter_id, Number(p.amount_cents)])).toEqual([[`vmq:${t}:2:10.5`, 1050]]);
  });
});
