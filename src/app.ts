import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { cashierRoutes } from './cashier/cashier.routes.js';
import { consoleApi } from './console/console.routes.js';
import { consoleStatic } from './console/static.js';
import { isConnectionError } from './db/tx.js';
import { GatewayError } from './domain/errors.js';
import { registerAbuseLimits } from './http/abuse-limits.js';
import { errorEnvelope, langOf } from './http/envelope.js';
import { refuseDuplicateJsonKeys } from './http/json-body.js';
import { addSecurityHeaders, serverOptions } from './http/server-options.js';
import { monitorRoutes } from './monitor/monitor.routes.js';
import { vmqMerchantRoutes } from './protocols/vmq/vmq-merchant.routes.js';
import { gatepayRoutes } from './protocols/gatepay/gatepay.routes.js';
import { qrcodeRoutes } from './qrcode/qrcode.routes.js';
import type { Services } from './services.js';

export interface AppDeps {
  services: Services;
  logger?: FastifyServerOptions['logger'];
}

/** Largest request body accepted (a create request is a few hundred bytes). */
export const BODY_LIMIT = 64 * 1024;

/**
 * Builds the HTTP application over the given services. Never listens: `main.ts`, the CLI and the
 * tests call this and decide what to do with it.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { services } = deps;
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: BODY_LIMIT,
    ...serverOptions(services.config),
  });
  app.server.maxConnections = services.config.maxConnections;
  await app.register(formbody, { bodyLimit: BODY_LIMIT });
  refuseDuplicateJsonKeys(app);
  addSecurityHeaders(app, services.config);
  await registerAbuseLimits(app, services.config, services.clock);

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    if (isConnectionError(err)) {
      // The database is down or failing over: a condition to come back after, not a bug. One
      // line per request, without a stack; the pool logs the cause once per burst.
      request.log.warn({ reason: err.message }, 'database unavailable');
      const busy = new GatewayError(199, undefined, {
        zh: '数据库暂时不可用，请稍后重试',
        en: 'database unavailable, retry later',
      });
      const lang = langOf((request.query ?? {}) as Record<string, unknown>);
      return reply
        .code(503)
        .header('retry-after', '1')
        .send(errorEnvelope(busy, lang, services.clock()));
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) request.log.error({ err }, 'request failed');
    const now = services.clock();
    // The body may be what failed to parse: the language can only come from the query string.
    const lang = langOf((request.query ?? {}) as Record<string, unknown>);
    if (err instanceof GatewayError) return reply.code(200).send(errorEnvelope(err, lang, now));
    if (status < 500) {
      // Malformed requests (bad JSON, body too large, wrong media type) get the protocol's 105.
      return reply
        .code(status)
        .send(errorEnvelope(new GatewayError(105, err.message.slice(0, 200)), lang, now));
    }
    return reply.code(500).send(errorEnvelope(new GatewayError(199), lang, now));
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ code: 404, msg: 'not found', data: null }),
  );

  app.get('/healthz', async () => ({ ok: true }));
  gatepayRoutes(app, services);
  vmqMerchantRoutes(app, services);
  qrcodeRoutes(app, services.clock);
  cashierRoutes(app, services);
  monitorRoutes(app, services);
  await app.register(consoleApi, { prefix: '/admin/api', services });
  await consoleStatic(app); // the console SPA under /admin (after the admin API)
  return app;
}
