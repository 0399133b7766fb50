import { createHash } from 'node:crypto';
import type { Merchant } from '../../src/merchants/merchant.model.js';
import type { Order } from '../../src/orders/order.model.js';
import type { Services } from '../../src/services.js';
import type { TestGateway } from '../helpers/gateway.js';
import { type ConsoleClient, operatorClient, signedInClient } from './client.js';

/**
 * Two shops for the orders, notifications and payments slice: each a merchant with an alipay
 * and a wechat account (taking orders while offline), and a signed-in merchant user; plus the
 * operator.
 */
export interface Shop {
  merchant: Merchant;
  alipay: number;
  wechat: number;
  client: ConsoleClient;
  email: string;
}

export const SHOP_PASSWORD = 'shop password 1';

let seq = 0;

export async function addShop(gw: TestGateway, name: string, notifyUrl: string): Promise<Shop> {
  const s = gw.services;
  const m = await s.merchants.add({ name, notifyUrl, returnUrl: `https://${name}.example.com/return` });
  const merchant = await s.merchants.set(m.id, { allowOffline: true });
  const alipay = await s.accounts.add({
    merchantId: m.id,
    type: 'alipay',
    name: `${name} Alipay`,
    qrContent: 'https://qr.alipay.com/x',
  });
  const wechat = await s.accounts.add({
    merchantId: m.id,
    type: 'wechat',
    name: `${name} WeChat`,
    qrContent: 'wxp://x',
  });
  const email = `owner@${name}.example.com`;
  await s.users.add({ email, password: SHOP_PASSWORD, role: 'merchant', merchantId: m.id });
  return {
    merchant,
    alipay: alipay.id,
    wechat: wechat.id,
    client: await signedInClient(gw, email, SHOP_PASSWORD),
    email,
  };
}

export async function consoleSetup(gw: TestGateway, notifyUrl = 'http://127.0.0.1:9/notify') {
  const op = await operatorClient(gw);
  const a = await addShop(gw, `tea${++seq}`, notifyUrl);
  const b = await addShop(gw, `noodles${++seq}`, notifyUrl);
  return { op, a, b };
}

/** An any-amount order, created as the merchant API would. */
export async function order(
  services: Services,
  merchant: Merchant,
  opts: { price: number; type?: 'alipay' | 'wechat'; out?: string; custom?: string },
): Promise<Order> {
  const outOrderId = opts.out ?? `o-${++seq}`;
  const custom = opts.custom ?? 'buyer@example.com';
  const type = opts.type ?? 'alipay';
  const { order: o } = await services.orders.create({
    merchant,
    kind: 'anypay',
    type,
    pricing: { by: 'amount', priceCents: opts.price },
    outOrderId,
    custom,
    fingerprint: JSON.stringify(['anypay', type, String(opts.price / 100), custom]),
  });
  return o;
}

/** Reports a payment on an account as a monitor would; returns what the gateway made of it. */
export function report(
  services: Services,
  p: { accountId: number; type?: 'alipay' | 'wechat'; cents: number; paidAt?: number; id?: string },
) {
  return services.payments.record({
    accountId: p.accountId,
    type: p.type ?? 'alipay',
    amountCents: p.cents,
    paidAt: p.paidAt ?? services.clock(),
    reporterId: p.id ?? `rep-${++seq}`,
    source: 'monitor',
    payer: 'buyer',
    memo: 'note',
  });
}

/** Pays an order with exactly its realprice, as a monitor would. */
export async function payExactly(services: Services, o: Order) {
  const r = await report(services, { accountId: o.accountId, type: o.type, cents: o.realpriceCents });
  if (r.outcome !== 'paid' && r.outcome !== 'late') throw new Error(`payment was ${r.outcome}`);
  return r;
}

export const sha = (s: string) => createHash('sha256').update(s).digest('hex');
