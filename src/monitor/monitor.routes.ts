import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { vmqMonitorRoutes } from '../protocols/vmq/vmq-monitor.routes.js';
import { isConnectionError } from '../db/tx.js';
import type { Services } from '../services.js';
import { MAX_BATCH, MAX_BODY_BYTES } from './monitor-items.js';
import { MonitorError } from './monitor.errors.js';
import { MonitorService } from './monitor.service.js';

/** Fastify's own error codes that mean "the client sent something we cannot take". */
function monitorErrorOf(err: Error & { code?: string; statusCode?: number }): MonitorError {
  if (err instanceof MonitorError) return err;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413)
    return new MonitorError('too_large');
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new MonitorError('malformed');
  }
  if (isConnectionError(err)) return new MonitorError('unavailable');
  return new MonitorError('internal');
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new MonitorError('malformed', 'the body is not valid JSON');
  }
}

/**
 * The Shouyin monitor API, `/monitor/v1/…` (docs/monitor-api.md). An encapsulated plugin: it
 * takes every body as raw bytes whatever its Content-Type (the HMAC covers them exactly as sent;
 * JSON is parsed only after the signature checks out) and answers its own JSON errors, while the
 * rest of the app keeps its parsers and error handler.
 */
async function monitorApi(api: FastifyInstance, services: Services) {
  const monitor = new MonitorService(services, api.log);
  api.removeAllContentTypeParsers();
  api.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) =>
    done(null, body),
  );
  api.setErrorHandler((err: Error & { code?: string; statusCode?: number }, request, reply) => {
    const e = monitorErrorOf(err);
    if (e.code === 'unavailable') request.log.warn(`monitor request failed: ${err.message}`);
    else if (e.status >= 500) request.log.error({ err }, 'monitor request failed');
    return reply.code(e.status).send(e.body());
  });
  api.setNotFoundHandler((_request, reply) => {
    const e = new MonitorError('not_found');
    return reply.code(e.status).send(e.body());
  });

  const authenticate = async (request: FastifyRequest) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    return { account: await monitor.authenticate(request.headers, raw), raw };
  };

  api.post(
    '/heartbeat',
    { bodyLimit: MAX_BODY_BYTES },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const { account, raw } = await authenticate(request);
      parseJson(raw); // any JSON (or nothing) is fine; not-JSON is a client bug worth telling
      return reply.send(await monitor.heartbeat(account));
    },
  );

  api.post(
    '/payments',
    { bodyLimit: MAX_BODY_BYTES },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const { account, raw } = await authenticate(request);
      const body = parseJson(raw);
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw new MonitorError('malformed', 'the body must be an object: {"payments": [...]}');
      }
      const items = (body as { payments?: unknown }).payments;
      if (!Array.isArray(items)) throw new MonitorError('malformed', '"payments" must be an array');
      if (items.length > MAX_BATCH) {
        throw new MonitorError(
          'too_large',
          `at most ${MAX_BATCH} payments per request; send the rest in another`,
        );
      }
      const results = await monitor.payments(account, items);
      return reply.send({ account_id: account.id, results });
    },
  );
}

/**
 * Monitor surfaces: the Shouyin monitor API and the V免签 app protocol. Called once by
 * `buildApp`; registration is queued and completes when the app becomes ready.
 */
export function monitorRoutes(app: FastifyInstance, services: Services): void {
  void app.register(async (api) => monitorApi(api, services), { prefix: '/monitor/v1' });
  vmqMonitorRoutes(app, services);
}
