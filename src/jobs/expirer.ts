import type { FastifyBaseLogger } from 'fastify';
import type { OrderService } from '../orders/order.service.js';

/**
 * Expires unpaid orders past their deadline every `intervalMs`. Runs in every instance; the
 * guarded UPDATE makes concurrent sweeps harmless. Returns a stop function.
 */
export function startExpirer(
  orders: OrderService,
  intervalMs: number,
  log?: FastifyBaseLogger,
): () => Promise<void> {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = (async () => {
      try {
        while ((await orders.expireDue()).length === 500);
      } catch (err) {
        log?.error({ err }, 'expiry sweep failed');
      } finally {
        running = null;
      }
    })();
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
