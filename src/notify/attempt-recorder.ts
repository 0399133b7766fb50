import { setImmediate } from 'node:timers';
import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';
import { transact, type Tx } from '../db/tx.js';
import type { Random } from '../domain/random.js';
import { nextAttemptAt } from '../domain/retry-schedule.js';
import type { Clock } from '../lib/clock.js';
import type { HttpOutcome } from './deliver.js';
import {
  countScheduledAttempts,
  insertAttempts,
  markDelivered,
  type NotificationForSend,
  updateAfterAttempt,
} from './notification.repository.js';
import type { NotifyState } from './notify.service.js';

/** One finished attempt, as the dispatcher hands it over to be stored. */
export interface FinishedAttempt {
  row: NotificationForSend;
  trigger: 'scheduled' | 'manual';
  /** The claim of a scheduled attempt (its fencing token); null for a manual one. */
  leaseUntil: number | null;
  startedAt: number;
  outcome: HttpOutcome;
  success: boolean;
  error: string;
}

interface Pending {
  attempt: FinishedAttempt;
  resolve(state: NotifyState): void;
  reject(err: unknown): void;
}

/** Attempts stored together at most: a few hundred rows make one INSERT of a few thousand parameters. */
const BATCH_MAX = 256;

/**
 * Stores finished attempts: their `notify_attempts` rows and the outbox rows' new state.
 * Attempts that end in the same turn of the event loop are stored in one transaction: their
 * attempt rows in one INSERT, the rows they delivered in one UPDATE, failures (which need their
 * own retry time) one by one. If that transaction fails, each attempt is stored again on its own,
 * so one unstorable attempt fails alone (the dispatcher then stores it without the answer).
 */
export class AttemptRecorder {
  private queue: Pending[] = [];
  private busy = false;

  constructor(private readonly deps: { db: Db; config: Config; clock: Clock; random: Random }) {}

  /** Called when an attempt has ended; resolves with the row's state once it is committed. */
  record(attempt: FinishedAttempt): Promise<NotifyState> {
    return new Promise((resolve, reject) => {
      this.queue.push({ attempt, resolve, reject });
      this.schedule();
    });
  }

  private schedule() {
    if (this.busy || this.queue.length === 0) return;
    this.busy = true;
    setImmediate(() => {
      this.flush().finally(() => {
        this.busy = false;
        this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, BATCH_MAX);
    try {
      const states = await transact(this.deps.db, (trx) =>
        this.store(
          trx,
          batch.map((p) => p.attempt),
        ),
      );
      batch.forEach((p, i) => p.resolve(states[i]!));
    } catch {
      await Promise.all(
        batch.map((p) =>
          transact(this.deps.db, (trx) => this.store(trx, [p.attempt])).then(
            ([state]) => p.resolve(state!),
            p.reject,
          ),
        ),
      );
    }
  }

  /** Stores `attempts` in `trx`; returns each one's row state after it. */
  private async store(trx: Tx, attempts: readonly FinishedAttempt[]): Promise<NotifyState[]> {
    const { config, random } = this.deps;
    const now = this.deps.clock();
    await insertAttempts(
      trx,
      attempts.map((a) => ({
        notificationId: Number(a.row.id),
        startedAt: a.startedAt,
        durationMs: a.outcome.durationMs,
        statusCode: a.outcome.statusCode,
        snippet: a.outcome.snippet,
        error: a.error,
        trigger: a.trigger,
      })),
    );
    const states = new Map<FinishedAttempt, string | null>();
    // Successes move their rows to delivered in one UPDATE per lease kind; a row attempted twice
    // in this batch (a manual resend beside a scheduled attempt) goes one by one below instead,
    // so each attempt is counted.
    const ids = attempts.map((a) => Number(a.row.id));
    const once = (id: number) => ids.indexOf(id) === ids.lastIndexOf(id);
    for (const releaseLease of [true, false]) {
      const delivered = attempts.filter(
        (a) => a.success && once(Number(a.row.id)) && releaseLease === (a.leaseUntil !== null),
      );
      const after = await markDelivered(
        trx,
        delivered.map((a) => Number(a.row.id)),
        now,
        releaseLease,
      );
      for (const a of delivered) states.set(a, after.get(Number(a.row.id)) ?? null);
    }
    for (const a of attempts) {
      if (states.has(a)) continue;
      const id = Number(a.row.id);
      if (a.success) {
        states.set(
          a,
          await updateAfterAttempt(trx, id, {
            state: 'delivered',
            deliveredAt: now,
            releaseLease: a.leaseUntil !== null,
            lastError: '',
          }),
        );
        continue;
      }
      if (a.trigger === 'scheduled' && a.leaseUntil !== null) {
        const made = await countScheduledAttempts(trx, id);
        const next = nextAttemptAt(now, made, config.notifyRetrySchedule, random);
        const moved = await updateAfterAttempt(
          trx,
          id,
          next === null
            ? { state: 'failed', releaseLease: true, lastError: a.error }
            : { nextAttemptAt: next, releaseLease: true, lastError: a.error },
          { state: 'pending', leaseUntil: a.leaseUntil },
        );
        if (moved !== null) {
          states.set(a, moved);
          continue;
        }
      }
      // A manual failure, or a scheduled one whose lease another attempt has taken over: the
      // attempt counts, the row's state and schedule stay as they are. A delivered row keeps an
      // empty error.
      const delivered = await updateAfterAttempt(trx, id, { lastError: '' }, { state: 'delivered' });
      states.set(a, delivered ?? (await updateAfterAttempt(trx, id, { lastError: a.error })));
    }
    return attempts.map((a) => (states.get(a) ?? a.row.state) as NotifyState);
  }
}
