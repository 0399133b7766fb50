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
  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(e: OrderEvent): void {
    this.emitter.emit(`order:${e.token}`, e);
    this.emitter.emit('order', e);
  }

  /** Events of one order (by its pay token); returns the unsubscribe function. */
  subscribeOrder(token: string, fn: (e: OrderEvent) => void): () => void {
    this.emitter.on(`order:${token}`, fn);
    return () => this.emitter.off(`order:${token}`, fn);
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
