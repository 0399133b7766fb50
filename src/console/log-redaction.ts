import type { FastifyRequest } from 'fastify';

/**
 * The request line as logged, with the value of `token=` in console URLs blanked: the setup
 * page (`/admin/setup?token=…`) and its API check carry the one-time setup secret in the query,
 * and the log line that prints the link must stay the only one that shows it.
 */
export function redactConsoleUrl(url: string): string {
  if (!url.startsWith('/admin')) return url;
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
}

/** Fastify's own request serializer, but with `redactConsoleUrl` applied to the URL. */
export function requestForLog(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactConsoleUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
