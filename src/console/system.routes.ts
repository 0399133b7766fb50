import { Type } from 'typebox';
import type { Services } from '../services.js';
import type { ConsoleApp } from './console.routes.js';
import { errorResponses } from './console.schemas.js';
import { operatorOnly } from './operator-only.js';
import { systemStatus } from './system-status.js';

const Ms = Type.Union([Type.Integer(), Type.Null()]);

/** `GET /admin/api/system`: the operator's system status page. */
export function systemRoutes(app: ConsoleApp, services: Services): void {
  app.get(
    '/system',
    {
      onRequest: operatorOnly,
      schema: {
        response: {
          200: Type.Object({
            version: Type.String(),
            node: Type.String(),
            started_at: Type.Integer(),
            now: Type.Integer(),
            database: Type.Object({
              dialect: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
              /** The SQLite file, or PostgreSQL's host:port/database: never credentials. */
              location: Type.String(),
              pending_migrations: Type.Array(Type.String()),
            }),
            open_orders: Type.Integer(),
            notifications: Type.Object({
              queue: Type.Integer(),
              due: Type.Integer(),
              failed: Type.Integer(),
              oldest_pending_created_at: Ms,
              oldest_pending_age_ms: Ms,
            }),
            monitors: Type.Object({ online: Type.Integer(), total: Type.Integer() }),
            unmatched_payments: Type.Integer(),
            merchants: Type.Integer(),
            users: Type.Integer(),
          }),
          ...errorResponses,
        },
      },
    },
    async () => {
      const s = await systemStatus(services);
      return {
        version: s.version,
        node: s.node,
        started_at: s.startedAt,
        now: s.now,
        database: {
          dialect: s.database.dialect,
          location: s.database.location,
          pending_migrations: s.database.pendingMigrations,
        },
        open_orders: s.openOrders,
        notifications: {
          queue: s.notifications.queue,
          due: s.notifications.due,
          failed: s.notifications.failed,
          oldest_pending_created_at: s.notifications.oldestPendingCreatedAt,
          oldest_pending_age_ms: s.notifications.oldestPendingAgeMs,
        },
        monitors: s.monitors,
        unmatched_payments: s.unmatchedPayments,
        merchants: s.merchants,
        users: s.users,
      };
    },
  );
}
