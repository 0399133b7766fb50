import type { Account } from '../accounts/account.model.js';
import { hasOrderOpenOrInGrace } from '../accounts/account.repository.js';
import type { Services } from '../services.js';

/**
 * Whether a monitor may still report payments for `account` (monitor API and V免签 alike).
 * A disabled account is offered to no new order, but a buyer may be paying one of its orders
 * right now: until none is unpaid or within the grace window after its deadline, its payments
 * are taken and matched as usual. After that a report is refused, so the monitor knows (and
 * keeps it) instead of the gateway filing it as unmatched for an account nobody uses.
 * Heartbeats are always taken: re-enabling the account then finds it online at once.
 */
export async function takesPayments(services: Services, account: Account, now: number): Promise<boolean> {
  if (account.enabled) return true;
  return hasOrderOpenOrInGrace(services.db.kysely, account.id, now - services.config.graceSeconds * 1000);
}
