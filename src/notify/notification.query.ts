import { insertAudit } from '../audit/audit.repository.js';
import type { Actor } from '../audit/audit.model.js';
import type { Db } from '../db/connect.js';
import { transact } from '../db/tx.js';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { findOrderById } from '../orders/order.repository.js';
import type { AttemptReport, NotificationDispatcher } from './dispatcher.js';
import {
  findLastAttempts,
  listNotificationsInState,
  requeueFailing,
} from './notification-list.repository.js';
import { findLatestNotificationForOrder } from './notification.repository.js';
import { isNotifyState, type NotifyState } from './notify.service.js';

/** The notifications page reads failing ones first: failed, then pending (retrying or new), then delivered. */
const RANKED_STATES: readonly NotifyState[] = ['failed', 'pending', 'delivered'];

export interface LastAttempt {
  at: number;
  trigger: string;
  status: number | null;
  duration_ms: number;
  /** The first bytes of the merchant's answer. */
  answer: string;
  error: string;
}

export interface ConsoleNotification {
  id: number;
  order_id: number;
  out_order_id: string;
  merchant_id: number;
  method: string;
  url: string;
  state: NotifyState;
  attempts: number;
  /** When the next scheduled attempt is due; null unless pending. */
  next_attempt_at: number | null;
  last_error: string;
  created_at: number;
  delivered_at: number | null;
  last_attempt: LastAttempt | null;
}

export interface NotifyQueryDeps {
  db: Db;
  clock: Clock;
}

/**
 * One page of merchant notifications: failed first, then pending, then delivered, newest first
 * within each (keyset over (state rank, id), so deep pages cost what the first does). `state`
 * narrows it to one of them. Called by the console's notifications page.
 */
export async function listConsoleNotifications(
  deps: NotifyQueryDeps,
  q: { merchantId: number | null; state?: string; cursor?: string; limit?: number },
): Promise<{ notifications: ConsoleNotification[]; next_cursor: string | null }> {
  const limit = q.limit ?? 50;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 100) {
    throw new InvalidInputError('A page holds 1 to 100 notifications.');
  }
  if (q.state !== undefined && q.state !== '' && !isNotifyState(q.state)) {
    throw new InvalidInputError('The state must be pending, delivered or failed.');
  }
  const states = q.state ? [q.state as NotifyState] : RANKED_STATES;
  const [startRank, startBefore] = q.cursor
    ? (decodeCursor(q.cursor, 2) as [number, number])
    : [0, undefined];
  if (startRank >= states.length) throw new InvalidInputError('The page cursor is not valid.');
  const rows: Array<Awaited<ReturnType<typeof listNotificationsInState>>[number] & { rank: number }> = [];
  for (let r = startRank; r < states.length && rows.length <= limit; r++) {
    const got = await listNotificationsInState(deps.db.kysely, {
      merchantId: q.merchantId,
      state: states[r] as NotifyState,
      beforeId: r === startRank ? startBefore : undefined,
      limit: limit + 1 - rows.length,
    });
    rows.push(...got.map((n) => ({ ...n, rank: r })));
  }
  const shown = rows.slice(0, limit);
  const more = rows.length > limit;
  const attempts = new Map(
    (
      await findLastAttempts(
        deps.db.kysely,
        shown.map((n) => Number(n.id)),
      )
    ).map((a) => [Number(a.notification_id), a]),
  );
  const last = shown.at(-1);
  return {
    notifications: shown.map((n) => {
      const a = attempts.get(Number(n.id));
      return {
        id: Number(n.id),
        order_id: Number(n.order_id),
        out_order_id: n.out_order_id,
        merchant_id: Number(n.merchant_id),
        method: n.method,
        url: n.url,
        state: n.state as NotifyState,
        attempts: Number(n.attempts),
        next_attempt_at: n.state === 'pending' ? Number(n.next_attempt_at) : null,
        last_error: n.last_error,
        created_at: Number(n.created_at),
        delivered_at: n.delivered_at === null ? null : Number(n.delivered_at),
        last_attempt: a
          ? {
              at: Number(a.started_at),
              trigger: a.trigger,
              status: a.status_code === null ? null : Number(a.status_code),
              duration_ms: Number(a.duration_ms),
              answer: a.response_snippet,
              error: a.error,
            }
          : null,
      };
    }),
    next_cursor: more && last ? encodeCursor([last.rank, Number(last.id)]) : null,
  };
}

/**
 * A manual attempt of an order's newest notification, now, by someone in the console: checked
 * (a paid order with a notification), audited (so no resend goes out unrecorded), then sent by
 * `dispatcher.resend`, which records the attempt like any other.
 */
export async function resendNotification(
  deps: NotifyQueryDeps & { dispatcher: NotificationDispatcher },
  orderId: number,
  by: Actor,
): Promise<AttemptReport> {
  const order = await findOrderById(deps.db.kysely, orderId);
  if (!order) throw new NotFoundError(`order ${orderId} not found`);
  if (order.status !== 'paid') {
    throw new InvalidInputError(
      `order ${orderId} is ${order.status}, not paid: only paid orders are notified`,
    );
  }
  if (!(await findLatestNotificationForOrder(deps.db.kysely, orderId))) {
    throw new NotFoundError(`order ${orderId} has no notification`);
  }
  await insertAudit(deps.db.kysely, {
    at: deps.clock(),
    actor: by.actor,
    action: 'notification.resend',
    subject: `order:${orderId}`,
    detail: {},
  });
  return deps.dispatcher.resend(orderId);
}

/**
 * "The endpoint is fixed, send them all again": every failing notification of one merchant goes
 * back to the push network, due now (see `requeueFailing`), audited in the same transaction.
 * The dispatcher sends them with its usual per-host limits, on whichever instance is free.
 */
export async function resendFailing(
  deps: NotifyQueryDeps & { events: EventBus },
  merchantId: number,
  by: Actor,
): Promise<{ requeued: number; failed: number; retrying: number }> {
  const now = deps.clock();
  const moved = await transact(deps.db, async (trx) => {
    const m = await requeueFailing(trx, merchantId, now);
    if (m.failed + m.retrying > 0) {
      await insertAudit(trx, {
        at: now,
        actor: by.actor,
        action: 'notification.requeue',
        subject: `merchant:${merchantId}`,
        detail: { failed: m.failed, retrying: m.retrying },
      });
    }
    return m;
  });
  if (moved.failed + moved.retrying > 0) deps.events.notificationDue();
  return { requeued: moved.failed + moved.retrying, ...moved };
}
