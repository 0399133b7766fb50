import { formatCents } from '../../domain/money.js';
import { returnSign } from './gatepay-sign.js';
import { appendQuery } from '../../lib/urls.js';

/** What the browser redirects need of a merchant. */
export interface RedirectMerchant {
  appkey: string;
  appsecret: string;
  returnUrl: string;
  timeoutUrl: string | null;
}

/** What the browser redirects need of an order. */
export interface RedirectOrder {
  id: number;
  outOrderId: string;
  priceCents: number;
  type: string;
  /** `'0'` for any-amount orders (spec §3 Decision). */
  productId: string;
}

/** The signed parameters of spec §3, in the spec's order. */
export function returnParams(m: RedirectMerchant, o: RedirectOrder): Record<string, string> {
  const p = {
    price: formatCents(o.priceCents),
    type: o.type,
    product_id: o.productId === '' ? '0' : o.productId,
    order_id: String(o.id),
    out_order_id: o.outOrderId,
  };
  return { ...p, sign: returnSign(m.appkey, p, m.appsecret) };
}

/**
 * spec §3: the merchant's sync return URL with the signed parameters appended (`&` when it
 * already has a query). Where the cashier sends the buyer once the async notify was delivered.
 */
export function buildReturnUrl(m: RedirectMerchant, o: RedirectOrder): string {
  return appendQuery(m.returnUrl, returnParams(m, o));
}

/**
 * spec §4: the merchant's timeout URL with `out_order_id` and `order_id` appended, or null when
 * the merchant set none (the cashier then shows "order closed").
 */
export function buildTimeoutUrl(m: RedirectMerchant, o: RedirectOrder): string | null {
  if (!m.timeoutUrl) return null;
  return appendQuery(m.timeoutUrl, { out_order_id: o.outOrderId, order_id: String(o.id) });
}
