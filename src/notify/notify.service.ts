import type { Db } from '../db/connect.js';
import { InvalidInputError } from '../domain/errors.js';
import {
  findLatestNotificationForOrder,
  listAttempts,
  listNotifications,
} from './notification.repository.js';

export type NotifyState = 'pending' | 'delivered' | 'failed';

export const NOTIFY_STATES: readonly NotifyState[] = ['pending', 'delivered', 'failed'];

export function isNotifyState(s: string): s is NotifyState {
  return (NOTIFY_STATES as readonly string[]).includes(s);
}

/** One outbox row as operators see it (`shouyin notify list`). Times are ISO strings. */
export interface NotificationView {
  id: number;
  order_id: number;
  out_order_id: string;
  merchant_id: number;
  protocol: string;
  method: string;
  url: string;
  webhook_id: string;
  state: NotifyState;
  attempts: number;
  /** When the next scheduled attempt is due; null unless pending. */
  next_attempt_at: string | null;
  last_error: string;
  created_at: string;
  delivered_at: string | null;
  attempt_log?: AttemptView[];
}

export interface AttemptView {
  at: string;
  trigger: string;
  duration_ms: number;
  status: number | null;
  error: string;
  response: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** Delivery state of merchant notifications, as the merchant API and cashier report it. */
export class NotifyService {
  constructor(private readonly db: Db) {}

  /** The order's notify state: that of its newest notification, `pending` before there is one. */
  async stateOf(orderId: number): Promise<NotifyState> {
    const n = await findLatestNotificationForOrder(this.db.kysely, orderId);
    return (n?.state as NotifyState | undefined) ?? 'pending';
  }

  /** Outbox rows, newest first, optionally of one order or in one state, with their attempts. */
  async list(filter: {
    orderId?: number;
    state?: string;
    limit?: number;
    withAttempts?: boolean;
  }): Promise<NotificationView[]> {
    if (filter.state !== undefined && !isNotifyState(filter.state)) {
      throw new InvalidInputError('state must be pending, delivered or failed');
    }
    const rows = await listNotifications(this.db.kysely, {
      orderId: filter.orderId,
      state: filter.state,
      limit: filter.limit ?? 50,
    });
    const views: NotificationView[] = [];
    for (const r of rows) {
      const view: NotificationView = {
        id: Number(r.id),
        order_id: Number(r.order_id),
        out_order_id: r.out_order_id,
        merchant_id: Number(r.merchant_id),
        protocol: r.protocol,
        method: r.method,
        url: r.url,
        webhook_id: r.webhook_id,
        state: r.state as NotifyState,
        attempts: Number(r.attempts),
        next_attempt_at: r.state === 'pending' ? iso(r.next_attempt_at) : null,
        last_error: r.last_error,
        created_at: iso(r.created_at) as string,
        delivered_at: iso(r.delivered_at),
      };
      if (filter.withAttempts) {
        view.attempt_log = (await listAttempts(this.db.kysely, view.id)).map((a) => ({
          at: iso(a.started_at) as string,
          trigger: a.trigger,
          duration_ms: Number(a.duration_ms),
          status: a.status_code,
          error: a.error,
          response: a.response_snippet,
        }));
      }
      views.push(view);
    }
    return views;
  }
}
