import { Type } from 'typebox';
import type { Services } from '../services.js';
import type { ConsoleApp } from './console.routes.js';
import { errorResponses, MerchantScopeQuery } from './console.schemas.js';
import { requireMerchantId } from './scope.js';

/**
 * `GET /admin/api/merchant`: the merchant the caller works on (a merchant user's own; an
 * operator's `?merchant_id=`). The console's header shows it; it is also the smallest
 * merchant-scoped route, the example the page groups follow.
 */
export function merchantSummaryRoutes(app: ConsoleApp, services: Services): void {
  app.get(
    '/merchant',
    {
      schema: {
        querystring: MerchantScopeQuery,
        response: {
          200: Type.Object({
            id: Type.Integer(),
            name: Type.String(),
            enabled: Type.Boolean(),
            api_enabled: Type.Boolean(),
            created_at: Type.Integer(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const m = await services.merchants.get(requireMerchantId(request, request.query.merchant_id));
      return {
        id: m.id,
        name: m.name,
        enabled: m.enabled,
        api_enabled: m.apiEnabled,
        created_at: m.createdAt,
      };
    },
  );
}
