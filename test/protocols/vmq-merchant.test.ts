import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmqSignedFields } from '../../src/protocols/vmq/vmq-formats.js';
import { formatCents, formatCentsPhp } from '../../src/domain/money.js';
import type { Order } from '../../src/orders/order.model.js';
import { call, createParams, md5, provisionMerchant } from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

describe('V免签 signatures (compat-vmq.md worked example)', () => {
  const order = {
    outOrderId: 'ORD1001',
    protocolData: { param: 'uid42' },
    type: 'alipay',
    priceCents: 1000,
    realpriceCents: 1001,
  } as unknown as Order;
  it('signs the notify with PHP float prices and the return with 2 decimals', () => {
    expect(vmqSignedFields(order, 'abc123', formatCentsPhp)).toEqual({
      payId: 'ORD1001',
      param: 'uid42',
      type: '2',
      price: '10',
      reallyPrice: '10.01',
      sign: 'f44426423fd97e225c91c7c3d13eba5c',
    });
    expect(vmqSignedFields(order, 'abc123', formatCents).sign).toBe('8d79aa38374d6ca4600fd0356d7885b8');
  });
});

describe('V免签 merchant API under /vmq/{merchantId}/', () => {
  let gw: TestGateway;
  let shop: Server;
  let shopUrl: string;
  const received: URL[] = [];
  let m: { id: number; appkey: string; appsecret: string };
  let accountId: number;

  beforeAll(async () => {
    shop = createServer((req, res) => {
      received.push(new URL(req.url ?? '/', 'http://shop'));
      res.end('success');
    });
    await new Promise<void>((r) => shop.listen(0, '127.0.0.1', r));
    shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
    gw = await startTestGateway();
    const p = await provisionMerchant(gw, { name: 'VMQ shop', types: ['alipay', 'wechat'] });
    m = p.merchant;
    accountId = p.accounts.alipay!;
  });
  afterAll(async () => {
    await gw.close();
    await new Promise((r) => shop.close(r));
  });

  const get = async (method: string, q: Record<string, string>) => {
    const res = await fetch(`${gw.url}/vmq/${m.id}/${method}?${new URLSearchParams(q)}`, {
      redirect: 'manual',
    });
    return { status: res.status, headers: res.headers, body: (await res.json().catch(() => null)) as any };
  };
  /** As dujiaoka builds it: money a PHP float, a return URL already holding a query string. */
  const createQuery = (payId: string, price: string, type = '2', param = 'uid42') => ({
    payId,
    param,
    type,
    price,
    sign: md5(payId + param + type + price + m.appsecret),
    notifyUrl: `${shopUrl}/pay/vpay/notify_url`,
    returnUrl: `${shopUrl}/pay/vpay/return_url?order_id=${payId}`,
  });

  it('creates an order, notifies it signed by GET, answers getOrder and checkOrder', async () => {
    const created = await get('createOrder', createQuery('ORD1001', '10'));
    expect(created.body).toMatchObject({ code: 1, msg: '成功' });
    const data = created.body.data;
    expect(data).toMatchObject({ payId: 'ORD1001', payType: 2, price: 10, state: 0, isAuto: 1 });
    expect(data.payUrl).toContain('/pay/api?id=');
    expect(typeof data.orderId).toBe('string');

    const pay = await gw.services.payments.record({
      accountId,
      type: 'alipay',
      amountCents: Math.round(data.reallyPrice * 100),
      paidAt: Date.now(),
      reporterId: 'vmq-pay-1',
      source: 'simulate',
    });
    expect(pay).toMatchObject({ outcome: 'paid', orderId: Number(data.orderId) });
    await expect.poll(() => received.length, { timeout: 5000 }).toBeGreaterThan(0);
    const n = received[0]!;
    expect(n.pathname).toBe('/pay/vpay/notify_url');
    const f = Object.fromEntries(n.searchParams);
    expect(f).toMatchObject({ payId: 'ORD1001', param: 'uid42', type: '2', price: '10' });
    expect(f.sign).toBe(md5(f.payId! + f.param + f.type + f.price + f.reallyPrice + m.appsecret));

    await expect
      .poll(async () => (await get('getOrder', { orderId: data.orderId })).body.data.state, { timeout: 5000 })
      .toBe(1);
    const check = await get('checkOrder', { orderId: data.orderId });
    expect(check.body.code).toBe(1);
    const back = new URL(check.body.data);
    expect(back.searchParams.get('order_id')).toBe('ORD1001');
    const r = Object.fromEntries(back.searchParams);
    expect(r.price).toBe('10.00');
    expect(r.sign).toBe(md5(r.payId! + r.param + r.type + r.price + r.reallyPrice + m.appsecret));
  });

  it('refuses a wrong signature or type and creates nothing', async () => {
    const bad = createQuery('ORD-BAD', '5');
    bad.sign = md5('tampered');
    expect((await get('createOrder', bad)).body).toEqual({ code: -1, msg: '签名校验不通过', data: null });
    expect((await get('createOrder', createQuery('ORD-BAD', '5', '3'))).body.code).toBe(-1);
    expect(await gw.services.orders.findByMerchantOut(m.id, 'ORD-BAD')).toBeNull();
    expect((await get('getOrder', { orderId: '999999' })).body.code).toBe(-1);
    // Another protocol's order of the same merchant is not a V免签 order.
    const gp = await call(
      gw.url,
      '/api/cloudpay/create',
      createParams(m, { price: '6.00', type: 'alipay', out_order_id: 'GP-1', custom: '' }),
    );
    const gpId = String((gp.body!.data as { order_id: number }).order_id);
    expect((await get('getOrder', { orderId: gpId })).body).toMatchObject({ code: -1 });
    const other = await fetch(`${gw.url}/vmq/999999/getOrder?orderId=1`);
    expect(((await other.json()) as { code: number }).code).toBe(-1);
  });

  it('closes an unpaid order only with the right sign; checkOrder then says expired', async () => {
    const created = await get('createOrder', createQuery('ORD-CLOSE', '7.5', '1', ''));
    expect(created.body.code).toBe(1);
    const orderId = created.body.data.orderId as string;
    expect((await get('checkOrder', { orderId })).body).toMatchObject({ code: -1, msg: '订单未支付' });
    const refused = await get('closeOrder', { orderId, sign: md5(orderId + 'wrong') });
    expect(refused.body.code).toBe(-1);
    expect((await get('getOrder', { orderId })).body.data.state).toBe(0);
    const closed = await get('closeOrder', { orderId, sign: md5(orderId + m.appsecret) });
    expect(closed.body.code).toBe(1);
    expect((await get('getOrder', { orderId })).body.data.state).toBe(-1);
    expect((await get('checkOrder', { orderId })).body).toMatchObject({ code: -1, msg: '订单已过期' });
  });

  it('redirects to the cashier with isHtml=1, and reports the monitor state signed', async () => {
    const html = await get('createOrder', { ...createQuery('ORD-HTML', '3'), isHtml: '1' });
    expect(html.status).toBe(302);
    expect(html.headers.get('location')).toContain('/pay/api?id=');
    const t = String(Date.now());
    const state = await get('getState', { t, sign: md5(t + m.appsecret) });
    expect(state.body).toMatchObject({ code: 1, data: { jkstate: -1 } });
    expect((await get('getState', { t, sign: md5(t) })).body.code).toBe(-1);
  });
});
