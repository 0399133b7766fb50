import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../services.js';
import type { AdminActor, UserOverview } from '../users/user-admin.service.js';
import type { User } from '../users/user.model.js';
import type { ConsoleApp } from './console.routes.js';
import { errorResponses } from './console.schemas.js';
import { operatorOnly } from './operator-only.js';
import { signedIn } from './scope.js';

const Ms = Type.Union([Type.Integer(), Type.Null()]);
const UserId = Type.Object({ id: Type.Integer({ minimum: 1 }) });
/** Long enough for any password the service accepts; the service says what is too short. */
const Password = Type.String({ minLength: 1, maxLength: 1024 });

const AdminUserBody = Type.Object({
  id: Type.Integer(),
  email: Type.String(),
  role: Type.Union([Type.Literal('operator'), Type.Literal('merchant')]),
  merchant_id: Type.Union([Type.Integer(), Type.Null()]),
  totp_enabled: Type.Boolean(),
  disabled: Type.Boolean(),
  locked_until: Ms,
  created_at: Type.Integer(),
  last_sign_in_at: Ms,
  live_sessions: Type.Integer(),
});

const AdminSessionBody = Type.Object({
  id: Type.String(),
  created_at: Type.Integer(),
  last_seen_at: Type.Integer(),
  expires_at: Type.Integer(),
  ip: Type.String(),
  user_agent: Type.String(),
  /** The session this request came with. */
  current: Type.Boolean(),
});

function userBody(u: User | UserOverview) {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    merchant_id: u.merchantId,
    totp_enabled: u.totpEnabled,
    disabled: u.disabled,
    locked_until: u.lockedUntil,
    created_at: u.createdAt,
    last_sign_in_at: 'lastSignInAt' in u ? u.lastSignInAt : null,
    live_sessions: 'liveSessions' in u ? u.liveSessions : 0,
  };
}

function adminActor(request: FastifyRequest): AdminActor {
  const { user } = signedIn(request);
  return { actor: `console:${user.email}`, userId: user.id };
}

/**
 * The operator's users page: console users (operators and merchant users), adding one,
 * disabling or enabling it, setting a new password, and its sessions (listed, revoked one by one
 * or all at once). Through `UserAdminService`; every change is audited.
 */
export function usersRoutes(app: ConsoleApp, services: Services): void {
  const admin = services.userAdmin;
  const withOverview = async (u: User) => userBody((await admin.list()).find((x) => x.id === u.id) ?? u);

  app.get(
    '/users',
    {
      onRequest: operatorOnly,
      schema: { response: { 200: Type.Object({ users: Type.Array(AdminUserBody) }), ...errorResponses } },
    },
    async () => ({ users: (await admin.list()).map(userBody) }),
  );

  app.post(
    '/users',
    {
      onRequest: operatorOnly,
      schema: {
        body: Type.Object(
          {
            email: Type.String({ maxLength: 320 }),
            password: Password,
            role: Type.Union([Type.Literal('operator'), Type.Literal('merchant')]),
            merchant_id: Type.Optional(Type.Union([Type.Null(), Type.Integer({ minimum: 1 })])),
          },
          { additionalProperties: false },
        ),
        response: { 200: AdminUserBody, ...errorResponses },
      },
    },
    async (request) => {
      const b = request.body;
      const user = await admin.add(
        { email: b.email, password: b.password, role: b.role, merchantId: b.merchant_id ?? null },
        adminActor(request),
      );
      return userBody(user);
    },
  );

  for (const [path, disabled] of [
    ['/users/:id/disable', true],
    ['/users/:id/enable', false],
  ] as const) {
    app.post(
      path,
      {
        onRequest: operatorOnly,
        schema: { params: UserId, response: { 200: AdminUserBody, ...errorResponses } },
      },
      async (request) =>
        withOverview(await admin.setDisabled(request.params.id, disabled, adminActor(request))),
    );
  }

  app.post(
    '/users/:id/password',
    {
      onRequest: operatorOnly,
      schema: {
        params: UserId,
        body: Type.Object({ password: Password }, { additionalProperties: false }),
        response: {
          200: Type.Object({ user: AdminUserBody, sessions_revoked: Type.Integer() }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const r = await admin.resetPassword(request.params.id, request.body.password, adminActor(request));
      return { user: await withOverview(r.user), sessions_revoked: r.sessionsRevoked };
    },
  );

  app.get(
    '/users/:id/sessions',
    {
      onRequest: operatorOnly,
      schema: {
        params: UserId,
        response: { 200: Type.Object({ sessions: Type.Array(AdminSessionBody) }), ...errorResponses },
      },
    },
    async (request) => {
      const current = signedIn(request).session.id;
      const list = await admin.sessionsOf(request.params.id);
      return {
        sessions: list.map((s) => ({
          id: s.id,
          created_at: s.createdAt,
          last_seen_at: s.lastSeenAt,
          expires_at: s.expiresAt,
          ip: s.ip,
          user_agent: s.userAgent,
          current: s.id === current,
        })),
      };
    },
  );

  app.delete(
    '/users/:id/sessions/:session_id',
    {
      onRequest: operatorOnly,
      schema: {
        params: Type.Object({
          id: Type.Integer({ minimum: 1 }),
          session_id: Type.String({ pattern: '^[0-9a-f]{64}$' }),
        }),
        response: { 200: Type.Object({ revoked: Type.Integer() }), ...errorResponses },
      },
    },
    async (request) => ({
      revoked: await admin.revokeSessions(
        request.params.id,
        { sessionId: request.params.session_id },
        adminActor(request),
      ),
    }),
  );

  app.post(
    '/users/:id/sessions/revoke-all',
    {
      onRequest: operatorOnly,
      schema: {
        params: UserId,
        response: { 200: Type.Object({ revoked: Type.Integer() }), ...errorResponses },
      },
    },
    async (request) => ({
      revoked: await admin.revokeSessions(request.params.id, 'all', adminActor(request)),
    }),
  );
}
