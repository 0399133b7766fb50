import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';

/**
 * Fastify and Node server options from the configuration: whom to believe about the client's
 * address, and how long a client may take. Node's `requestTimeout` covers receiving the request
 * (headers and body), not sending the answer, so the cashier's live stream outlives it; a body
 * trickled in byte by byte does not. Node checks these timeouts every
 * `connectionsCheckingInterval` (30 s by default, which would let a 30 s timeout run to 60 s).
 */
export function serverOptions(config: Config) {
  return {
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.connectionTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: config.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.ceil(config.headersTimeoutMs / 4)),
    },
  };
}

/**
 * Headers on every answer, set on the raw response so that hijacked ones (the cashier's event
 * stream) carry them too: `nosniff`, so no JSON or event stream is ever run as a script or page,
 * and HSTS when the public URL is https (then a TLS proxy is in front; browsers ignore it on http).
 */
export function addSecurityHeaders(app: FastifyInstance, config: Config): void {
  app.addHook('onRequest', async (_request, reply) => {
    reply.raw.setHeader('x-content-type-options', 'nosniff');
    if (config.publicUrl.startsWith('https://')) {
      reply.raw.setHeader('strict-transport-security', 'max-age=31536000');
    }
  });
}
