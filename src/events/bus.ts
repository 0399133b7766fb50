import { EventEmitter } from 'node:events';

/** What happened to an order, for live cashier pages and the dispatcher. */
export type OrderEvent =
  | { kind: 'paid'; orderId: number; token: string }
  | { kind: 'expired'; orderId: number; token: string }
  | { kind: 'notified'; orderId: number; token: string; state: 'delivered' | 'failed' | 'pending' };

/**
 * In-process events (SQLite: one instance). A PostgreSQL deployment bridges the same interface
 * over LISTEN/NOTIFY so every instance's cashier pages hear every event.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private orderSubscribers = 0;
  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(e: OrderEvent): void {
    this.emitter.emit(`order:${e.token}`, e);
    this.emitter.emit('order', e);
  }

  /** Events of one order (by its pay token); returns the unsubscribe function (idempotent). */
  subscribeOrder(token: string, fn: (e: OrderEvent) => void): () => void {
    this.emitter.on(`order:${token}`, fn);
    this.orderSubscribers++;
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.orderSubscribers--;
      this.emitter.off(`order:${token}`, fn);
    };
  }

  /** Live subscriptions to single orders (each cashier stream holds one), for metrics and tests. */
  orderSubscriberCount(token?: string): number {
    return token === undefined ? this.orderSubscribers : this.emitter.listenerCount(`order:${token}`);
  }

  subscribeAll(fn: (e: OrderEvent) => void): () => void {
    this.emitter.on('order', fn);
    return () => this.emitter.off('order', fn);
  }

  /** Wakes the dispatcher: a notification row became due now. */
  onNotificationDue(fn: () => void): () => void {
    this.emitter.on('notify-due', fn);
    return () => this.emitter.off('notify-due', fn);
  }
  notificationDue(): void {
    this.emitter.emit('notify-due');
  }
}
