import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';
import type { Clock } from '../lib/clock.js';
import type { MerchantService } from './merchant.service.js';
import { findSetupFacts } from './setup-checklist.repository.js';

export type SetupStepKey = 'callbacks' | 'account' | 'monitor' | 'test_payment';

export interface SetupStep {
  key: SetupStepKey;
  done: boolean;
  /** The console page (below /admin) where the step is done. */
  link: string;
}

export interface SetupChecklist {
  steps: SetupStep[];
  /** All steps done: the dashboard stops showing the checklist. */
  done: boolean;
  /** For the monitor step: the newest heartbeat of any account; null when none ever came. */
  lastHeartbeatAt: number | null;
}

/**
 * The merchant's setup checklist on the console's home page, in the order a new shop goes
 * through it: callback URLs set → a receiving account added → its monitor paired and online →
 * a test payment passed. Computed from the data each time, so a step is done exactly when the
 * thing it asks for is true now (a monitor that went offline un-ticks its step).
 */
export class SetupChecklistService {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly merchants: MerchantService,
  ) {}

  async forMerchant(merchantId: number): Promise<SetupChecklist> {
    const m = await this.merchants.get(merchantId);
    const facts = await findSetupFacts(this.db.kysely, merchantId);
    const online =
      facts.lastHeartbeatAt !== null &&
      this.clock() - facts.lastHeartbeatAt <= this.config.monitorOfflineAfter * 1000; // as `isOnline`
    const steps: SetupStep[] = [
      { key: 'callbacks', done: m.notifyUrl !== '' && m.returnUrl !== '', link: '/settings' },
      { key: 'account', done: facts.accounts > 0, link: '/accounts' },
      { key: 'monitor', done: online, link: '/accounts' },
      { key: 'test_payment', done: facts.hasPaidOrder, link: '/test-payment' },
    ];
    return { steps, done: steps.every((s) => s.done), lastHeartbeatAt: facts.lastHeartbeatAt };
  }
}
