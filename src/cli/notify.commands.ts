import { InvalidInputError } from '../domain/errors.js';
import { NotificationDispatcher } from '../notify/dispatcher.js';
import type { Command } from './commands.js';

function positiveId(text: string | undefined, what: string): number {
  if (text === undefined || !/^[1-9][0-9]{0,15}$/.test(text))
    throw new InvalidInputError(`${what} must be a positive whole number`);
  return Number(text);
}

const s = { type: 'string' } as const;

/** `shouyin notify …`: the push network's outbox, and a manual attempt. */
export const NOTIFY_COMMANDS: Command[] = [
  {
    path: ['notify', 'list'],
    usage:
      'notify list [--order ID] [--state pending|delivered|failed] [--limit N] [--attempts]   merchant notifications, newest first',
    options: { order: s, state: s, limit: s, attempts: { type: 'boolean' } },
    run: async ({ services, values }) => {
      const order = typeof values.order === 'string' ? positiveId(values.order, '--order') : undefined;
      const limit = typeof values.limit === 'string' ? positiveId(values.limit, '--limit') : 50;
      const rows = await services.notify.list({
        orderId: order,
        state: typeof values.state === 'string' ? values.state : undefined,
        limit,
        withAttempts: values.attempts === true,
      });
      return rows;
    },
  },
  {
    path: ['notify', 'resend'],
    usage: 'notify resend ORDER_ID                  send the newest notification of a paid order again, now',
    options: {},
    run: async ({ services, positionals }) => {
      const orderId = positiveId(positionals[0], 'order ID');
      // The same dispatcher code as the server's, sending from this process.
      const dispatcher = new NotificationDispatcher({
        db: services.db,
        config: services.config,
        clock: services.clock,
        events: services.events,
      });
      try {
        const r = await dispatcher.resend(orderId);
        return {
          order_id: r.orderId,
          notification_id: r.notificationId,
          trigger: r.trigger,
          status: r.statusCode,
          duration_ms: r.durationMs,
          error: r.error,
          state: r.state,
        };
      } finally {
        await dispatcher.stop(services.config.notifyTotalTimeoutMs + 2000);
      }
    },
  },
];
