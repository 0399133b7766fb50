import { Type } from 'typebox';
import { NotificationDispatcher } from '../notify/dispatcher.js';
import { listConsoleNotifications, resendFailing, resendNotification } from '../notify/notification.query.js';
import { findOrderById } from '../orders/order.repository.js';
import type { Services } from '../services.js';
import { consoleErrors } from './console.errors.js';
import type { ConsoleApp } from './console.routes.js';
import { errorResponses } from './console.schemas.js';
import { consoleActor } from './orders.routes.js';
import { ensureInScope, requireMerchantId, scopedMerchantId } from './scope.js';

const Ms = Type.Union([Type.Integer(), Type.Null()]);

const NotificationBody = Type.Object({
  id: Type.Integer(),
  order_id: Type.Integer(),
  out_order_id: Type.String(),
  merchant_id: Type.Integer(),
  method: Type.String(),
  url: Type.String(),
  state: Type.String(),
  attempts: Type.Integer(),
  next_attempt_at: Ms,
  last_error: Type.String(),
  created_at: Type.Integer(),
  delivered_at: Ms,
  last_attempt: Type.Union([
    Type.Object({
      at: Type.Integer(),
      trigger: Type.String(),
      status: Type.Union([Type.Integer(), Type.Null()]),
      duration_ms: Type.Integer(),
      answer: Type.String(),
      error: Type.String(),
    }),
    Type.Null(),
  ]),
});

/**
 * The notifications page's API: merchant notifications, failing first; a manual resend of one
 * order's notification (sent now, its result answered); and "send all failing ones again" for a
 * merchant whose endpoint is fixed (handed back to the push network). Both resends are audited
 * with the console user as actor.
 */
export function notificationsRoutes(app: ConsoleApp, services: Services): void {
  const deps = { db: services.db, clock: services.clock, events: services.events };
  // Manual attempts only (never woken for due rows): the server's own dispatcher keeps those.
  const dispatcher = new NotificationDispatcher({
    db: services.db,
    config: services.config,
    clock: services.clock,
    events: services.events,
    log: app.log,
  });
  app.addHook('onClose', () => dispatcher.stop(services.config.notifyTotalTimeoutMs + 2000));

  app.get(
    '/notifications',
    {
      schema: {
        querystring: Type.Object({
          merchant_id: Type.Optional(Type.Integer({ minimum: 1 })),
          state: Type.Optional(Type.String({ maxLength: 20 })),
          cursor: Type.Optional(Type.String({ maxLength: 100 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
        }),
        response: {
          200: Type.Object({
            notifications: Type.Array(NotificationBody),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) =>
      listConsoleNotifications(deps, {
        merchantId: scopedMerchantId(request, request.query.merchant_id),
        state: request.query.state,
        cursor: request.query.cursor,
        limit: request.query.limit,
      }),
  );

  app.post(
    '/notifications/resend',
    {
      schema: {
        body: Type.Object({ order_id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            order_id: Type.Integer(),
            notification_id: Type.Integer(),
            state: Type.String(),
            status: Type.Union([Type.Integer(), Type.Null()]),
            duration_ms: Type.Integer(),
            error: Type.String(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const order = await findOrderById(services.db.kysely, request.body.order_id);
      if (!order) throw consoleErrors.notFound();
      ensureInScope(request, order.merchantId);
      const r = await resendNotification({ ...deps, dispatcher }, order.id, { actor: consoleActor(request) });
      return {
        order_id: r.orderId,
        notification_id: r.notificationId,
        state: r.state,
        status: r.statusCode,
        duration_ms: r.durationMs,
        error: r.error,
      };
    },
  );

  app.post(
    '/notifications/resend-failing',
    {
      schema: {
        body: Type.Object(
          { merchant_id: Type.Optional(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ requeued: Type.Integer(), failed: Type.Integer(), retrying: Type.Integer() }),
          ...errorResponses,
        },
      },
    },
    async (request) =>
      resendFailing(deps, requireMerchantId(request, request.body.merchant_id), {
        actor: consoleActor(request),
      }),
  );
}
