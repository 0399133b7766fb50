import type { FastifyInstance } from 'fastify';
import { visit } from 'jsonc-parser';

/**
 * The first key that appears twice within one object of a JSON text, or null. `JSON.parse` keeps
 * the last of them silently, while another parser (a proxy, the merchant's own logs) may keep the
 * first: two readings of one signed request. Call it only on text `JSON.parse` accepted.
 */
export function duplicateJsonKey(text: string): string | null {
  const open: Array<Set<string>> = [];
  let found: string | null = null;
  visit(text, {
    onObjectBegin: () => {
      open.push(new Set());
    },
    onObjectProperty: (key) => {
      const keys = open[open.length - 1];
      if (found !== null || keys === undefined) return;
      if (keys.has(key)) found = key;
      else keys.add(key);
    },
    onObjectEnd: () => {
      open.pop();
    },
  });
  return found;
}

/**
 * Replaces the app's `application/json` parser with Fastify's own (same limits, same refusal of
 * `__proto__` / `constructor.prototype`) followed by a duplicate-key check. A refused body is a
 * 400, which the app's error handler answers with the protocol's 105 like any unreadable body.
 */
export function refuseDuplicateJsonKeys(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parse(request, body as string, (err, value) => {
      if (err) return done(err, undefined);
      const key = duplicateJsonKey(body as string);
      if (key === null) return done(null, value);
      const refused = new Error(`duplicate key "${key.slice(0, 64)}" in the JSON body`);
      done(Object.assign(refused, { statusCode: 400 }), undefined);
    });
  });
}
