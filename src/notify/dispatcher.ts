import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';
import { transact } from '../db/tx.js';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import type { Random } from '../domain/random.js';
import { webhookSignature } from '../domain/sign.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { hostOf } from '../lib/urls.js';
import { findOrderById } from '../orders/order.repository.js';
import { answerError, isSuccessfulAnswer } from './answer.js';
import { NotificationSender } from './deliver.js';
import { AttemptRecorder } from './attempt-recorder.js';
import {
  claimNotifications,
  findDueNotifications,
  findDueNotificationsForHost,
  findLatestNotificationForOrder,
  findNextDueAt,
  findNotificationForSend,
} from './notification.repository.js';
import type { NotifyState } from './notify.service.js';

export type AttemptTrigger = 'scheduled' | 'manual';

/** The result of one attempt, as the CLI prints it. */
export interface AttemptReport {
  notificationId: number;
  orderId: number;
  trigger: AttemptTrigger;
  state: NotifyState;
  statusCode: number | null;
  durationMs: number;
  error: string;
}

/** The subset of a pino / Fastify logger the dispatcher writes to. */
export interface DispatchLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DispatcherDeps {
  db: Db;
  config: Config;
  clock: Clock;
  events: EventBus;
  random?: Random;
  log?: DispatchLog;
  /** Replaces the HTTP sender built from `config` (e.g. one with a stub resolver in tests). */
  sender?: NotificationSender;
  /** How long a claim holds a row; past it, a crashed attempt's row is claimed again. */
  leaseMs?: number;
}

/**
 * The push network's worker. Each pass looks through the due rows (oldest first) and starts an
 * attempt for every row whose host has a free slot while the global cap allows, claiming each
 * row with a lease first. Rows of a saturated host stay unclaimed in the database, so a merchant
 * whose endpoint hangs holds at most its per-host slots and never delays anyone else.
 *
 * Every attempt is stored as its own `notify_attempts` row, then the outbox row becomes
 * `delivered`, moves to its next retry, or becomes `failed` once the schedule is exhausted;
 * finally `notified` is published for the cashier page.
 */
export class NotificationDispatcher {
  private readonly sender: NotificationSender;
  private readonly recorder: AttemptRecorder;
  private readonly leaseMs: number;
  private inFlight = 0;
  private readonly perHost = new Map<string, number>();
  private readonly running = new Set<Promise<unknown>>();
  private pass: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;

  constructor(private readonly deps: DispatcherDeps) {
    const { config } = deps;
    this.sender =
      deps.sender ??
      new NotificationSender({
        connectTimeoutMs: config.notifyConnectTimeoutMs,
        totalTimeoutMs: config.notifyTotalTimeoutMs,
        allowPrivate: config.allowPrivateCallbacks,
      });
    this.recorder = new AttemptRecorder({ ...deps, random: deps.random ?? Math.random });
    // An attempt ends by its total timeout; the rest covers recording it under a busy database.
    this.leaseMs = deps.leaseMs ?? config.notifyTotalTimeoutMs * 2 + 2000;
  }

  /**
   * Runs a pass over due rows now. Called when a paid order's row is committed
   * (`events.onNotificationDue`), by the poll timer (rows from other processes, due retries) and
   * whenever an attempt frees a slot. Calls during a pass make it run once more.
   */
  wake(): void {
    this.run(null);
  }

  /**
   * After an attempt for `host` ends: only that host got a free slot, so look at its due rows
   * alone (an indexed read of a few rows) rather than the whole backlog.
   */
  private wakeHost(host: string): void {
    this.run(host);
  }

  private run(host: string | null): void {
    if (this.stopped) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = (async () => {
      try {
        if (host !== null) await this.fillHost(host);
        else this.again = true;
        while (this.again && !this.stopped) {
          this.again = false;
          await this.fillSlots();
        }
      } catch (err) {
        this.deps.log?.error({ err }, 'notification dispatch pass failed');
      } finally {
        this.pass = null;
      }
    })();
  }

  private async fillHost(host: string): Promise<void> {
    const { db, config, clock } = this.deps;
    const free = config.notifyPerHostConcurrency - (this.perHost.get(host) ?? 0);
    if (free <= 0 || !this.hasRoom()) return;
    const now = clock();
    const room = Math.min(free, config.notifyConcurrency - this.inFlight);
    const due = await findDueNotificationsForHost(db.kysely, now, host, room);
    await this.claimAndBegin(
      due.map((row) => ({ id: row.id, host })),
      now,
    );
  }

  /** Claims `rows` in one write and starts an attempt for each row won. */
  private async claimAndBegin(rows: ReadonlyArray<{ id: number; host: string }>, now: number): Promise<void> {
    if (rows.length === 0) return;
    const leaseUntil = now + this.leaseMs;
    const won = new Set(
      await transact(this.deps.db, (trx) =>
        claimNotifications(
          trx,
          rows.map((r) => r.id),
          now,
          leaseUntil,
        ),
      ),
    );
    for (const row of rows) {
      if (won.has(row.id)) this.begin(row.host, this.attempt(row.id, 'scheduled', leaseUntil));
    }
  }

  private hasRoom(): boolean {
    return !this.stopped && this.inFlight < this.deps.config.notifyConcurrency;
  }

  /**
   * Starts attempts for due rows, oldest first, until the global cap is reached or no row is
   * left that a host slot allows. Each query returns at most a host's cap of rows per host and
   * leaves out the hosts already at their cap (see `findDueNotifications`), so a saturated host's
   * backlog is never read. Another round runs while the last one changed something: a row lost
   * to another instance is leased now and drops out, and a host that filled up is left out next.
   */
  private async fillSlots(): Promise<void> {
    const { db, config, clock } = this.deps;
    const now = clock();
    while (this.hasRoom()) {
      const excludeHosts = [...this.perHost]
        .filter(([, n]) => n >= config.notifyPerHostConcurrency)
        .map(([host]) => host);
      const due = await findDueNotifications(db.kysely, db.dialect, now, {
        perHost: config.notifyPerHostConcurrency,
        limit: config.notifyConcurrency - this.inFlight,
        excludeHosts,
      });
      // What this round starts, within the caps as they will be once its rows are claimed.
      const picked: Array<{ id: number; host: string }> = [];
      const taken = new Map<string, number>();
      for (const row of due) {
        if (this.inFlight + picked.length >= config.notifyConcurrency) break;
        const host = row.host || hostOf(row.url);
        const busy = (this.perHost.get(host) ?? 0) + (taken.get(host) ?? 0);
        if (busy >= config.notifyPerHostConcurrency) continue;
        taken.set(host, (taken.get(host) ?? 0) + 1);
        picked.push({ id: row.id, host });
      }
      if (picked.length === 0) break;
      await this.claimAndBegin(picked, now);
    }
    const next = await findNextDueAt(db.kysely, now);
    if (next !== null) this.wakeAt(next, now);
  }

  /**
   * Wakes at `at`, when the next retry falls due, instead of up to a poll interval later. Keeps
   * only the earliest; each pass sets it again.
   */
  private wakeAt(at: number, now: number): void {
    if (this.stopped || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.wake();
      },
      Math.min(Math.max(at - now, 0), 2 ** 31 - 1),
    );
    this.timer.unref();
  }

  private begin(host: string, attempt: Promise<unknown>): void {
    this.inFlight++;
    this.perHost.set(host, (this.perHost.get(host) ?? 0) + 1);
    const done = attempt.finally(() => {
      const wasFull = !this.hasRoom();
      this.inFlight--;
      const left = (this.perHost.get(host) ?? 1) - 1;
      if (left === 0) this.perHost.delete(host);
      else this.perHost.set(host, left);
      this.running.delete(done);
      // A freed global slot may go to any host; a freed host slot only to that host.
      if (wasFull || host === '') this.wake();
      else this.wakeHost(host);
    });
    this.running.add(done);
  }

  /**
   * `shouyin notify resend`: one manual attempt of the order's newest notification, now, in
   * this process. Paid orders only. A manual failure leaves the row's state and schedule as they
   * were (a `failed` row stays failed); a success delivers it.
   */
  async resend(orderId: number): Promise<AttemptReport> {
    const order = await findOrderById(this.deps.db.kysely, orderId);
    if (!order) throw new NotFoundError(`order ${orderId} not found`);
    if (order.status !== 'paid') {
      throw new InvalidInputError(
        `order ${orderId} is ${order.status}, not paid: only paid orders are notified`,
      );
    }
    const n = await findLatestNotificationForOrder(this.deps.db.kysely, orderId);
    if (!n) throw new NotFoundError(`order ${orderId} has no notification`);
    const attempt = this.attempt(Number(n.id), 'manual', null);
    this.running.add(attempt);
    try {
      const report = await attempt;
      if (!report) throw new NotFoundError(`notification ${n.id} vanished`);
      return report;
    } finally {
      this.running.delete(attempt);
    }
  }

  /**
   * One attempt: send, record, publish. `leaseUntil` is the claim of a scheduled attempt (null
   * for a manual one). Never throws for a scheduled attempt: when even the answer-less record
   * fails (the database is down), it is logged and the lease, once expired, brings the row back.
   */
  private async attempt(
    id: number,
    trigger: AttemptTrigger,
    leaseUntil: number | null,
  ): Promise<AttemptReport | null> {
    const { db, clock, events, log } = this.deps;
    try {
      const row = await findNotificationForSend(db.kysely, id);
      if (!row) return null;
      const startedAt = clock();
      const timestamp = Math.floor(startedAt / 1000);
      const headers: Record<string, string> = {
        'webhook-id': row.webhook_id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': webhookSignature(row.appsecret, row.webhook_id, timestamp, row.body),
      };
      if (row.method !== 'GET' && row.content_type !== '') headers['content-type'] = row.content_type;
      const outcome = await this.sender.send({ method: row.method, url: row.url, body: row.body, headers });
      const success =
        outcome.error === null &&
        outcome.statusCode !== null &&
        isSuccessfulAnswer(row.success_rule, outcome.statusCode, outcome.body);
      const error = success ? '' : (outcome.error ?? answerError(outcome.statusCode ?? 0, outcome.snippet));
      const finished = { row, trigger, leaseUntil, startedAt, outcome, success, error };
      let state: NotifyState;
      try {
        state = await this.recorder.record(finished);
      } catch (err) {
        // Recorded without the merchant's text instead: the attempt still counts and the row
        // moves on. Left unrecorded, its lease would lapse and the row be sent again forever.
        log?.error({ err, notification: id }, 'notification attempt stored without its answer');
        const note = `answer not stored: ${err instanceof Error ? err.message : String(err)}`.slice(0, 200);
        const bare = { ...outcome, snippet: '' };
        state = await this.recorder.record({ ...finished, outcome: bare, error: success ? '' : note });
      }
      const orderId = Number(row.order_id);
      events.publish({ kind: 'notified', orderId, token: row.order_token, state });
      const fields = {
        notification: id,
        order: orderId,
        trigger,
        status: outcome.statusCode,
        durationMs: outcome.durationMs,
        state,
      };
      if (success) log?.info(fields, 'merchant notified');
      else log?.warn({ ...fields, error }, 'merchant notification failed');
      return {
        notificationId: id,
        orderId,
        trigger,
        state,
        statusCode: outcome.statusCode,
        durationMs: outcome.durationMs,
        error,
      };
    } catch (err) {
      log?.error({ err, notification: id }, 'notification attempt could not be completed');
      if (trigger === 'manual') throw err;
      return null;
    }
  }

  /**
   * Stops taking new rows and waits for attempts in flight, at most `boundMs` (each attempt ends
   * by its own total timeout, so this normally returns well within it). A row whose attempt is
   * cut off keeps its lease and is retried by whichever instance runs next.
   */
  async stop(boundMs: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), boundMs);
    });
    const settled = Promise.allSettled([this.pass, ...this.running]);
    const result = await Promise.race([settled, bound]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.deps.log?.warn({ inFlight: this.running.size }, 'stopped with notification attempts in flight');
      await this.sender.destroy();
      return;
    }
    await this.sender.close();
  }
}
