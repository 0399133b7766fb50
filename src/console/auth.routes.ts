import encodeQR from 'qr';
import { Type } from 'typebox';
import type { Services } from '../services.js';
import type { SignInResult } from '../users/user.service.js';
import type { ConsoleApp } from './console.routes.js';
import { errorResponses, UserBody, userBody } from './console.schemas.js';
import { clearSessionCookie, setSessionCookie } from './session-cookie.js';
import { clientInfo, signedIn } from './scope.js';
import { consoleErrors } from './console.errors.js';

const Email = Type.String({ minLength: 1, maxLength: 254 });
const Password = Type.String({ minLength: 1, maxLength: 1024 });
const SignedInBody = Type.Object({ user: UserBody, csrf_token: Type.String() });
const Ok = Type.Object({ ok: Type.Boolean() });
const SessionBody = Type.Object({
  id: Type.String(),
  created_at: Type.Integer(),
  last_seen_at: Type.Integer(),
  expires_at: Type.Integer(),
  ip: Type.String(),
  user_agent: Type.String(),
  current: Type.Boolean(),
});

/**
 * Signing in and out, the first-start setup link, sessions, two-factor codes and
 * re-authentication: the routes of `docs`' console contract. Rules live in `UserService`.
 */
export function authRoutes(app: ConsoleApp, services: Services): void {
  const { users, config } = services;
  const sessions = users.sessions;

  /** Sets the cookie of a new session and answers what the SPA needs next. */
  const signedInAnswer = (reply: Parameters<typeof setSessionCookie>[0], r: SignInResult) => {
    setSessionCookie(reply, config, r.token);
    return { user: userBody(r.user), csrf_token: sessions.csrfToken(r.session) };
  };

  app.get('/session', { schema: { response: { 200: SignedInBody, ...errorResponses } } }, async (request) => {
    const { user, session } = signedIn(request);
    return { user: userBody(user), csrf_token: sessions.csrfToken(session) };
  });

  app.get(
    '/setup',
    {
      config: { auth: 'public' },
      schema: {
        querystring: Type.Object({ token: Type.String({ maxLength: 200 }) }),
        response: { 200: Type.Object({ valid: Type.Boolean() }), ...errorResponses },
      },
    },
    async (request) => ({ valid: await users.setupTokenValid(request.query.token) }),
  );

  app.post(
    '/setup',
    {
      config: { auth: 'public' },
      schema: {
        body: Type.Object(
          { token: Type.String({ maxLength: 200 }), email: Email, password: Password },
          { additionalProperties: false },
        ),
        response: { 200: SignedInBody, ...errorResponses },
      },
    },
    async (request, reply) =>
      signedInAnswer(reply, await users.completeSetup(request.body, clientInfo(request))),
  );

  app.post(
    '/sign-in',
    {
      config: { auth: 'public' },
      schema: {
        body: Type.Object(
          { email: Email, password: Password, totp: Type.Optional(Type.String({ maxLength: 20 })) },
          { additionalProperties: false },
        ),
        response: { 200: SignedInBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const result = await users.signIn(request.body, clientInfo(request));
      // The browser's previous session (if any) is replaced by this one, not left behind.
      if (request.signedIn) await sessions.revoke(request.signedIn.user.id, request.signedIn.session.id);
      return signedInAnswer(reply, result);
    },
  );

  app.post('/sign-out', { schema: { response: { 200: Ok, ...errorResponses } } }, async (request, reply) => {
    const { user, session } = signedIn(request);
    await sessions.revoke(user.id, session.id);
    clearSessionCookie(reply, config);
    return { ok: true };
  });

  app.get(
    '/sessions',
    { schema: { response: { 200: Type.Object({ sessions: Type.Array(SessionBody) }), ...errorResponses } } },
    async (request) => {
      const { user, session: current } = signedIn(request);
      const list = await sessions.list(user.id);
      return {
        sessions: list.map((s) => ({
          id: s.id,
          created_at: s.createdAt,
          last_seen_at: s.lastSeenAt,
          expires_at: s.expiresAt,
          ip: s.ip,
          user_agent: s.userAgent,
          current: s.id === current.id,
        })),
      };
    },
  );

  app.delete(
    '/sessions/:id',
    {
      schema: {
        params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{64}$' }) }),
        response: { 200: Ok, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { user, session } = signedIn(request);
      // Another user's session id is answered like one that does not exist.
      if (!(await sessions.revoke(user.id, request.params.id))) throw consoleErrors.notFound();
      if (request.params.id === session.id) clearSessionCookie(reply, config);
      return { ok: true };
    },
  );

  app.post(
    '/sessions/revoke-others',
    { schema: { response: { 200: Type.Object({ revoked: Type.Integer() }), ...errorResponses } } },
    async (request) => {
      const { user, session } = signedIn(request);
      return { revoked: await sessions.revokeOthers(user.id, session.id) };
    },
  );

  app.post(
    '/totp/setup',
    {
      schema: {
        response: {
          200: Type.Object({ secret: Type.String(), otpauth_uri: Type.String(), qr_svg: Type.String() }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { secret, uri } = await users.beginTotp(signedIn(request).user.id);
      return { secret, otpauth_uri: uri, qr_svg: encodeQR(uri, 'svg', { ecc: 'medium', border: 2 }) };
    },
  );

  app.post(
    '/totp/enable',
    {
      schema: {
        body: Type.Object({ code: Type.String({ maxLength: 20 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ user: UserBody }), ...errorResponses },
      },
    },
    async (request) => ({
      user: userBody(await users.enableTotp(signedIn(request).user.id, request.body.code)),
    }),
  );

  app.post(
    '/totp/disable',
    {
      schema: {
        body: Type.Object({ password: Password }, { additionalProperties: false }),
        response: { 200: Type.Object({ user: UserBody }), ...errorResponses },
      },
    },
    async (request) => ({
      user: userBody(
        await users.disableTotp(signedIn(request).user.id, request.body.password, clientInfo(request)),
      ),
    }),
  );

  app.get(
    '/sign-ins',
    {
      config: { auth: 'operator' },
      schema: {
        querystring: Type.Object({
          user_id: Type.Optional(Type.Integer({ minimum: 1 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        }),
        response: {
          200: Type.Object({
            sign_ins: Type.Array(
              Type.Object({
                id: Type.Integer(),
                user_id: Type.Union([Type.Integer(), Type.Null()]),
                email: Type.String(),
                ip: Type.String(),
                at: Type.Integer(),
                outcome: Type.String(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const rows = await users.signIns({ userId: request.query.user_id, limit: request.query.limit });
      return {
        sign_ins: rows.map((r) => ({
          id: r.id,
          user_id: r.userId,
          email: r.email,
          ip: r.ip,
          at: r.at,
          outcome: r.outcome,
        })),
      };
    },
  );

  app.post(
    '/reauth',
    {
      schema: {
        body: Type.Object({ password: Password }, { additionalProperties: false }),
        response: { 200: Type.Object({ reauth_until: Type.Integer() }), ...errorResponses },
      },
    },
    async (request) => ({
      reauth_until: await users.reauthenticate(signedIn(request), request.body.password, clientInfo(request)),
    }),
  );
}
