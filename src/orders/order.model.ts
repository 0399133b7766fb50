import type { Selectable } from 'kysely';
import type { OrderTable } from '../db/schema.js';
import type { OrderStatus, PaymentType } from '../domain/order-state.js';

/** How an order was created: the GatePay endpoint (or, later, a compatibility protocol). */
export type OrderKind = 'anypay' | 'cloudpay' | 'stablepay' | 'grouppay';

export interface Order {
  id: number;
  merchantId: number;
  accountId: number;
  token: string;
  outOrderId: string;
  kind: OrderKind;
  type: PaymentType;
  priceCents: number;
  realpriceCents: number;
  productId: string;
  title: string;
  custom: string;
  fingerprint: string;
  status: OrderStatus;
  late: boolean;
  createdAt: number;
  expiresAt: number;
  paidAt: number | null;
  paymentId: number | null;
  /** End of its hold on the slot (account, type, realprice): `expires_at + grace`, or when paid. */
  holdUntil: number;
  origin: OrderOrigin;
  /** Paid by a late payment after its stock had been sold to others. */
  oversold: boolean;
  /** The merchant protocol that created it; its notification and return use that format. */
  protocol: Protocol;
  /** Per-order notify URL (compatibility protocols); '' = the merchant's. */
  notifyUrl: string;
  /** Per-order return URL (compatibility protocols); '' = the merchant's. */
  returnUrl: string;
  /** Fields the protocol echoes back (易支付 `name`/`param`, V免签 `param`, …). */
  protocolData: Readonly<Record<string, string>>;
}

/** Merchant protocols an order can come from. `epay2` is 易支付 V2 (RSA). */
export type Protocol = 'gatepay' | 'epay' | 'epay2' | 'vmq';

const NO_DATA: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Who asked for the order: a merchant's signed API request, a buyer on the quick collection
 * page, or the console's test payment (`test`: out_order_id `TEST-…`, may be paid by the
 * simulator from the console, outside the daily API quota and the dashboard's totals).
 */
export type OrderOrigin = 'api' | 'quick' | 'test';

export function orderFromRow(r: Selectable<OrderTable>): Order {
  return {
    id: Number(r.id),
    merchantId: Number(r.merchant_id),
    accountId: Number(r.account_id),
    token: r.token,
    outOrderId: r.out_order_id,
    kind: r.kind as OrderKind,
    type: r.type as PaymentType,
    priceCents: Number(r.price_cents),
    realpriceCents: Number(r.realprice_cents),
    productId: r.product_id,
    title: r.title,
    custom: r.custom,
    fingerprint: r.fingerprint,
    status: r.status as OrderStatus,
    late: r.late === 1,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    paidAt: r.paid_at === null ? null : Number(r.paid_at),
    paymentId: r.payment_id === null ? null : Number(r.payment_id),
    holdUntil: Number(r.hold_until),
    origin: r.origin as OrderOrigin,
    oversold: r.oversold === 1,
    protocol: r.protocol as Protocol,
    notifyUrl: r.notify_url,
    returnUrl: r.return_url,
    protocolData:
      r.protocol_data === '{}' ? NO_DATA : (JSON.parse(r.protocol_data) as Record<string, string>),
  };
}
