import { formatCents } from '../../domain/money.js';
import { notifySign } from './gatepay-sign.js';
import { appendQuery } from '../../lib/urls.js';
import type { Merchant } from '../../merchants/merchant.model.js';
import type { OutboundNotification } from '../../notify/outbound.js';
import type { Order } from '../../orders/order.model.js';

/** The parameters of spec §2, in the spec's order, `sign` computed, `appkey` added (Decision). */
export function gatepayNotifyParams(
  order: Order,
  merchant: Merchant,
  paidAt: number,
): Record<string, string> {
  const p = {
    order_id: String(order.id),
    out_order_id: order.outOrderId,
    price: formatCents(order.priceCents),
    realprice: formatCents(order.realpriceCents),
    type: order.type,
    paytime: String(Math.floor(paidAt / 1000)),
    extend: order.custom,
  };
  return { ...p, sign: notifySign(merchant.appkey, p, merchant.appsecret), appkey: merchant.appkey };
}

/** spec §2: POST form (or GET query, a merchant setting) to the merchant's async notify URL. */
export function buildGatepayNotification(
  order: Order,
  merchant: Merchant,
  paidAt: number,
): OutboundNotification {
  const params = gatepayNotifyParams(order, merchant, paidAt);
  const form = new URLSearchParams(params).toString();
  if (merchant.notifyMethod === 'GET') {
    return {
      method: 'GET',
      url: appendQuery(merchant.notifyUrl, params),
      body: '',
      contentType: '',
      successRule: 'trimmed-success',
    };
  }
  return {
    method: 'POST',
    url: merchant.notifyUrl,
    body: form,
    contentType: 'application/x-www-form-urlencoded',
    successRule: 'trimmed-success',
  };
}
