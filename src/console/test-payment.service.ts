import { randomUUID } from 'node:crypto';
import { GatewayError, InvalidInputError, NotFoundError } from '../domain/errors.js';
import { formatCents, parsePositiveCents } from '../domain/money.js';
import { isPaymentType } from '../domain/order-state.js';
import type { NotificationView } from '../notify/notify.service.js';
import type { Order } from '../orders/order.model.js';
import type { PaymentOutcome } from '../payments/payment.service.js';
import type { Services } from '../services.js';
import { ConsoleError } from './console.errors.js';

/** A test order and what happened to it so far, as the test payment page watches it. */
export interface TestOrderState {
  order: Order;
  accountName: string;
  notifications: NotificationView[];
}

/**
 * The console's test payment (测试支付): a real order of any amount, created through the same
 * `OrderService` as the merchant API but marked `origin = 'test'` with an out_order_id
 * `TEST-…`, and a simulated payment for it. Simulation from the console is for test orders
 * only: a simulated payment on a real order could make a shop ship goods nobody paid for (an
 * operator's audited "mark paid" is the only way to pay a real order by hand).
 */
export class TestPayments {
  constructor(private readonly s: Services) {}

  async create(merchantId: number, input: { amount: string; type: string }): Promise<Order> {
    const cents = parsePositiveCents(input.amount.trim());
    if (cents === null) {
      throw new InvalidInputError('Enter an amount like 0.01 or 9.90 (more than 0, at most 2 decimals).');
    }
    if (!isPaymentType(input.type)) throw new InvalidInputError('The payment type must be alipay or wechat.');
    const type = input.type;
    const merchant = await this.s.merchants.get(merchantId);
    if (!(type === 'alipay' ? merchant.alipayEnabled : merchant.wechatEnabled)) {
      throw new ConsoleError(
        409,
        'type_disabled',
        `${type} is switched off for this merchant: turn it on in Settings to test it.`,
      );
    }
    try {
      const { order } = await this.s.orders.create({
        merchant,
        kind: 'anypay',
        type,
        pricing: { by: 'amount', priceCents: cents },
        outOrderId: '', // test orders get TEST-<random>
        custom: '',
        fingerprint: randomUUID(),
        test: true,
      });
      return order;
    } catch (err) {
      if (err instanceof GatewayError && err.code === 204) {
        throw new ConsoleError(
          409,
          'no_account',
          `No ${type} receiving account can take ${formatCents(cents)} right now. Add one on the Accounts page, ` +
            'make sure it is enabled, its rules (time window, amount range, daily cap) allow this amount, ' +
            'and its monitor is online (or the merchant allows offline accounts).',
        );
      }
      throw err;
    }
  }

  /** A test order by id; any other order (or none) is not found here. */
  async get(orderId: number): Promise<Order> {
    const order = await this.s.orders.findById(orderId);
    if (!order || order.origin !== 'test')
      throw new NotFoundError('There is no test order with this number.');
    return order;
  }

  async state(order: Order): Promise<TestOrderState> {
    const [account, notifications] = await Promise.all([
      this.s.orders.account(order.accountId),
      this.s.notify.list({ orderId: order.id, withAttempts: true, limit: 10 }),
    ]);
    return { order, accountName: account?.name ?? '', notifications };
  }

  /**
   * Pays a test order with a simulated payment of its realprice (`PaymentService.simulateForOrder`,
   * which also refuses a paid order or one whose hold has ended). `origin` is written once at
   * creation and never changes, so checking it before the payment's transaction is enough.
   */
  async simulate(order: Order): Promise<PaymentOutcome> {
    if (order.origin !== 'test') {
      throw new ConsoleError(
        409,
        'not_a_test_order',
        'Only test orders can be paid by a simulated payment. A real order is paid by the buyer, or by an operator with "mark paid" (audited).',
      );
    }
    return this.s.payments.simulateForOrder(order.id);
  }

  /** Any order in the database (for the scope check before `simulate`), or null. */
  findAny(orderId: number): Promise<Order | null> {
    return this.s.orders.findById(orderId);
  }
}
