import type { FastifyRequest } from 'fastify';

/** Raw request parameters: each value a string, or a marker that it was not one. */
export type RawParams = Record<string, string | { invalid: string }>;

/**
 * Collects a request's parameters from the query string (GET) or the query string and the form /
 * JSON body (POST). A repeated key, one given in both the query string and the body (which one
 * was signed?), an object or an array is kept as invalid so the protocol can refuse it with its
 * own code. JSON numbers are read as JavaScript prints them. (Duplicate keys inside a JSON body
 * are refused by the JSON parser, see `json-body.ts`.)
 */
export function readParams(request: FastifyRequest): RawParams {
  const out: RawParams = {};
  const put = (source: unknown, fromBody: boolean) => {
    if (source === null || typeof source !== 'object' || Array.isArray(source)) return;
    for (const [k, v] of Object.entries(source as Record<string, unknown>)) {
      if (fromBody && Object.hasOwn(out, k))
        out[k] = { invalid: 'given in both the query string and the body' };
      else if (typeof v === 'string') out[k] = v;
      else if (typeof v === 'number' && Number.isFinite(v)) out[k] = String(v);
      else out[k] = { invalid: Array.isArray(v) ? 'given more than once' : 'must be a string' };
    }
  };
  put(request.query, false);
  if (request.method === 'POST') put(request.body, true);
  return out;
}

export function stringParam(params: RawParams, name: string): string | undefined {
  const v = params[name];
  return typeof v === 'string' ? v : undefined;
}
