import { Type } from 'typebox';
import type { Services } from '../services.js';
import type { ConsoleApp } from './console.routes.js';
import { errorResponses, MerchantScopeQuery } from './console.schemas.js';
import { requireMerchantId } from './scope.js';

/** `GET /admin/api/checklist`: the merchant's setup checklist (see `SetupChecklistService`). */
export function checklistRoutes(app: ConsoleApp, services: Services): void {
  app.get(
    '/checklist',
    {
      schema: {
        querystring: MerchantScopeQuery,
        response: {
          200: Type.Object({
            done: Type.Boolean(),
            steps: Type.Array(
              Type.Object({
                key: Type.Union([
                  Type.Literal('callbacks'),
                  Type.Literal('account'),
                  Type.Literal('monitor'),
                  Type.Literal('test_payment'),
                ]),
                done: Type.Boolean(),
                link: Type.String(),
              }),
            ),
            last_heartbeat_at: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const c = await services.setupChecklist.forMerchant(
        requireMerchantId(request, request.query.merchant_id),
      );
      return { done: c.done, steps: c.steps, last_heartbeat_at: c.lastHeartbeatAt };
    },
  );
}
