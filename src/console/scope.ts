import type { FastifyRequest } from 'fastify';
import { clientAddress } from '../http/abuse-limits.js';
import type { SessionService, SignedIn } from '../users/session.service.js';
import { authErrors } from '../users/user.errors.js';
import type { ClientInfo } from '../users/user.model.js';
import { consoleErrors, ConsoleError } from './console.errors.js';

/** Who is calling. Routes with `auth: 'user'` or `'operator'` always have it (the hook made sure). */
export function signedIn(request: FastifyRequest): SignedIn {
  if (!request.signedIn) throw consoleErrors.unauthenticated();
  return request.signedIn;
}

/**
 * The merchant a request may act on. A merchant user: always its own merchant; asking for any
 * other (`wanted`, usually `?merchant_id=`) is answered 404 like a merchant that does not exist,
 * so nothing about other merchants leaks. An operator: `wanted`, or null for "all merchants".
 */
export function scopedMerchantId(request: FastifyRequest, wanted?: number): number | null {
  const { user } = signedIn(request);
  if (user.role === 'operator') return wanted ?? null;
  if (wanted !== undefined && wanted !== user.merchantId) throw consoleErrors.notFound();
  return user.merchantId;
}

/** Like `scopedMerchantId`, for routes about exactly one merchant: an operator must name it. */
export function requireMerchantId(request: FastifyRequest, wanted?: number): number {
  const id = scopedMerchantId(request, wanted);
  if (id === null) {
    throw new ConsoleError(400, 'invalid_input', 'Choose a merchant first (merchant_id is required).');
  }
  return id;
}

/** Refuses (404) a resource of another merchant that was looked up by its own id (an order, an account). */
export function ensureInScope(request: FastifyRequest, merchantId: number): void {
  const { user } = signedIn(request);
  if (user.role !== 'operator' && user.merchantId !== merchantId) throw consoleErrors.notFound();
}

/** For routes that reveal a secret: the session must have re-authenticated in the last 5 minutes. */
export function requireFreshAuth(request: FastifyRequest, sessions: SessionService): void {
  if (!sessions.hasFreshAuth(signedIn(request).session)) throw authErrors.reauthRequired();
}

/** Where the request came from, as sessions and sign-in records keep it. */
export function clientInfo(request: FastifyRequest): ClientInfo {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, address: clientAddress(request), userAgent: typeof ua === 'string' ? ua : '' };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The console session the cookie names, when it is still good (set by the admin API's hook). */
    signedIn: SignedIn | null;
  }
  interface FastifyContextConfig {
    /** Who may call an admin API route: `user` (default: any signed-in user), `operator`, `public`. */
    auth?: 'operator' | 'user' | 'public';
  }
}
