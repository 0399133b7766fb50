import type { Account } from '../accounts/account.model.js';
import { isOnline } from '../accounts/account.model.js';
import {
  findAccountById,
  lastPaidAccountId,
  lockAccountLoad,
  listEnabledAccountsWithLoad,
} from '../accounts/account.repository.js';
import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';
import { isUniqueViolation } from '../db/errors.js';
import { GatewayError, specialError } from '../domain/errors.js';
import { effectiveStatus, type PaymentType } from '../domain/order-state.js';
import type { Random } from '../domain/random.js';
import { rotate } from '../domain/rotation.js';
import { checkRules, minuteOfLocalDay, startOfLocalDay } from '../domain/rules.js';
import { candidateAmounts } from '../domain/slots.js';
import { transact, type Tx } from '../db/tx.js';
import { claimRealprice, releaseHold } from '../realprice/realprice.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { randomToken } from '../lib/tokens.js';
import type { Merchant } from '../merchants/merchant.model.js';
import { findProducts, returnStock, takeStock } from '../products/product.repository.js';
import { type Order, type OrderKind, orderFromRow, type Protocol } from './order.model.js';
import {
  closeOrderRow,
  countApiOrdersSince,
  countOpenQuickOrders,
  expireDueOrders,
  findOrderById,
  findOrderByMerchantOut,
  findOrderByToken,
  findOrderItems,
  insertOrder,
  insertOrderItems,
  lockOrderById,
} from './order.repository.js';

/** China Standard Time: business days and account time windows are counted in it. */
export const BUSINESS_UTC_OFFSET_MINUTES = 480;

export type OrderPricing =
  | { by: 'amount'; priceCents: number }
  | { by: 'products'; items: Array<{ productId: number; quantity: number }> };

export interface CreateOrderRequest {
  merchant: Merchant;
  kind: OrderKind;
  type: PaymentType;
  pricing: OrderPricing;
  outOrderId: string;
  custom: string;
  /** The request's identity for idempotency: same fingerprint → the same order comes back. */
  fingerprint: string;
  /**
   * Set for orders a buyer starts on the (unsigned) quick collection page: they hold their amount
   * for a shorter time, are limited per buyer address, and do not count against the merchant's
   * daily API quota.
   */
  quick?: { clientAddress: string };
  /**
   * The console's test payment: the order is marked `origin = 'test'`, gets an out_order_id
   * `TEST-<random>` (`outOrderId` is ignored) that no shop can take for one of its own, and does
   * not count against the daily API quota.
   */
  test?: true;
  /**
   * Set by compatibility protocols (易支付, V免签): the order remembers its protocol, its own
   * notify/return URLs and the fields to echo, so its notification and return are built in that
   * protocol's format (src/protocols/formats.ts). Absent: a GatePay order.
   */
  protocol?: {
    name: Protocol;
    notifyUrl?: string;
    returnUrl?: string;
    data?: Record<string, string>;
  };
}

/** The out_order_id prefix of test orders. */
export const TEST_OUT_ORDER_PREFIX = 'TEST-';

export interface CreatedOrder {
  order: Order;
  /** True when an identical earlier request created it. */
  existing: boolean;
}

interface ResolvedPrice {
  priceCents: number;
  productId: string;
  title: string;
  items: Array<{ productId: number; quantity: number; priceCents: number }>;
}

/**
 * Orders: creation with realprice slots, expiry, lookup. Knows nothing of HTTP or of any one
 * merchant protocol; those translate their requests into `CreateOrderRequest`.
 */
export class OrderService {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly events: EventBus,
  ) {}

  async create(req: CreateOrderRequest): Promise<CreatedOrder> {
    const { merchant } = req;
    const outOrderId = req.test ? `${TEST_OUT_ORDER_PREFIX}${randomToken(12)}` : req.outOrderId;
    const prior = await findOrderByMerchantOut(this.db.kysely, merchant.id, outOrderId);
    if (prior) return this.sameOrConflict(prior, req.fingerprint);

    const now = this.clock();
    if (merchant.dailyQuota !== null && !req.quick && !req.test) {
      const today = await countApiOrdersSince(
        this.db.kysely,
        merchant.id,
        startOfLocalDay(now, BUSINESS_UTC_OFFSET_MINUTES),
      );
      if (today >= merchant.dailyQuota) throw new GatewayError(110);
    }
    const price = await this.resolvePrice(merchant, req.pricing);
    const accounts = await this.eligibleAccounts(merchant, req.type, price.priceCents, now);
    if (accounts.length === 0) throw new GatewayError(204);

    const token = randomToken();
    const { quick } = req;
    const ttlMs = quick
      ? Math.min(merchant.orderTtl, this.config.quickOrderTtlSeconds) * 1000
      : merchant.orderTtl * 1000;
    const graceMs =
      (quick
        ? Math.min(this.config.graceSeconds, this.config.quickOrderGraceSeconds)
        : this.config.graceSeconds) * 1000;
    const expiresAt = now + ttlMs;
    const holdUntil = expiresAt + graceMs;
    const amounts = candidateAmounts(price.priceCents, merchant.offsetDirection, merchant.maxOffsetCents);
    if (amounts.length === 0) throw new GatewayError(204);
    // Stock rows are taken in product id order, so concurrent multi-product orders cannot deadlock.
    const items = [...price.items].sort((a, b) => a.productId - b.productId);

    try {
      const created = await transact(this.db, async (trx) => {
        if (quick) {
          const open = await countOpenQuickOrders(trx, merchant.id, quick.clientAddress, now);
          if (open >= this.config.quickOrdersPerAddress) throw specialError('tooManyOpenOrders');
        }
        const claimed = await this.claimOnFirstAccount(
          trx,
          accounts,
          req.type,
          amounts,
          token,
          holdUntil,
          now,
        );
        if (!claimed) throw new GatewayError(204);
        for (const item of items) {
          if (!(await takeStock(trx, item.productId, item.quantity))) throw new GatewayError(206);
        }
        const row = {
          merchant_id: merchant.id,
          account_id: claimed.account.id,
          token,
          out_order_id: outOrderId,
          kind: req.kind,
          type: req.type,
          price_cents: price.priceCents,
          realprice_cents: claimed.amount,
          product_id: price.productId,
          title: price.title,
          custom: req.custom,
          fingerprint: req.fingerprint,
          status: 'unpaid',
          created_at: now,
          expires_at: expiresAt,
          hold_until: holdUntil,
          origin: quick ? 'quick' : req.test ? 'test' : 'api',
          client_address: quick?.clientAddress ?? '',
          protocol: req.protocol?.name ?? 'gatepay',
          notify_url: req.protocol?.notifyUrl ?? '',
          return_url: req.protocol?.returnUrl ?? '',
          protocol_data: req.protocol?.data ? JSON.stringify(req.protocol.data) : '{}',
        };
        const id = await insertOrder(trx, row);
        await insertOrderItems(trx, id, price.items);
        return orderFromRow({ ...row, id, late: 0, paid_at: null, payment_id: null, oversold: 0 });
      });
      return { order: created, existing: false };
    } catch (err) {
      // A concurrent request with the same out_order_id won; its transaction rolled ours back whole.
      if (isUniqueViolation(err)) {
        const winner = await findOrderByMerchantOut(this.db.kysely, merchant.id, outOrderId);
        if (winner) return this.sameOrConflict(winner, req.fingerprint);
      }
      throw err;
    }
  }

  /**
   * Claims a realprice on the first account (in rotation order) that has one free and, for an
   * account with a daily cap, room under the cap for that realprice. The cap is checked inside
   * the claim's transaction with the account row locked, counting what arrived today plus what
   * its open orders may still bring, so concurrent orders cannot together overshoot it.
   */
  private async claimOnFirstAccount(
    trx: Tx,
    accounts: readonly Account[],
    type: PaymentType,
    amounts: readonly number[],
    orderToken: string,
    holdUntil: number,
    now: number,
  ): Promise<{ account: Account; amount: number } | null> {
    for (const account of accounts) {
      let fit = amounts;
      const cap = account.rules.dailyCapCents;
      if (cap !== null) {
        const used = await lockAccountLoad(
          trx,
          account.id,
          startOfLocalDay(now, BUSINESS_UTC_OFFSET_MINUTES),
          now,
        );
        fit = amounts.filter((a) => used + a <= cap);
      }
      const amount = await claimRealprice(trx, {
        accountId: account.id,
        type,
        amounts: fit,
        orderToken,
        holdUntil,
        now,
      });
      if (amount !== null) return { account, amount };
    }
    return null;
  }

  private sameOrConflict(prior: Order, fingerprint: string): CreatedOrder {
    if (prior.fingerprint !== fingerprint) throw new GatewayError(207);
    return { order: this.withEffectiveStatus(prior), existing: true };
  }

  private async resolvePrice(merchant: Merchant, pricing: OrderPricing): Promise<ResolvedPrice> {
    if (pricing.by === 'amount') {
      return { priceCents: pricing.priceCents, productId: '0', title: merchant.name, items: [] };
    }
    const ids = pricing.items.map((i) => i.productId);
    const products = await findProducts(this.db.kysely, merchant.id, ids);
    const byId = new Map(products.map((p) => [Number(p.id), p]));
    let total = 0;
    const items: ResolvedPrice['items'] = [];
    const names: string[] = [];
    for (const { productId, quantity } of pricing.items) {
      const p = byId.get(productId);
      if (!p || p.enabled !== 1) throw new GatewayError(205, `product ${productId}`);
      if (p.stock !== null && p.stock < quantity) throw new GatewayError(206, `product ${productId}`);
      total += Number(p.price_cents) * quantity;
      items.push({ productId, quantity, priceCents: Number(p.price_cents) });
      names.push(quantity > 1 ? `${p.name} ×${quantity}` : p.name);
    }
    if (total <= 0 || !Number.isSafeInteger(total)) throw new GatewayError(201);
    return { priceCents: total, productId: ids.join(','), title: names.join(', ').slice(0, 200), items };
  }

  /**
   * Enabled, online (or allowed offline) and rule-passing accounts, in rotation order. The daily
   * cap counts what arrived today plus what the account's open orders may still bring, so
   * concurrent orders cannot together overshoot it.
   */
  private async eligibleAccounts(merchant: Merchant, type: PaymentType, priceCents: number, now: number) {
    const dayStart = startOfLocalDay(now, BUSINESS_UTC_OFFSET_MINUTES);
    const minute = minuteOfLocalDay(now, BUSINESS_UTC_OFFSET_MINUTES);
    const all = await listEnabledAccountsWithLoad(
      this.db.kysely,
      merchant.id,
      type,
      dayStart,
      now,
      merchant.rotation === 'even',
    );
    const eligible = all.filter(
      (a) =>
        (merchant.allowOffline || isOnline(a, now, this.config.monitorOfflineAfter)) &&
        checkRules(a.rules, priceCents, minute, a.receivedTodayCents + a.pendingCents) === 'ok',
    );
    const last =
      merchant.rotation === 'smart' && eligible.length > 1
        ? await lastPaidAccountId(this.db.kysely, merchant.id)
        : null;
    return rotate(merchant.rotation, eligible, this.random, last);
  }

  /** Expires every unpaid order past its deadline (or just `orderId`); gives their stock back; publishes each. */
  async expireDue(orderId?: number): Promise<Order[]> {
    const now = this.clock();
    const expired = await transact(this.db, async (trx) => {
      const rows = await expireDueOrders(trx, now, 500, orderId);
      // Only the orders this statement moved give stock back: a concurrent payment or another
      // instance's sweep that got there first leaves them out of `rows`.
      await this.returnStockOf(trx, rows);
      return rows;
    });
    for (const o of expired) this.events.publish({ kind: 'expired', orderId: o.id, token: o.token });
    return expired;
  }

  /**
   * Closes an unpaid order at its merchant's request (V免签 `closeOrder`, 易支付 `pay/close`): it
   * expires now, its hold on the amount ends so the next order may take it, its stock comes back.
   * A payment made before the close still finds it by paid time (and pays it late). Returns the
   * order as it now stands: a paid or expired order comes back unchanged; null when unknown.
   */
  async close(orderId: number): Promise<Order | null> {
    const now = this.clock();
    const { order, closed } = await transact(this.db, async (trx) => {
      const o = await lockOrderById(trx, orderId);
      if (!o || o.status !== 'unpaid') return { order: o, closed: false };
      const updated = await closeOrderRow(trx, o, now);
      await releaseHold(trx, o);
      await this.returnStockOf(trx, [o]);
      return { order: updated, closed: true };
    });
    if (order && closed) this.events.publish({ kind: 'expired', orderId: order.id, token: order.token });
    return order;
  }

  /** Gives back the stock of orders that just stopped holding it, in product id order. */
  private async returnStockOf(trx: Tx, orders: readonly Order[]): Promise<void> {
    const back = new Map<number, number>();
    for (const o of orders) {
      if (o.productId === '0') continue;
      for (const item of await findOrderItems(trx, o.id)) {
        const id = Number(item.product_id);
        back.set(id, (back.get(id) ?? 0) + item.quantity);
      }
    }
    for (const [productId, qty] of [...back].sort((a, b) => a[0] - b[0])) {
      await returnStock(trx, productId, qty);
    }
  }

  /** An order as a reader should see it: expired when past its deadline, even before the sweep. */
  private withEffectiveStatus(o: Order): Order {
    return { ...o, status: effectiveStatus(o.status, o.expiresAt, this.clock()) };
  }

  /** Looks up an order; expires it first when it is past its deadline (expiry on read). */
  async findByMerchantOut(merchantId: number, outOrderId: string): Promise<Order | null> {
    const o = await findOrderByMerchantOut(this.db.kysely, merchantId, outOrderId);
    return o ? this.fresh(o) : null;
  }

  async findByToken(token: string): Promise<Order | null> {
    const o = await findOrderByToken(this.db.kysely, token);
    return o ? this.fresh(o) : null;
  }

  async findById(id: number): Promise<Order | null> {
    const o = await findOrderById(this.db.kysely, id);
    return o ? this.fresh(o) : null;
  }

  private async fresh(o: Order): Promise<Order> {
    if (o.status === 'unpaid' && o.expiresAt <= this.clock()) {
      await this.expireDue(o.id);
      return (await findOrderById(this.db.kysely, o.id)) ?? o;
    }
    return o;
  }

  account(id: number): Promise<Account | null> {
    return findAccountById(this.db.kysely, id);
  }
}
