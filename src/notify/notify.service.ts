import type { Db } from '../db/connect.js';
import { findLatestNotificationForOrder } from './notification.repository.js';

export type NotifyState = 'pending' | 'delivered' | 'failed';

/** Delivery state of merchant notifications, as the merchant API and cashier report it. */
export class NotifyService {
  constructor(private readonly db: Db) {}

  /** The order's notify state: that of its newest notification, `pending` before there is one. */
  async stateOf(orderId: number): Promise<NotifyState> {
    const n = await findLatestNotificationForOrder(this.db.kysely, orderId);
    return (n?.state as NotifyState | undefined) ?? 'pending';
  }
}
