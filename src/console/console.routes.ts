import cookie from '@fastify/cookie';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Services } from '../services.js';
import { accountsRoutes } from './accounts.routes.js';
import { auditRoutes } from './audit.routes.js';
import { authRoutes } from './auth.routes.js';
import { consoleErrors, toConsoleError } from './console.errors.js';
import { dashboardRoutes } from './dashboard.routes.js';
import { merchantSummaryRoutes } from './merchant-summary.routes.js';
import { merchantsRoutes } from './merchants.routes.js';
import { notificationsRoutes } from './notifications.routes.js';
import { ordersRoutes } from './orders.routes.js';
import { paymentsRoutes } from './payments.routes.js';
import { settingsRoutes } from './settings.routes.js';
import { checklistRoutes } from './checklist.routes.js';
import { productsRoutes } from './products.routes.js';
import { SESSION_COOKIE } from './session-cookie.js';
import { systemRoutes } from './system.routes.js';
import { testPaymentRoutes } from './test-payment.routes.js';
import { usersRoutes } from './users.routes.js';

/** The admin API instance route modules add their routes to: TypeBox schemas type the handlers. */
export type ConsoleApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** A page group's routes (`orders.routes.ts`, …): paths relative to `/admin/api`. */
export type ConsoleRoutes = (app: ConsoleApp, services: Services) => void;

/** Every route module of the admin API. Page groups add theirs here. */
const ROUTE_MODULES: ConsoleRoutes[] = [
  authRoutes,
  merchantSummaryRoutes,
  accountsRoutes,
  productsRoutes,
  testPaymentRoutes,
  settingsRoutes,
  checklistRoutes,
  ordersRoutes,
  notificationsRoutes,
  paymentsRoutes,
  dashboardRoutes,
  merchantsRoutes,
  usersRoutes,
  auditRoutes,
  systemRoutes,
];

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The JSON admin API under `/admin/api` (register with that prefix). An encapsulated plugin: its
 * cookie parsing, JSON-only bodies, hooks and error handler apply to its routes alone.
 *
 * On every request the session cookie is looked up; each route's `config.auth` (default `user`)
 * then decides: `public` lets anyone in, `user` needs a session (else 401), `operator` an
 * operator's (else 403). State-changing methods on non-public routes also need `x-csrf-token`
 * (else 403): SameSite=Lax keeps the cookie off cross-site posts, and the token keeps it off
 * anything a page on another origin can make a browser send.
 */
export async function consoleApi(parent: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts;
  const sessions = services.users.sessions;
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(cookie);
  // JSON only: an HTML form on another site can post urlencoded or text bodies without a
  // preflight, and a sign-in (which needs no CSRF token) must not be forgeable that way.
  app.removeContentTypeParser(['application/x-www-form-urlencoded', 'text/plain']);
  app.decorateRequest('signedIn', null);

  app.addHook('onRequest', async (request, reply) => {
    // Answers carry sessions, CSRF tokens and secrets: never kept by a browser or proxy cache.
    reply.header('cache-control', 'no-store');
    const token = request.cookies[SESSION_COOKIE];
    request.signedIn = token ? await sessions.authenticate(token) : null;
    if (request.is404) return;
    const auth = request.routeOptions.config.auth ?? 'user';
    if (auth === 'public') return;
    if (!request.signedIn) throw consoleErrors.unauthenticated();
    if (auth === 'operator' && request.signedIn.user.role !== 'operator') throw consoleErrors.forbidden();
    if (!SAFE_METHODS.has(request.method)) {
      const presented = request.headers['x-csrf-token'];
      const ok = sessions.checkCsrf(
        request.signedIn.session,
        typeof presented === 'string' ? presented : undefined,
      );
      if (!ok) throw consoleErrors.csrf();
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const e = toConsoleError(err);
    if (e.status >= 500) request.log.error({ err }, 'admin API request failed');
    if (e.retryAfterSeconds !== undefined) reply.header('retry-after', String(e.retryAfterSeconds));
    return reply.code(e.status).send({ error: e.code, message: e.message });
  });
  app.setNotFoundHandler((_request, reply) => {
    const e = consoleErrors.notFound();
    return reply.code(404).send({ error: e.code, message: 'There is no such admin API endpoint.' });
  });

  for (const routes of ROUTE_MODULES) routes(app, services);
}
