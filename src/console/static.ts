import fastifyStatic, { type SetHeadersResponse } from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where `npm run build` puts the console SPA (web/console/vite.config.ts). Not `dist/console/`:
 * that folder holds the server's own compiled `src/console/*.js`, which must never be served.
 * The same relative path works from src/console (tsx, tests) and dist/console (built server).
 */
export const CONSOLE_DIR = fileURLToPath(new URL('../../dist/web/console/', import.meta.url));

export const NOT_BUILT = 'console not built: run npm run build\n';

/** Vite names every file under assets/ by its content hash: it never changes at that address. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

function setCacheHeaders(res: SetHeadersResponse, path: string, root: string) {
  const inAssets = relative(root, path).split(sep)[0] === 'assets';
  res.setHeader('cache-control', inAssets ? IMMUTABLE : 'no-cache');
  // The same address answers brotli, gzip or plain bytes (precompressed files).
  res.setHeader('vary', 'accept-encoding');
}

function isAdminApi(path: string): boolean {
  return path === '/admin/api' || path.startsWith('/admin/api/');
}

/**
 * Serves the console under `/admin`: files from the build, and for any other `/admin/*` GET
 * (a client-side route such as `/admin/orders`) the SPA's index.html. `/admin/api/*` is never
 * the SPA: what the admin API does not answer is a JSON 404. Until the console is built,
 * pages answer 503 with what to run. Register after the admin API so its routes stay its own.
 */
export async function consoleStatic(app: FastifyInstance, opts: { root?: string } = {}): Promise<void> {
  const root = opts.root ?? CONSOLE_DIR;
  const built = () => existsSync(join(root, 'index.html'));
  if (!built()) app.log.warn(NOT_BUILT.trim());

  await app.register(
    async (scope) => {
      await scope.register(fastifyStatic, {
        root,
        prefix: '/',
        // Looked up per request, so a build made while the server runs is served at once.
        wildcard: true,
        preCompressed: true,
        cacheControl: false,
        dotfiles: 'ignore',
        setHeaders: (res, path) => setCacheHeaders(res, path, root),
      });

      scope.setNotFoundHandler((request, reply) => {
        const path = request.url.split('?')[0] ?? '';
        if (isAdminApi(path) || (request.method !== 'GET' && request.method !== 'HEAD')) {
          return reply.code(404).send({ error: 'not_found', message: 'There is no such page or endpoint.' });
        }
        if (!built()) {
          return reply
            .code(503)
            .type('text/plain; charset=utf-8')
            .header('cache-control', 'no-store')
            .send(NOT_BUILT);
        }
        // A missing hashed file is a real 404: served as HTML it would fail as a script, obscurely.
        if (path.startsWith('/admin/assets/')) {
          return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
        }
        return reply.sendFile('index.html');
      });
    },
    { prefix: '/admin' },
  );
}
