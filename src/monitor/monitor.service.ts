import type { Account } from '../accounts/account.model.js';
import { findAccountById } from '../accounts/account.repository.js';
import { InvalidInputError } from '../domain/errors.js';
import type { Services } from '../services.js';
import { authenticateMonitor } from './monitor-auth.js';
import { checkItem } from './monitor-items.js';
import { MonitorError } from './monitor.errors.js';
import { takesPayments } from './payment-gate.js';

/** What became of one reported payment (docs/monitor-api.md "Results"). */
export type ItemResult =
  | { index: number; id: string; result: 'matched' | 'late'; payment_id: number; order_id: number }
  | { index: number; id: string; result: 'unmatched'; payment_id: number }
  | { index: number; id: string; result: 'duplicate'; payment_id: number; order_id: number | null }
  | { index: number; id: string | null; result: 'invalid'; reason: string }
  | { index: number; id: string; result: 'error'; reason: string };

/**
 * The Shouyin monitor API behind authentication: heartbeats and batches of payment reports.
 * Every authenticated request also counts as a heartbeat of its account.
 */
export class MonitorService {
  constructor(
    private readonly services: Services,
    private readonly log: { error(obj: unknown, msg: string): void },
  ) {}

  /** The account a request speaks for, once its headers and signature over `raw` check out. */
  authenticate(headers: Record<string, string | string[] | undefined>, raw: Buffer): Promise<Account> {
    return authenticateMonitor(headers, raw, this.services.clock(), (id) =>
      findAccountById(this.services.db.kysely, id),
    );
  }

  async heartbeat(account: Account) {
    const now = this.services.clock();
    await this.services.accounts.heartbeat([account.id], now);
    return {
      ok: true,
      account_id: account.id,
      type: account.type,
      server_time: Math.floor(now / 1000),
      offline_after: this.services.config.monitorOfflineAfter,
    };
  }

  /**
   * Records each item on its own (idempotent on the monitor's `id`), in order. A repeat of an id
   * — in this batch or any earlier one — is `duplicate` and changes nothing.
   */
  async payments(account: Account, items: readonly unknown[]): Promise<ItemResult[]> {
    const now = this.services.clock();
    await this.services.accounts.heartbeat([account.id], now);
    if (!(await takesPayments(this.services, account, now))) {
      throw new MonitorError(
        'account_disabled',
        `account ${account.id} is disabled and none of its orders is open or in grace; it takes no payments (shouyin account enable ${account.id})`,
      );
    }
    const results: ItemResult[] = [];
    for (const [index, raw] of items.entries()) {
      const check = checkItem(raw, account.type, now);
      if (!check.ok) {
        results.push({ index, id: check.id, result: 'invalid', reason: check.reason });
        continue;
      }
      const { item } = check;
      try {
        const r = await this.services.payments.record({
          accountId: account.id,
          type: item.type,
          amountCents: item.amountCents,
          paidAt: item.paidAtMs,
          reporterId: `api:${item.id}`,
          source: 'monitor',
          payer: item.payer,
          memo: item.memo,
        });
        if (r.outcome === 'paid' || r.outcome === 'late') {
          results.push({
            index,
            id: item.id,
            result: r.outcome === 'paid' ? 'matched' : 'late',
            payment_id: r.paymentId,
            order_id: r.orderId,
          });
        } else if (r.outcome === 'unmatched') {
          results.push({ index, id: item.id, result: 'unmatched', payment_id: r.paymentId });
        } else {
          results.push({
            index,
            id: item.id,
            result: 'duplicate',
            payment_id: r.paymentId,
            order_id: r.orderId,
          });
        }
      } catch (err) {
        if (err instanceof InvalidInputError) {
          results.push({ index, id: item.id, result: 'invalid', reason: err.message });
        } else {
          // Earlier items are committed; this one is not. The monitor sends it again (same id).
          this.log.error({ err, accountId: account.id, id: item.id }, 'recording a monitor payment failed');
          results.push({ index, id: item.id, result: 'error', reason: 'internal error; send it again' });
        }
      }
    }
    return results;
  }
}
