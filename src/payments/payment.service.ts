import type { Transaction } from 'kysely';
import { findAccountById } from '../accounts/account.repository.js';
import type { Actor } from '../audit/audit.model.js';
import { insertAudit } from '../audit/audit.repository.js';
import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import { formatCents, MAX_CENTS } from '../domain/money.js';
import { effectiveStatus, isPaymentType, type PaymentType } from '../domain/order-state.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { randomToken } from '../lib/tokens.js';
import { findMerchantById } from '../merchants/merchant.repository.js';
import { buildGatepayNotification } from '../notify/gatepay-notification.js';
import { insertNotification } from '../notify/notification.repository.js';
import type { Order } from '../orders/order.model.js';
import {
  findOrderById,
  findOrderItems,
  findSlotHolder,
  markOrderPaid,
  releaseSlot,
} from '../orders/order.repository.js';
import { takeStock } from '../products/product.repository.js';
import type { PaymentSource } from './payment.model.js';
import {
  attachPayment,
  findPaymentById,
  findPaymentByReporter,
  insertPaymentOnce,
  listPayments,
  type PaymentRow,
} from './payment.repository.js';

/** A payment older than its order by more than this cannot be for that order (clock skew allowance). */
const PAID_BEFORE_ORDER_SKEW_MS = 120_000;

export interface PaymentReport {
  accountId: number;
  type: PaymentType;
  amountCents: number;
  /** When the money arrived, per the reporter (unix ms). */
  paidAt: number;
  /** The reporter's own id for this payment; a repeat of it changes nothing. */
  reporterId: string;
  source: PaymentSource;
  payer?: string;
  memo?: string;
}

export type PaymentOutcome =
  | { outcome: 'paid'; paymentId: number; orderId: number; late: false }
  | { outcome: 'late'; paymentId: number; orderId: number; late: true }
  | { outcome: 'unmatched'; paymentId: number }
  | { outcome: 'duplicate'; paymentId: number; orderId: number | null };

/**
 * Payments reported as received on an account. Each is matched to the order holding its slot,
 * or kept unmatched for an operator; never dropped. The paid transition and the merchant
 * notification commit together.
 */
export class PaymentService {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly events: EventBus,
  ) {}

  async record(report: PaymentReport): Promise<PaymentOutcome> {
    if (!isPaymentType(report.type)) throw new InvalidInputError('type must be alipay or wechat');
    if (
      !Number.isSafeInteger(report.amountCents) ||
      report.amountCents <= 0 ||
      report.amountCents > MAX_CENTS
    ) {
      throw new InvalidInputError('amount must be positive');
    }
    if (report.reporterId === '' || report.reporterId.length > 200)
      throw new InvalidInputError('id must be 1–200 characters');
    const now = this.clock();
    const paid: Order[] = [];
    const result = await this.db.kysely.transaction().execute(async (trx): Promise<PaymentOutcome> => {
      const paymentId = await insertPaymentOnce(trx, {
        account_id: report.accountId,
        type: report.type,
        amount_cents: report.amountCents,
        paid_at: report.paidAt,
        reporter_id: report.reporterId,
        source: report.source,
        payer: report.payer ?? '',
        memo: report.memo ?? '',
        created_at: now,
      });
      if (paymentId === null) {
        const prior = await findPaymentByReporter(trx, report.accountId, report.reporterId);
        return {
          outcome: 'duplicate',
          paymentId: Number(prior?.id),
          orderId: prior?.order_id == null ? null : Number(prior.order_id),
        };
      }
      const holder = await findSlotHolder(trx, report.accountId, report.type, report.amountCents, now);
      if (!holder || report.paidAt < holder.createdAt - PAID_BEFORE_ORDER_SKEW_MS) {
        return { outcome: 'unmatched', paymentId };
      }
      const order = await this.payOrder(trx, holder, paymentId, report.paidAt, now);
      if (!order) return { outcome: 'unmatched', paymentId };
      paid.push(order);
      return order.late
        ? { outcome: 'late', paymentId, orderId: order.id, late: true }
        : { outcome: 'paid', paymentId, orderId: order.id, late: false };
    });
    this.announce(paid);
    return result;
  }

  /**
   * Pays `order` with an already stored payment: the guarded transition, the slot release, the
   * stock an expired order gave back, and the notification row, all in the caller's transaction.
   */
  private async payOrder(
    trx: Transaction<Database>,
    order: Order,
    paymentId: number,
    paidAt: number,
    now: number,
  ): Promise<Order | null> {
    const late = paidAt > order.expiresAt;
    const wasExpired = order.status === 'expired';
    if (!(await markOrderPaid(trx, order.id, { paidAt, paymentId, late }))) return null;
    await releaseSlot(trx, order.token);
    await attachPayment(trx, paymentId, order.id, late);
    if (wasExpired && order.productId !== '0') {
      // Expiry gave the units back; the buyer paid after all, so they are sold again.
      for (const item of await findOrderItems(trx, order.id)) {
        await takeStock(trx, Number(item.product_id), item.quantity);
      }
    }
    const merchant = await findMerchantById(trx, order.merchantId);
    if (!merchant) throw new Error(`merchant ${order.merchantId} of order ${order.id} is missing`);
    const updated = { ...order, status: 'paid' as const, paidAt, paymentId, late };
    await insertNotification(trx, {
      orderId: order.id,
      merchantId: merchant.id,
      protocol: 'gatepay',
      webhookId: `msg_${randomToken(12)}`,
      now,
      request: buildGatepayNotification(updated, merchant, paidAt),
    });
    return updated;
  }

  /**
   * Attaches an unmatched payment to an unpaid or expired order of the same account and type,
   * paying it and notifying as usual. Called by an operator; audited in the same transaction.
   * The amounts may differ (the buyer typed a wrong amount): the operator decides, the audit
   * entry keeps both.
   */
  async attach(paymentId: number, orderId: number, by: Actor): Promise<Order> {
    const now = this.clock();
    const paid = await this.db.kysely.transaction().execute(async (trx) => {
      const payment = await findPaymentById(trx, paymentId);
      if (!payment) throw new NotFoundError(`payment ${paymentId} not found`);
      if (payment.order_id !== null)
        throw new InvalidInputError(`payment ${paymentId} is already attached to order ${payment.order_id}`);
      const order = await findOrderById(trx, orderId);
      if (!order) throw new NotFoundError(`order ${orderId} not found`);
      if (order.accountId !== Number(payment.account_id) || order.type !== payment.type) {
        throw new InvalidInputError('payment and order must be of the same account and type');
      }
      if (order.status === 'paid') throw new InvalidInputError(`order ${orderId} is already paid`);
      const result = await this.payOrder(trx, order, paymentId, Number(payment.paid_at), now);
      if (!result) throw new InvalidInputError(`order ${orderId} cannot be paid`);
      await insertAudit(trx, {
        at: now,
        actor: by.actor,
        action: 'payment.attach',
        subject: `payment:${paymentId}`,
        detail: {
          order_id: orderId,
          payment_amount: formatCents(Number(payment.amount_cents)),
          order_realprice: formatCents(order.realpriceCents),
          late: result.late,
          ...(by.reason === undefined ? {} : { reason: by.reason }),
        },
      });
      return result;
    });
    this.announce([paid]);
    return paid;
  }

  /**
   * An operator confirms by hand that an order was paid (they saw the money arrive): records a
   * `manual` payment of the order's realprice, pays the order (unpaid or expired, even past the
   * grace window) and notifies as usual. The reason and the operator go to the audit log in the
   * same transaction.
   */
  async markPaid(
    orderId: number,
    by: Actor & { reason: string },
  ): Promise<{ order: Order; paymentId: number }> {
    const reason = by.reason.trim();
    if (reason === '' || reason.length > 500) throw new InvalidInputError('reason must be 1–500 characters');
    const now = this.clock();
    const done = await this.db.kysely.transaction().execute(async (trx) => {
      const order = await findOrderById(trx, orderId);
      if (!order) throw new NotFoundError(`order ${orderId} not found`);
      if (order.status === 'paid') throw new InvalidInputError(`order ${orderId} is already paid`);
      const paymentId = await insertPaymentOnce(trx, {
        account_id: order.accountId,
        type: order.type,
        amount_cents: order.realpriceCents,
        paid_at: now,
        reporter_id: `manual:${orderId}:${now}`,
        source: 'manual',
        memo: reason,
        created_at: now,
      });
      if (paymentId === null) throw new InvalidInputError(`order ${orderId} was just marked paid`);
      const paid = await this.payOrder(trx, order, paymentId, now, now);
      if (!paid) throw new InvalidInputError(`order ${orderId} cannot be paid`);
      await insertAudit(trx, {
        at: now,
        actor: by.actor,
        action: 'order.mark_paid',
        subject: `order:${orderId}`,
        detail: {
          reason,
          payment_id: paymentId,
          amount: formatCents(order.realpriceCents),
          previous_status: effectiveStatus(order.status, order.expiresAt, now),
          late: paid.late,
        },
      });
      return { order: paid, paymentId };
    });
    this.announce([done.order]);
    return done;
  }

  /** Newest first. `unmatched`: only payments waiting for an operator. */
  list(opts: { unmatched?: boolean; accountId?: number; limit?: number } = {}): Promise<PaymentRow[]> {
    return listPayments(this.db.kysely, opts);
  }

  private announce(paid: Order[]) {
    for (const o of paid) this.events.publish({ kind: 'paid', orderId: o.id, token: o.token });
    if (paid.length > 0) this.events.notificationDue();
  }

  /** Checks that an account exists before a report is taken in its name. */
  async requireAccount(accountId: number) {
    const a = await findAccountById(this.db.kysely, accountId);
    if (!a) throw new NotFoundError(`account ${accountId} not found`);
    return a;
  }
}
