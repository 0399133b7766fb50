import type { FastifyRequest } from 'fastify';
import { ConsoleError } from './console.errors.js';
import { signedIn } from './scope.js';

/**
 * `onRequest` hook of the operator pages' routes (merchants, users, audit log, system): a
 * merchant user gets exactly what an address that does not exist answers (`static.ts`'s
 * not-found handler, which takes unknown `/admin/api/…` paths), so these pages do not even show
 * they are there. Runs after the admin API's own hook (session, CSRF).
 */
export async function operatorOnly(request: FastifyRequest): Promise<void> {
  if (signedIn(request).user.role !== 'operator') {
    throw new ConsoleError(404, 'not_found', 'There is no such page or endpoint.');
  }
}
