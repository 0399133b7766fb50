import { findAccountById } from '../accounts/account.repository.js';
import { NotFoundError } from '../domain/errors.js';
import { formatCents } from '../domain/money.js';
import { effectiveStatus } from '../domain/order-state.js';
import { findMerchantById } from '../merchants/merchant.repository.js';
import { formatsOf } from '../protocols/formats.js';
import { candidatePaymentsForOrder, type CandidatePayment } from '../payments/payment.inbox.js';
import type { PaymentRow } from '../payments/payment.repository.js';
import {
  findAuditOf,
  findItemsWithNames,
  findNotificationsWithAttempts,
  findPaymentsOfOrder,
} from './order-detail.repository.js';
import { findNotifyStates } from './order-list.repository.js';
import type { Order } from './order.model.js';
import { payUrl } from '../protocols/gatepay/gatepay.presenter.js';
import { findOrderById } from './order.repository.js';
import type { OrderListItem, QueryDeps } from './order.query.js';

type Scalar = string | number | boolean | null;

/**
 * One moment of an order's history. `kind` is a closed vocabulary the console translates;
 * `detail` holds what that moment's row shows. `upcoming`: it has not happened yet (the
 * deadline of an unpaid order, the next notification attempt).
 */
export interface TimelineEvent {
  kind:
    | 'created'
    | 'held'
    | 'expires'
    | 'expired'
    | 'payment_reported'
    | 'paid'
    | 'oversold'
    | 'notification_queued'
    | 'notification_attempt'
    | 'notification_next'
    | 'notification_gave_up'
    | 'notification_resend';
  at: number;
  upcoming: boolean;
  detail: Record<string, Scalar>;
}

export interface OrderDetail {
  order: OrderListItem & { hold_until: number; pay_url: string };
  /** The create request's parameters as the gateway kept them (the raw request is not stored). */
  request: Array<{ name: string; value: string }>;
  account: { id: number; name: string; type: string } | null;
  items: Array<{ product_id: number; name: string | null; quantity: number; price: string }>;
  payments: Array<PaymentFields>;
  notifications: Array<{
    id: number;
    method: string;
    url: string;
    state: string;
    attempts: number;
    next_attempt_at: number | null;
    last_error: string;
    created_at: number;
    delivered_at: number | null;
  }>;
  timeline: TimelineEvent[];
  /**
   * Where the cashier page sends the buyer: to the shop's return URL once the shop was notified,
   * to its timeout URL when the order expired. Whether the buyer went is not recorded.
   */
  redirect: { kind: 'return' | 'timeout'; url: string } | null;
  /** Unmatched payments this unpaid or expired order could have been paid with. */
  candidate_payments: CandidatePayment[];
  /** What the order's state allows (roles are the caller's business). */
  can: { resend_notification: boolean; mark_paid: boolean; attach_payment: boolean };
}

interface PaymentFields {
  id: number;
  amount: string;
  paid_at: number;
  received_at: number;
  source: string;
  reporter_id: string;
  payer: string;
  memo: string;
  late: boolean;
}

function paymentFields(p: PaymentRow): PaymentFields {
  return {
    id: Number(p.id),
    amount: formatCents(Number(p.amount_cents)),
    paid_at: Number(p.paid_at),
    received_at: Number(p.created_at),
    source: p.source,
    reporter_id: p.reporter_id,
    payer: p.payer,
    memo: p.memo,
    late: p.late === 1,
  };
}

/** The name of the create request's first signed field, by endpoint (spec "Create an order"). */
const FIRST_FIELD: Record<string, string> = {
  anypay: 'price',
  cloudpay: 'price',
  stablepay: 'product_id',
  grouppay: 'fields',
};

/**
 * The request's parameters. Orders keep price, type, out_order_id and custom; the fingerprint
 * (`[kind, type, first field, custom]` for merchant-API orders) also holds the first signed field
 * as sent, e.g. the grouppay `fields` list.
 */
function requestParams(o: Order): Array<{ name: string; value: string }> {
  const params = [
    {
      name: 'endpoint',
      value:
        o.origin === 'quick'
          ? 'pay/any'
          : o.origin === 'test'
            ? 'console test payment'
            : `api/${o.kind}/create`,
    },
    { name: 'type', value: o.type },
    { name: 'out_order_id', value: o.outOrderId },
  ];
  let first: string | null = null;
  try {
    const f: unknown = JSON.parse(o.fingerprint);
    if (Array.isArray(f) && f.length === 4 && typeof f[2] === 'string') first = f[2];
  } catch {
    /* an older or quick order's fingerprint: the stored fields below say enough */
  }
  const firstName = FIRST_FIELD[o.kind] ?? 'price';
  params.push({
    name: firstName,
    value: first ?? (firstName === 'price' ? formatCents(o.priceCents) : o.productId),
  });
  params.push({ name: 'custom', value: o.custom });
  return params;
}

/**
 * An order with its whole history, for the console's order page: the request, the amount held
 * on which account, each payment reported, how it was paid, every notification attempt, where
 * the buyer is sent, and what can still be done. Audit entries supply who did what by hand.
 */
export async function orderDetail(
  deps: QueryDeps & { publicUrl: string },
  orderId: number,
): Promise<OrderDetail> {
  const db = deps.db.kysely;
  const now = deps.clock();
  const o = await findOrderById(db, orderId);
  if (!o) throw new NotFoundError(`order ${orderId} not found`);
  const [account, merchant, items, payments, notify, states] = await Promise.all([
    findAccountById(db, o.accountId),
    findMerchantById(db, o.merchantId),
    findItemsWithNames(db, o.id),
    findPaymentsOfOrder(db, o.id),
    findNotificationsWithAttempts(db, o.id),
    findNotifyStates(db, [o.id]),
  ]);
  const audit = await findAuditOf(db, [`order:${o.id}`, ...payments.map((p) => `payment:${p.id}`)]);
  const state = effectiveStatus(o.status, o.expiresAt, now);
  const paying = payments.find((p) => Number(p.id) === o.paymentId);

  const events: TimelineEvent[] = [];
  const add = (kind: TimelineEvent['kind'], at: number, detail: Record<string, Scalar> = {}) =>
    events.push({ kind, at, upcoming: at > now, detail });

  add('created', o.createdAt, {
    origin: o.origin,
    endpoint: o.kind,
    type: o.type,
    price: formatCents(o.priceCents),
    out_order_id: o.outOrderId,
  });
  add('held', o.createdAt, {
    account_id: o.accountId,
    account_name: account?.name ?? '',
    realprice: formatCents(o.realpriceCents),
    hold_until: o.holdUntil,
  });
  if (o.status === 'unpaid' && o.expiresAt > now) add('expires', o.expiresAt, { hold_until: o.holdUntil });
  else if (state === 'expired' || o.late) add('expired', o.expiresAt, { hold_until: o.holdUntil });

  for (const p of payments) {
    add('payment_reported', Number(p.created_at), { ...paymentFields(p), late: p.late === 1 });
  }
  if (o.status === 'paid') {
    const marked = audit.find((a) => a.action === 'order.mark_paid');
    const attached = paying
      ? audit.find((a) => a.action === 'payment.attach' && a.subject === `payment:${paying.id}`)
      : undefined;
    const by = marked ?? attached;
    const how = marked
      ? 'marked_paid'
      : attached
        ? 'attached'
        : paying?.source === 'simulate'
          ? 'simulated'
          : 'matched';
    add('paid', by ? Number(by.at) : paying ? Number(paying.created_at) : (o.paidAt as number), {
      how,
      paid_at: o.paidAt,
      amount: paying ? formatCents(Number(paying.amount_cents)) : null,
      late: o.late,
      oversold: o.oversold,
      actor: by?.actor ?? null,
      reason: by ? reasonOf(by.detail) : null,
    });
  }
  for (const a of audit) {
    if (a.action === 'order.oversold') add('oversold', Number(a.at), { actor: a.actor });
    if (a.action === 'notification.resend') add('notification_resend', Number(a.at), { actor: a.actor });
  }

  for (const n of notify.notifications) {
    add('notification_queued', Number(n.created_at), {
      notification_id: Number(n.id),
      method: n.method,
      url: n.url,
    });
    const tries = notify.attempts.filter((a) => Number(a.notification_id) === Number(n.id));
    for (const a of tries) {
      add('notification_attempt', Number(a.started_at), {
        notification_id: Number(n.id),
        trigger: a.trigger,
        ok: a.error === '',
        status: a.status_code === null ? null : Number(a.status_code),
        duration_ms: Number(a.duration_ms),
        answer: a.response_snippet,
        error: a.error,
      });
    }
    if (n.state === 'pending' && Number(n.attempts) > 0) {
      add('notification_next', Number(n.next_attempt_at), { notification_id: Number(n.id) });
    }
    if (n.state === 'failed') {
      const lastTry = tries.at(-1);
      add(
        'notification_gave_up',
        lastTry ? Number(lastTry.started_at) + Number(lastTry.duration_ms) : Number(n.created_at),
        {
          notification_id: Number(n.id),
          attempts: Number(n.attempts),
        },
      );
    }
  }
  // Stable: events at the same instant keep the order they were added in (created before held…).
  events.sort((a, b) => a.at - b.at);

  const delivered = notify.notifications.some((n) => n.state === 'delivered');
  const returnUrl = merchant && o.status === 'paid' && delivered ? formatsOf(o).returnUrl(o, merchant) : null;
  const timeoutUrl = merchant && state === 'expired' ? formatsOf(o).timeoutUrl(o, merchant) : null;
  const redirect = returnUrl
    ? { kind: 'return' as const, url: returnUrl }
    : timeoutUrl
      ? { kind: 'timeout' as const, url: timeoutUrl }
      : null;

  return {
    order: {
      id: o.id,
      out_order_id: o.outOrderId,
      merchant_id: o.merchantId,
      account_id: o.accountId,
      account_name: account?.name ?? '',
      type: o.type,
      kind: o.kind,
      origin: o.origin,
      title: o.title,
      custom: o.custom,
      price: formatCents(o.priceCents),
      realprice: formatCents(o.realpriceCents),
      paid_amount: paying ? formatCents(Number(paying.amount_cents)) : null,
      state,
      late: o.late,
      oversold: o.oversold,
      created_at: o.createdAt,
      expires_at: o.expiresAt,
      paid_at: o.paidAt,
      notify_state: states.get(o.id) ?? null,
      hold_until: o.holdUntil,
      pay_url: payUrl(deps.publicUrl, o),
    },
    request: requestParams(o),
    account: account ? { id: account.id, name: account.name, type: account.type } : null,
    items: items.map((i) => ({
      product_id: Number(i.product_id),
      name: i.name,
      quantity: Number(i.quantity),
      price: formatCents(Number(i.price_cents)),
    })),
    payments: payments.map(paymentFields),
    notifications: notify.notifications.map((n) => ({
      id: Number(n.id),
      method: n.method,
      url: n.url,
      state: n.state,
      attempts: Number(n.attempts),
      next_attempt_at: n.state === 'pending' ? Number(n.next_attempt_at) : null,
      last_error: n.last_error,
      created_at: Number(n.created_at),
      delivered_at: n.delivered_at === null ? null : Number(n.delivered_at),
    })),
    timeline: events,
    redirect,
    candidate_payments:
      o.status === 'paid'
        ? []
        : await candidatePaymentsForOrder(deps, {
            accountId: o.accountId,
            realpriceCents: o.realpriceCents,
            createdAt: o.createdAt,
          }),
    can: {
      resend_notification: o.status === 'paid' && notify.notifications.length > 0,
      mark_paid: o.status !== 'paid',
      attach_payment: o.status !== 'paid',
    },
  };
}

function reasonOf(detail: string): string | null {
  try {
    const d = JSON.parse(detail) as { reason?: unknown };
    return typeof d.reason === 'string' ? d.reason : null;
  } catch {
    return null;
  }
}
