import type { Merchant } from '../merchants/merchant.model.js';
import type { OutboundNotification } from '../notify/outbound.js';
import type { Order, Protocol } from '../orders/order.model.js';
import { gatepayFormats } from './gatepay/gatepay-formats.js';
import { vmqFormats } from './vmq/vmq-formats.js';

/**
 * What each merchant protocol builds for an order it created: the notification written to the
 * outbox in the paying transaction, and the browser redirects of the cashier. The services
 * stay protocol-free; they ask here by `order.protocol`.
 */
export interface ProtocolFormats {
  /** The whole outbox request for a paid order (the dispatcher knows no protocol). */
  notification(order: Order, merchant: Merchant, paidAt: number): OutboundNotification;
  /** Where the cashier sends the buyer once paid and notified; null: the page says "paid". */
  returnUrl(order: Order, merchant: Merchant): string | null;
  /** Where the cashier sends the buyer of an expired order; null: the page says "closed". */
  timeoutUrl(order: Order, merchant: Merchant): string | null;
}

const FORMATS: Partial<Record<Protocol, ProtocolFormats>> = {
  gatepay: gatepayFormats,
  vmq: vmqFormats,
};

export function formatsOf(order: Pick<Order, 'protocol' | 'id'>): ProtocolFormats {
  const f = FORMATS[order.protocol];
  if (!f) throw new Error(`order ${order.id}: no formats for protocol ${order.protocol}`);
  return f;
}
