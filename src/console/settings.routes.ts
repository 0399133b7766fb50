import { type Static, Type } from 'typebox';
import type { SettingsView } from '../merchants/merchant-settings.service.js';
import type { Services } from '../services.js';
import type { ConsoleApp } from './console.routes.js';
import { errorResponses, MerchantScopeQuery } from './console.schemas.js';
import { requireFreshAuth, requireMerchantId } from './scope.js';

const Url = Type.String({ maxLength: 2048 });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const Warning = Type.Object({
  field: Type.Union([Type.Literal('notify_url'), Type.Literal('return_url'), Type.Literal('timeout_url')]),
  code: Type.Union([
    Type.Literal('refused_address'),
    Type.Literal('private_address'),
    Type.Literal('unresolvable'),
  ]),
  host: Type.String(),
  address: Nullable(Type.String()),
  category: Nullable(Type.String()),
  message: Type.String(),
});

const SettingsBody = Type.Object({
  merchant_id: Type.Integer(),
  name: Type.String(),
  appkey: Type.String(),
  notify_url: Type.String(),
  return_url: Type.String(),
  timeout_url: Nullable(Type.String()),
  order_ttl: Type.Integer(),
  offset_direction: Type.String(),
  max_offset: Type.String(),
  rotation: Type.String(),
  notify_method: Type.String(),
  alipay_enabled: Type.Boolean(),
  wechat_enabled: Type.Boolean(),
  pay_token: Type.String(),
  pay_link: Type.String(),
  previous_secret_until: Nullable(Type.Integer()),
  warnings: Type.Array(Warning),
});

const SettingsInputBody = Type.Object(
  {
    notify_url: Url,
    return_url: Url,
    timeout_url: Type.Optional(Nullable(Url)),
    order_ttl: Type.Optional(Type.Integer()),
    offset_direction: Type.Optional(Type.String({ maxLength: 10 })),
    max_offset: Type.Optional(Type.String({ maxLength: 10 })),
    rotation: Type.Optional(Type.String({ maxLength: 10 })),
    notify_method: Type.Optional(Type.String({ maxLength: 10 })),
    alipay_enabled: Type.Optional(Type.Boolean()),
    wechat_enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const TestResultBody = Type.Object({
  method: Type.String(),
  url: Type.String(),
  params: Type.Record(Type.String(), Type.String()),
  status: Nullable(Type.Integer()),
  duration_ms: Type.Integer(),
  answer: Type.String(),
  success: Type.Boolean(),
  error: Nullable(Type.String()),
});

const SignatureBody = Type.Object({
  notification: Nullable(
    Type.Object({
      id: Type.Integer(),
      order_id: Type.Integer(),
      out_order_id: Type.String(),
      method: Type.String(),
      created_at: Type.Integer(),
      fields: Type.Array(Type.Object({ name: Type.String(), value: Type.String() })),
      hashed_string: Type.String(),
      inner_md5: Type.String(),
      sent_sign: Type.String(),
      expected_sign: Type.String(),
      signed_with: Type.Union([Type.Literal('current'), Type.Literal('previous'), Type.Literal('other')]),
    }),
  ),
});

const ComparisonBody = Type.Object({
  sign_matches: Type.Boolean(),
  string_matches: Nullable(Type.Boolean()),
  first_difference: Nullable(Type.Integer()),
  hint: Nullable(Type.String()),
});

const SecretBody = Type.Object({ appsecret: Type.String(), previous_secret_until: Nullable(Type.Integer()) });

function settingsBody(v: SettingsView): Static<typeof SettingsBody> {
  return {
    merchant_id: v.merchantId,
    name: v.name,
    appkey: v.appkey,
    notify_url: v.notifyUrl,
    return_url: v.returnUrl,
    timeout_url: v.timeoutUrl,
    order_ttl: v.orderTtl,
    offset_direction: v.offsetDirection,
    max_offset: v.maxOffset,
    rotation: v.rotation,
    notify_method: v.notifyMethod,
    alipay_enabled: v.alipayEnabled,
    wechat_enabled: v.wechatEnabled,
    pay_token: v.payToken,
    pay_link: v.payLink,
    previous_secret_until: v.previousSecretUntil,
    warnings: v.warnings,
  };
}

/**
 * The settings page (账户配置): `/admin/api/settings…`. Every route is about one merchant: a
 * merchant user's own, an operator's `?merchant_id=`. Rules live in `MerchantSettingsService`
 * and `MerchantService` (the CLI's `merchant set` / `rotate-secret` call the same ones).
 */
export function settingsRoutes(app: ConsoleApp, services: Services): void {
  const settings = services.merchantSettings;
  const sessions = services.users.sessions;

  app.get(
    '/settings',
    { schema: { querystring: MerchantScopeQuery, response: { 200: SettingsBody, ...errorResponses } } },
    async (request) =>
      settingsBody(await settings.view(requireMerchantId(request, request.query.merchant_id))),
  );

  app.put(
    '/settings',
    {
      schema: {
        querystring: MerchantScopeQuery,
        body: SettingsInputBody,
        response: { 200: SettingsBody, ...errorResponses },
      },
    },
    async (request) => {
      const id = requireMerchantId(request, request.query.merchant_id);
      const b = request.body;
      return settingsBody(
        await settings.save(id, {
          notifyUrl: b.notify_url,
          returnUrl: b.return_url,
          timeoutUrl: b.timeout_url === undefined ? undefined : b.timeout_url || null,
          orderTtl: b.order_ttl,
          offsetDirection: b.offset_direction,
          maxOffset: b.max_offset,
          rotation: b.rotation,
          notifyMethod: b.notify_method,
          alipayEnabled: b.alipay_enabled,
          wechatEnabled: b.wechat_enabled,
        }),
      );
    },
  );

  app.post(
    '/settings/test-notification',
    { schema: { querystring: MerchantScopeQuery, response: { 200: TestResultBody, ...errorResponses } } },
    async (request) => {
      const r = await settings.sendTest(requireMerchantId(request, request.query.merchant_id));
      return {
        method: r.method,
        url: r.url,
        params: r.params,
        status: r.statusCode,
        duration_ms: r.durationMs,
        answer: r.answer,
        success: r.success,
        error: r.error,
      };
    },
  );

  const signatureBody = (help: Awaited<ReturnType<typeof settings.signatureHelp>>) => ({
    notification:
      help === null
        ? null
        : {
            id: help.notification.id,
            order_id: help.notification.orderId,
            out_order_id: help.notification.outOrderId,
            method: help.notification.method,
            created_at: help.notification.createdAt,
            fields: help.steps.fields,
            hashed_string: help.steps.hashedString,
            inner_md5: help.steps.innerMd5,
            sent_sign: help.sentSign,
            expected_sign: help.steps.sign,
            signed_with: help.signedWith,
          },
  });

  app.get(
    '/settings/signature',
    { schema: { querystring: MerchantScopeQuery, response: { 200: SignatureBody, ...errorResponses } } },
    async (request) =>
      signatureBody(await settings.signatureHelp(requireMerchantId(request, request.query.merchant_id))),
  );

  app.post(
    '/settings/signature/check',
    {
      schema: {
        querystring: MerchantScopeQuery,
        body: Type.Object(
          {
            sign: Type.String({ minLength: 1, maxLength: 200 }),
            string: Type.Optional(Type.String({ maxLength: 10_000 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ ...SignatureBody.properties, comparison: Nullable(ComparisonBody) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const id = requireMerchantId(request, request.query.merchant_id);
      const { help, comparison } = await settings.checkSignature(id, request.body);
      return {
        ...signatureBody(help),
        comparison:
          comparison === null
            ? null
            : {
                sign_matches: comparison.signMatches,
                string_matches: comparison.stringMatches,
                first_difference: comparison.firstDifference,
                hint: comparison.hint,
              },
      };
    },
  );

  app.post(
    '/settings/secret/reveal',
    { schema: { querystring: MerchantScopeQuery, response: { 200: SecretBody, ...errorResponses } } },
    async (request) => {
      const id = requireMerchantId(request, request.query.merchant_id);
      requireFreshAuth(request, sessions);
      const s = await settings.secret(id);
      return { appsecret: s.appsecret, previous_secret_until: s.previousSecretUntil };
    },
  );

  app.post(
    '/settings/secret/rotate',
    {
      schema: {
        querystring: MerchantScopeQuery,
        body: Type.Object(
          { grace_hours: Type.Integer({ description: '1–168 (checked by the service, as for the CLI)' }) },
          { additionalProperties: false },
        ),
        response: { 200: SecretBody, ...errorResponses },
      },
    },
    async (request) => {
      const id = requireMerchantId(request, request.query.merchant_id);
      // The answer reveals the new secret, and a rotation ends the old one: both need a fresh password.
      requireFreshAuth(request, sessions);
      const s = await settings.rotateSecret(id, request.body.grace_hours * 3600_000);
      return { appsecret: s.appsecret, previous_secret_until: s.previousSecretUntil };
    },
  );

  app.post(
    '/settings/pay-token',
    { schema: { querystring: MerchantScopeQuery, response: { 200: SettingsBody, ...errorResponses } } },
    async (request) =>
      settingsBody(await settings.regeneratePayToken(requireMerchantId(request, request.query.merchant_id))),
  );
}
