import { findAccountById } from '../accounts/account.repository.js';
import type { Actor } from '../audit/audit.model.js';
import { insertAudit } from '../audit/audit.repository.js';
import type { Db } from '../db/connect.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../domain/errors.js';
import { formatCents, MAX_CENTS } from '../domain/money.js';
import { effectiveStatus, isPaymentType, type PaymentType } from '../domain/order-state.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { randomToken } from '../lib/tokens.js';
import { findMerchantById } from '../merchants/merchant.repository.js';
import { formatsOf } from '../protocols/formats.js';
import { insertNotification } from '../notify/notification.repository.js';
import type { Order } from '../orders/order.model.js';
import { findOrderItems, lockOrderById, markOrderPaid } from '../orders/order.repository.js';
import { takeStock } from '../products/product.repository.js';
import { matchPaymentByTime, releaseHold } from '../realprice/realprice.js';
import { transact, type Tx } from '../db/tx.js';
import type { PaymentSource } from './payment.model.js';
import {
  attachPayment,
  findPaymentByReporter,
  insertPaymentOnce,
  listPayments,
  lockPaymentById,
  setMatchNote,
  type PaymentRow,
} from './payment.repository.js';

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
    const result = await transact(this.db, async (trx): Promise<PaymentOutcome> => {
      paid.length = 0;
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
      const match = await matchPaymentByTime(trx, report);
      if (match.kind === 'none') {
        await setMatchNote(trx, paymentId, match.note);
        return { outcome: 'unmatched', paymentId };
      }
      const order = await this.payOrder(trx, match.order, paymentId, report.paidAt, now);
      paid.push(order);
      return order.late
        ? { outcome: 'late', paymentId, orderId: order.id, late: true }
        : { outcome: 'paid', paymentId, orderId: order.id, late: false };
    });
    this.announce(paid);
    return result;
  }

  /**
   * Pays `order` (read under its row lock, so its status is current) with an already stored
   * payment: the guarded transition, the end of its hold, the stock an expired order gave back,
   * and the notification row, all in the caller's transaction. A late payment whose units were
   * sold to others meanwhile still pays the order (the money arrived) but flags it oversold and
   * audits it instead of driving the stock negative.
   */
  private async payOrder(
    trx: Tx,
    order: Order,
    paymentId: number,
    paidAt: number,
    now: number,
  ): Promise<Order> {
    const late = paidAt > order.expiresAt;
    let oversold = false;
    if (order.status === 'expired' && order.productId !== '0') {
      // Expiry gave the units back; the buyer paid after all, so they are sold again.
      const items = (await findOrderItems(trx, order.id)).sort(
        (a, b) => Number(a.product_id) - Number(b.product_id),
      );
      const short: number[] = [];
      for (const item of items) {
        if (!(await takeStock(trx, Number(item.product_id), item.quantity)))
          short.push(Number(item.product_id));
      }
      if (short.length > 0) {
        oversold = true;
        await insertAudit(trx, {
          at: now,
          actor: 'system',
          action: 'order.oversold',
          subject: `order:${order.id}`,
          detail: { payment_id: paymentId, products: short },
        });
      }
    }
    const holdUntil = Math.min(order.holdUntil, now);
    await markOrderPaid(trx, order, { paidAt, paymentId, late, holdUntil, oversold });
    await releaseHold(trx, order);
    await attachPayment(trx, paymentId, order.id, late);
    const merchant = await findMerchantById(trx, order.merchantId);
    if (!merchant) throw new Error(`merchant ${order.merchantId} of order ${order.id} is missing`);
    const updated = { ...order, status: 'paid' as const, paidAt, paymentId, late, holdUntil, oversold };
    await insertNotification(trx, {
      orderId: order.id,
      merchantId: merchant.id,
      protocol: order.protocol,
      webhookId: `msg_${randomToken(12)}`,
      now,
      request: formatsOf(order).notification(updated, merchant, paidAt),
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
    const paid = await transact(this.db, async (trx) => {
      const payment = await lockPaymentById(trx, paymentId);
      if (!payment) throw new NotFoundError(`payment ${paymentId} not found`);
      if (payment.order_id !== null)
        throw new InvalidInputError(`payment ${paymentId} is already attached to order ${payment.order_id}`);
      const order = await lockOrderById(trx, orderId);
      if (!order) throw new NotFoundError(`order ${orderId} not found`);
      if (order.accountId !== Number(payment.account_id) || order.type !== payment.type) {
        throw new InvalidInputError('payment and order must be of the same account and type');
      }
      if (order.status === 'paid') throw new InvalidInputError(`order ${orderId} is already paid`);
      const result = await this.payOrder(trx, order, paymentId, Number(payment.paid_at), now);
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
    const done = await transact(this.db, async (trx) => {
      const order = await lockOrderById(trx, orderId);
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

  /**
   * A simulated payment of `orderId`'s realprice, paid now, given to that order directly (the
   * simulator, the console's test payment). Checked under the order's lock in the same
   * transaction: a paid order, or one whose hold on its amount has ended, is refused, since a
   * real payment of that amount now would not be its own.
   */
  async simulateForOrder(
    orderId: number,
    reporterId = `sim-${randomToken(9)}`,
  ): Promise<Extract<PaymentOutcome, { outcome: 'paid' | 'late' }>> {
    const now = this.clock();
    const paid: Order[] = [];
    const result = await transact(this.db, async (trx) => {
      paid.length = 0;
      const order = await lockOrderById(trx, orderId);
      if (!order) throw new NotFoundError(`order ${orderId} not found`);
      if (order.status === 'paid')
        throw new ConflictError(`order ${orderId} is already paid; nothing recorded`);
      if (order.holdUntil < now) {
        throw new ConflictError(
          `order ${orderId} expired at ${new Date(order.expiresAt).toISOString()} and its grace window ended at ` +
            `${new Date(order.holdUntil).toISOString()}: a payment now would not be its own; nothing recorded`,
        );
      }
      const paymentId = await insertPaymentOnce(trx, {
        account_id: order.accountId,
        type: order.type,
        amount_cents: order.realpriceCents,
        paid_at: now,
        reporter_id: reporterId,
        source: 'simulate',
        created_at: now,
      });
      if (paymentId === null) throw new ConflictError(`payment ${reporterId} was already reported`);
      const done = await this.payOrder(trx, order, paymentId, now, now);
      paid.push(done);
      return done.late
        ? ({ outcome: 'late', paymentId, orderId, late: true } as const)
        : ({ outcome: 'paid', paymentId, orderId, late: false } as const);
    });
    this.announce(paid);
    return result;
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
