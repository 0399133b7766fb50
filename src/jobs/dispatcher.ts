import { type DispatchLog, NotificationDispatcher } from '../notify/dispatcher.js';
import type { Services } from '../services.js';

/** How often the dispatcher looks for due rows besides being woken (retries, other processes). */
export const NOTIFY_POLL_INTERVAL_MS = 1000;

/**
 * Runs the push network in this process: a pass at once (rows left by a previous run), on every
 * `notificationDue` event (a paid order's first attempt goes out immediately) and every second
 * (due retries, rows committed by another process such as `shouyin simulate pay`). Runs in every
 * instance; row leases keep them apart. Returns the stop function, which waits for attempts in
 * flight, at most one total timeout plus a little.
 */
export function startDispatcher(
  services: Services,
  log?: DispatchLog,
  pollIntervalMs = NOTIFY_POLL_INTERVAL_MS,
): () => Promise<void> {
  const { config } = services;
  const dispatcher = new NotificationDispatcher({
    db: services.db,
    config,
    clock: services.clock,
    events: services.events,
    log,
  });
  const unsubscribe = services.events.onNotificationDue(() => dispatcher.wake());
  const timer = setInterval(() => dispatcher.wake(), pollIntervalMs);
  timer.unref();
  dispatcher.wake();
  return async () => {
    unsubscribe();
    clearInterval(timer);
    await dispatcher.stop(config.notifyTotalTimeoutMs + 2000);
  };
}
