import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentOutcome } from '../../src/payments/payment.service.js';
import { call, countRows, createParams, type MerchantCreds, provisionMerchant } from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** Real HTTP requests and payment reports racing each other on one receiving account. */
describe('concurrency', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  const slotsOf = async (accountId: number) =>
    gw.services.db.kysely.selectFrom('slots').selectAll().where('account_id', '=', accountId).execute();

  async function race(m: MerchantCreds, n: number, price: string) {
    return Promise.all(
      Array.from({ length: n }, (_, i) =>
        call(
          gw.url,
          '/api/anypay/create',
          createParams(m, { price, type: 'alipay', out_order_id: `race-${i}`, custom: '' }),
        ),
      ),
    );
  }

  for (const direction of ['down', 'up'] as const) {
    it(`gives 500 concurrent same-price orders distinct realprices until the ${direction} range is full`, async () => {
      const { merchant, accounts } = await provisionMerchant(gw, { name: `Race ${direction}` });
      await gw.services.merchants.set(merchant.id, { offsetDirection: direction });
      const answers = await race(merchant, 500, '10');

      for (const a of answers) expect(a.status).toBe(200);
      const ok = answers.filter((a) => a.body!.code === 100);
      const refused = answers.filter((a) => a.body!.code !== 100);
      for (const r of refused) expect(r.body).toMatchObject({ code: 204, msg: '无可用支付方式', data: null });

      const realprices = ok.map((a) => a.body!.data.realprice as string);
      expect(new Set(realprices).size).toBe(realprices.length);
      expect(ok.length).toBeLessThanOrEqual(100);
      // A 204 means every amount was held at that moment, and holds only grow during the race.
      if (refused.length > 0) expect(ok.length).toBe(100);
      const expected = Array.from({ length: 100 }, (_, i) =>
        ((direction === 'down' ? 1000 - i : 1000 + i) / 100).toFixed(2),
      );
      expect(realprices.sort()).toEqual(expected.sort());

      const slots = await slotsOf(accounts.alipay!);
      expect(slots).toHaveLength(ok.length);
      const orders = await gw.services.db.kysely
        .selectFrom('orders')
        .select(['token', 'realprice_cents'])
        .where('merchant_id', '=', merchant.id)
        .execute();
      expect(orders).toHaveLength(ok.length);
      expect(new Set(slots.map((s) => s.order_token))).toEqual(new Set(orders.map((o) => o.token)));
    });
  }

  it('answers 50 concurrent identical creates with one and the same order', async () => {
    const { merchant, accounts } = await provisionMerchant(gw, { name: 'Same request' });
    const params = createParams(merchant, { price: '10', type: 'alipay', out_order_id: 'same', custom: 'c' });
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => call(gw.url, '/api/anypay/create', params)),
    );
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.body!.code, a.body!.msg).toBe(100);
    }
    expect(new Set(answers.map((a) => a.body!.data.order_id)).size).toBe(1);
    expect(new Set(answers.map((a) => a.body!.data.realprice))).toEqual(new Set(['10.00']));
    expect(await slotsOf(accounts.alipay!)).toHaveLength(1);
  });

  it('lets only one of 50 concurrent creates with the same out_order_id and different prices win', async () => {
    const { merchant, accounts } = await provisionMerchant(gw, { name: 'Same id' });
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(
          gw.url,
          '/api/anypay/create',
          createParams(merchant, {
            price: String(i + 1),
            type: 'alipay',
            out_order_id: 'contested',
            custom: '',
          }),
        ),
      ),
    );
    for (const a of answers) expect(a.status).toBe(200);
    const codes = answers.map((a) => a.body!.code);
    expect(codes.filter((c) => c === 100)).toHaveLength(1);
    expect(codes.filter((c) => c === 207)).toHaveLength(49);
    expect(await slotsOf(accounts.alipay!)).toHaveLength(1);
  });

  it('pays each of 200 open orders exactly once from 200 concurrent reports, and ignores their replay', async () => {
    const { merchant, accounts } = await provisionMerchant(gw, { name: 'Payments race' });
    const accountId = accounts.alipay!;
    // Distinct whole prices: every realprice is the price itself.
    const created = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call(
          gw.url,
          '/api/anypay/create',
          createParams(merchant, {
            price: String(i + 1),
            type: 'alipay',
            out_order_id: `pay-${i}`,
            custom: '',
          }),
        ),
      ),
    );
    const orders = created.map((c) => {
      expect(c.body!.code).toBe(100);
      return c.body!.data as { order_id: number; realprice: string };
    });
    expect(orders.map((o) => o.realprice)).toEqual(orders.map((_, i) => `${i + 1}.00`));
    const rowsBefore = await countRows(gw);

    const report = (i: number) =>
      gw.services.payments.record({
        accountId,
        type: 'alipay',
        amountCents: (i + 1) * 100,
        paidAt: Date.now(),
        reporterId: `bill-${i}`,
        source: 'monitor',
      });
    const outcomes: PaymentOutcome[] = await Promise.all(orders.map((_, i) => report(i)));

    outcomes.forEach((o, i) => {
      expect(o).toMatchObject({ outcome: 'paid', orderId: orders[i]!.order_id, late: false });
    });
    const k = gw.services.db.kysely;
    const ids = orders.map((o) => o.order_id);
    const paidRows = await k.selectFrom('orders').selectAll().where('id', 'in', ids).execute();
    for (const r of paidRows) {
      expect(r.status).toBe('paid');
      expect(r.payment_id).not.toBeNull();
    }
    const payments = await k.selectFrom('payments').selectAll().where('account_id', '=', accountId).execute();
    expect(payments).toHaveLength(200);
    expect(new Set(payments.map((p) => Number(p.order_id)))).toEqual(new Set(ids));
    const notifications = await k
      .selectFrom('notifications')
      .selectAll()
      .where('order_id', 'in', ids)
      .execute();
    expect(notifications).toHaveLength(200);
    expect(new Set(notifications.map((n) => Number(n.order_id)))).toEqual(new Set(ids));
    expect(await slotsOf(accountId)).toHaveLength(0);
    const rowsAfter = await countRows(gw);
    expect(rowsAfter).toEqual({
      ...rowsBefore,
      slots: rowsBefore.slots - 200,
      payments: rowsBefore.payments + 200,
      notifications: rowsBefore.notifications + 200,
    });

    // The monitor sends every bill again: nothing changes.
    const stable = async () => ({
      orders: await k.selectFrom('orders').selectAll().where('id', 'in', ids).orderBy('id').execute(),
      payments: await k
        .selectFrom('payments')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('id')
        .execute(),
      notifications: await k
        .selectFrom('notifications')
        .select(['id', 'order_id', 'body', 'url', 'webhook_id'])
        .where('order_id', 'in', ids)
        .orderBy('id')
        .execute(),
    });
    const snapshot = await stable();
    const replays = await Promise.all(orders.map((_, i) => report(i)));
    replays.forEach((o, i) => {
      expect(o).toMatchObject({ outcome: 'duplicate', orderId: orders[i]!.order_id });
    });
    expect(await stable()).toEqual(snapshot);
    expect(await countRows(gw)).toEqual(rowsAfter);
  });
});
