import type { FastifyReply } from 'fastify';
import type { Config } from '../config.js';
import { SESSION_MAX_AGE_MS } from '../users/session.service.js';

export const SESSION_COOKIE = 'shouyin_session';

/**
 * The session cookie: script cannot read it (HttpOnly), other sites' posts do not carry it
 * (SameSite=Lax), it only travels over TLS when the gateway is published over https (Secure),
 * and only to the console's paths.
 */
function options(config: Config) {
  return {
    path: '/admin',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: config.publicUrl.startsWith('https://'),
  };
}

export function setSessionCookie(reply: FastifyReply, config: Config, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, { ...options(config), maxAge: SESSION_MAX_AGE_MS / 1000 });
}

export function clearSessionCookie(reply: FastifyReply, config: Config): void {
  reply.clearCookie(SESSION_COOKIE, options(config));
}
