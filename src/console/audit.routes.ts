import { Type } from 'typebox';
import { AUDIT_ACTIONS } from '../audit/audit.model.js';
import { listAuditLog } from '../audit/audit.query.js';
import type { Services } from '../services.js';
import type { ConsoleApp } from './console.routes.js';
import { errorResponses } from './console.schemas.js';
import { operatorOnly } from './operator-only.js';

/**
 * `GET /admin/api/audit`: the operator's audit log, newest first, filtered by actor, action and
 * subject (each exact), keyset pages. `actions` lists the vocabulary for the page's filter.
 */
export function auditRoutes(app: ConsoleApp, services: Services): void {
  app.get(
    '/audit',
    {
      onRequest: operatorOnly,
      schema: {
        querystring: Type.Object({
          actor: Type.Optional(Type.String({ maxLength: 300 })),
          action: Type.Optional(Type.String({ maxLength: 100 })),
          subject: Type.Optional(Type.String({ maxLength: 100 })),
          cursor: Type.Optional(Type.String({ maxLength: 100 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
        response: {
          200: Type.Object({
            entries: Type.Array(
              Type.Object({
                id: Type.Integer(),
                at: Type.Integer(),
                actor: Type.String(),
                action: Type.String(),
                subject: Type.String(),
                detail: Type.Record(Type.String(), Type.Unknown()),
              }),
            ),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
            actions: Type.Array(Type.String()),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const page = await listAuditLog(services.db.kysely, request.query);
      return { entries: page.entries, next_cursor: page.nextCursor, actions: [...AUDIT_ACTIONS] };
    },
  );
}
