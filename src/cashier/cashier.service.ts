import { findFixedCode } from '../accounts/account.repository.js';
import { formatCents } from '../domain/money.js';
import type { Merchant } from '../merchants/merchant.model.js';
import { findMerchantById } from '../merchants/merchant.repository.js';
import type { NotifyState } from '../notify/notify.service.js';
import type { Order } from '../orders/order.model.js';
import type { Services } from '../services.js';
import { formatsOf } from '../protocols/formats.js';
import { type CashierPhase, phaseOf } from './cashier.state.js';

/** A pay token as `randomToken()` makes them; anything else is not looked up. */
export const PAY_TOKEN = /^[A-Za-z0-9_-]{10,64}$/;

/** Where an order stands for its buyer, as the page, the JSON and the event stream report it. */
export interface CashierState {
  order: Order;
  merchant: Merchant;
  notifyState: NotifyState;
  phase: CashierPhase;
  /** Where the page goes (or its button points): return URL, timeout URL, or nowhere yet. */
  redirectUrl: string | null;
  now: number;
}

/** The receiving QR code shown for an order. */
export interface CashierQr {
  content: string;
  /** True when it is the account's fixed-amount code for exactly the realprice. */
  fixedAmount: boolean;
}

/**
 * Reads what the cashier shows. Uses the services' clock, so tests that move time move the
 * page's countdown, expiry and the one-minute "return to merchant" threshold with it.
 */
export class CashierService {
  constructor(private readonly services: Services) {}

  /** The state of the order behind a pay token, or null for a malformed or unknown token. */
  async stateByToken(token: string): Promise<CashierState | null> {
    if (!PAY_TOKEN.test(token)) return null;
    // findByToken expires an order past its deadline as it reads it.
    const order = await this.services.orders.findByToken(token);
    if (!order) return null;
    const merchant = await findMerchantById(this.services.db.kysely, order.merchantId);
    if (!merchant) return null;
    const notifyState: NotifyState =
      order.status === 'paid' ? await this.services.notify.stateOf(order.id) : 'pending';
    const now = this.services.clock();
    const phase = phaseOf({ status: order.status, notifyState, paidAt: order.paidAt, now });
    let redirectUrl: string | null = null;
    if (phase === 'done' || phase === 'delayed') redirectUrl = formatsOf(order).returnUrl(order, merchant);
    else if (phase === 'closed') redirectUrl = formatsOf(order).timeoutUrl(order, merchant);
    return { order, merchant, notifyState, phase, redirectUrl, now };
  }

  /** The account's fixed-amount code for exactly the realprice if it has one, else its generic code. */
  async qrFor(order: Order): Promise<CashierQr | null> {
    const fixed = await findFixedCode(this.services.db.kysely, order.accountId, order.realpriceCents);
    if (fixed) return { content: fixed, fixedAmount: true };
    const account = await this.services.orders.account(order.accountId);
    return account ? { content: account.qrContent, fixedAmount: false } : null;
  }
}

/** The `format=json` answer and the event stream's payload. */
export function stateJson(s: CashierState) {
  const o = s.order;
  return {
    order_id: o.id,
    out_order_id: o.outOrderId,
    status: o.status,
    notify_status: s.notifyState,
    phase: s.phase,
    realprice: formatCents(o.realpriceCents),
    price: formatCents(o.priceCents),
    type: o.type,
    expire_time: Math.floor(o.expiresAt / 1000),
    paytime: o.paidAt === null ? 0 : Math.floor(o.paidAt / 1000),
    server_time: Math.floor(s.now / 1000),
    server_time_ms: s.now,
    redirect_url: s.redirectUrl,
  };
}

export type CashierStateJson = ReturnType<typeof stateJson>;
