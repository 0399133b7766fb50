import { Type } from 'typebox';
import { InvalidInputError } from '../domain/errors.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import type { Merchant } from '../merchants/merchant.model.js';
import type { MerchantSettings } from '../merchants/merchant.service.js';
import type { Services } from '../services.js';
import type { ConsoleApp } from './console.routes.js';
import { errorResponses } from './console.schemas.js';
import { operatorOnly } from './operator-only.js';
import { signedIn } from './scope.js';

const MerchantBody = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  appkey: Type.String(),
  enabled: Type.Boolean(),
  api_enabled: Type.Boolean(),
  alipay_enabled: Type.Boolean(),
  wechat_enabled: Type.Boolean(),
  /** API orders a day; null: no limit. */
  daily_quota: Type.Union([Type.Integer(), Type.Null()]),
  /** API orders created today (China time), what the quota counts. */
  api_orders_today: Type.Integer(),
  notify_url: Type.String(),
  created_at: Type.Integer(),
});

const Url = Type.String({ minLength: 1, maxLength: 2000 });
/** Null first: with type coercion on, a null tried against the integer first would become 0. */
const Quota = Type.Union([Type.Null(), Type.Integer({ minimum: 0, maximum: 100_000_000 })]);

/**
 * The operator's merchants page: the list (newest first, keyset pages, a name filter), a new
 * merchant, and switching one off or on, its daily quota and payment types. The same
 * `MerchantService` as `shouyin merchant …`; every change is audited with the console user.
 * Secrets are not shown here: the merchant's settings page reveals them after re-authentication.
 */
export function merchantsRoutes(app: ConsoleApp, services: Services): void {
  const body = async (m: Merchant) => ({
    id: m.id,
    name: m.name,
    appkey: m.appkey,
    enabled: m.enabled,
    api_enabled: m.apiEnabled,
    alipay_enabled: m.alipayEnabled,
    wechat_enabled: m.wechatEnabled,
    daily_quota: m.dailyQuota,
    api_orders_today: await services.merchants.apiOrdersToday(m.id),
    notify_url: m.notifyUrl,
    created_at: m.createdAt,
  });
  const actor = (request: Parameters<typeof signedIn>[0]) => ({
    actor: `console:${signedIn(request).user.email}`,
  });

  app.get(
    '/merchants',
    {
      onRequest: operatorOnly,
      schema: {
        querystring: Type.Object({
          search: Type.Optional(Type.String({ maxLength: 100 })),
          cursor: Type.Optional(Type.String({ maxLength: 100 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
        response: {
          200: Type.Object({
            merchants: Type.Array(MerchantBody),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const beforeId = request.query.cursor ? decodeCursor(request.query.cursor, 1)[0] : undefined;
      const rows = await services.merchants.list({
        beforeId,
        limit: limit + 1,
        search: request.query.search,
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        merchants: await Promise.all(page.map(body)),
        next_cursor: rows.length > limit && last ? encodeCursor([last.id]) : null,
      };
    },
  );

  app.post(
    '/merchants',
    {
      onRequest: operatorOnly,
      schema: {
        body: Type.Object(
          {
            name: Type.String({ maxLength: 200 }),
            notify_url: Url,
            return_url: Url,
            timeout_url: Type.Optional(Type.Union([Type.Null(), Url])),
          },
          { additionalProperties: false },
        ),
        response: { 200: MerchantBody, ...errorResponses },
      },
    },
    async (request) => {
      const b = request.body;
      const m = await services.merchants.add(
        { name: b.name, notifyUrl: b.notify_url, returnUrl: b.return_url, timeoutUrl: b.timeout_url ?? null },
        actor(request),
      );
      return body(m);
    },
  );

  app.patch(
    '/merchants/:id',
    {
      onRequest: operatorOnly,
      schema: {
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ maxLength: 200 })),
            enabled: Type.Optional(Type.Boolean()),
            api_enabled: Type.Optional(Type.Boolean()),
            alipay_enabled: Type.Optional(Type.Boolean()),
            wechat_enabled: Type.Optional(Type.Boolean()),
            daily_quota: Type.Optional(Quota),
          },
          { additionalProperties: false },
        ),
        response: { 200: MerchantBody, ...errorResponses },
      },
    },
    async (request) => {
      const b = request.body;
      const s: MerchantSettings = {};
      if (b.name !== undefined) s.name = b.name;
      if (b.enabled !== undefined) s.enabled = b.enabled;
      if (b.api_enabled !== undefined) s.apiEnabled = b.api_enabled;
      if (b.alipay_enabled !== undefined) s.alipayEnabled = b.alipay_enabled;
      if (b.wechat_enabled !== undefined) s.wechatEnabled = b.wechat_enabled;
      if (b.daily_quota !== undefined) s.dailyQuota = b.daily_quota;
      if (Object.keys(s).length === 0)
        throw new InvalidInputError('Nothing to change: send at least one field.');
      return body(await services.merchants.set(request.params.id, s, actor(request)));
    },
  );
}
