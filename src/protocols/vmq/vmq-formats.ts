import { formatCents, formatCentsPhp } from '../../domain/money.js';
import { md5 } from '../../domain/sign.js';
import { appendQuery } from '../../lib/urls.js';
import type { Merchant } from '../../merchants/merchant.model.js';
import type { Order } from '../../orders/order.model.js';
import type { ProtocolFormats } from '../formats.js';

/** V免签's payment type: 1 = WeChat, 2 = Alipay. */
export const vmqType = (o: Pick<Order, 'type'>) => (o.type === 'wechat' ? '1' : '2');

/**
 * compat-vmq.md "Notify": `payId, param, type, price, reallyPrice, sign`, with
 * `sign = md5(payId + param + type + price + reallyPrice + key)` over the strings sent; the
 * notification prints prices as PHP prints a float (`10`, `10.01`), the return with 2 decimals.
 */
export function vmqSignedFields(
  o: Order,
  key: string,
  format: (cents: number) => string,
): Record<string, string> {
  const p = {
    payId: o.outOrderId,
    param: o.protocolData.param ?? '',
    type: vmqType(o),
    price: format(o.priceCents),
    reallyPrice: format(o.realpriceCents),
  };
  return { ...p, sign: md5(p.payId + p.param + p.type + p.price + p.reallyPrice + key) };
}

/** V免签 orders: GET notify delivered on exactly `success`, a signed return redirect. */
export const vmqFormats: ProtocolFormats = {
  notification(order: Order, merchant: Merchant) {
    const url = order.notifyUrl || merchant.notifyUrl;
    return {
      method: 'GET',
      url: appendQuery(url, vmqSignedFields(order, merchant.appsecret, formatCentsPhp)),
      body: '',
      contentType: '',
      successRule: 'exact-success',
    };
  },
  returnUrl(order: Order, merchant: Merchant) {
    const url = order.returnUrl || merchant.returnUrl;
    return url ? appendQuery(url, vmqSignedFields(order, merchant.appsecret, formatCents)) : null;
  },
  timeoutUrl: () => null,
};
