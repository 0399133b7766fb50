import { formatCents } from '../../domain/money.js';
import type { NotifyState } from '../../notify/notify.service.js';
import { qrPngDataUrl } from '../../qrcode/png.js';
import type { Order } from '../../orders/order.model.js';

/** URLs the gateway hands out for an order. */
export function payUrl(publicUrl: string, o: Order): string {
  return `${publicUrl}/pay/api?id=${o.token}&type=${o.type}`;
}

/** The `data` of a create answer (spec "Create an order"). `cloudpay` answers carry no image. */
export function createAnswer(publicUrl: string, o: Order, params: Record<string, string>) {
  const pay = payUrl(publicUrl, o);
  return {
    order_id: o.id,
    pay_url: pay,
    api_url: `${pay}&format=json`,
    qrcode_url: `${publicUrl}/qrcode/build?size=130&text=${encodeURIComponent(pay)}`,
    ...(o.kind === 'cloudpay' ? {} : { qrcode_body: qrPngDataUrl(pay, 200) }),
    price: formatCents(o.priceCents),
    realprice: formatCents(o.realpriceCents),
    expire_time: Math.floor(o.expiresAt / 1000),
    params,
  };
}

/**
 * The `data` of findOrder (spec "Query an order"), plus `out_order_id` and `late`, and the title
 * also as `order_name`, the field GatePay's later `/api/order/check` answers with (both names on
 * both paths, so a client of either finds its field).
 */
export function findAnswer(o: Order, notifyStatus: NotifyState) {
  return {
    order_id: o.id,
    out_order_id: o.outOrderId,
    order_title: o.title,
    order_name: o.title,
    order_price: formatCents(o.priceCents),
    order_realprice: formatCents(o.realpriceCents),
    order_type: o.type,
    order_status: o.status,
    paytime: o.paidAt === null ? 0 : Math.floor(o.paidAt / 1000),
    notify_status: notifyStatus,
    late: o.late,
  };
}
