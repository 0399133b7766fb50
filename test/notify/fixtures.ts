import { createHash } from 'node:crypto';
import type { Merchant } from '../../src/merchants/merchant.model.js';
import type { Order } from '../../src/orders/order.model.js';
import type { Services } from '../../src/services.js';

let seq = 0;

/** A merchant notifying `notifyUrl`, with one alipay account to take its orders. */
export async function merchantWithAccount(
  services: Services,
  notifyUrl: string,
  settings: { notifyMethod?: 'POST' | 'GET' } = {},
): Promise<{ merchant: Merchant; accountId: number }> {
  let merchant = await services.merchants.add({
    name: `M${++seq}`,
    notifyUrl,
    returnUrl: 'http://127.0.0.1:9/return',
  });
  if (settings.notifyMethod) {
    merchant = await services.merchants.set(merchant.id, { notifyMethod: settings.notifyMethod });
  }
  const account = await services.accounts.add({
    merchantId: merchant.id,
    type: 'alipay',
    name: `A${seq}`,
    qrContent: 'https://qr.alipay.com/test',
  });
  return { merchant, accountId: account.id };
}

/** Creates an any-amount order as the merchant API would. */
export async function createOrder(
  services: Services,
  merchant: Merchant,
  priceCents: number,
  custom = 'buyer@example.com',
): Promise<Order> {
  const outOrderId = `out-${++seq}-${Date.now()}`;
  const { order } = await services.orders.create({
    merchant,
    kind: 'anypay',
    type: 'alipay',
    pricing: { by: 'amount', priceCents },
    outOrderId,
    custom,
    fingerprint: createHash('sha256').update(`${outOrderId}|${priceCents}|${custom}`).digest('hex'),
  });
  return order;
}

/** Reports the exact realprice on the order's account, as a monitor would: the order becomes paid. */
export async function pay(services: Services, order: Order, reporterId = `rep-${order.id}`) {
  const r = await services.payments.record({
    accountId: order.accountId,
    type: order.type,
    amountCents: order.realpriceCents,
    paidAt: services.clock(),
    reporterId,
    source: 'simulate',
  });
  if (r.outcome !== 'paid' && r.outcome !== 'duplicate') throw new Error(`payment was ${r.outcome}`);
  return r;
}

export async function paidOrder(services: Services, merchant: Merchant, priceCents = 1000) {
  const order = await createOrder(services, merchant, priceCents);
  await pay(services, order);
  return order;
}

/** The outbox row of an order and its attempts, oldest first. */
export async function outbox(services: Services, orderId: number) {
  const db = services.db.kysely;
  const n = await db
    .selectFrom('notifications')
    .selectAll()
    .where('order_id', '=', orderId)
    .executeTakeFirstOrThrow();
  const attempts = await db
    .selectFrom('notify_attempts')
    .selectAll()
    .where('notification_id', '=', n.id)
    .orderBy('id')
    .execute();
  return { n, attempts };
}

/** Polls `read` until `ok` holds for its value (or throws after `timeoutMs`). */
export async function eventually<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
