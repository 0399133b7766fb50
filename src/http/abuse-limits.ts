import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { GatewayError } from '../domain/errors.js';
import type { Clock } from '../lib/clock.js';
import { errorEnvelope, langOf } from './envelope.js';
import { readParams, stringParam } from './params.js';

/**
 * The client address limits are kept by: `request.ip` (the socket's peer, or what a trusted proxy
 * reported; see TRUST_PROXY), an IPv6 address reduced to its /64, which one subscriber holds whole.
 */
export function clientAddress(request: FastifyRequest): string {
  return normalizeIP(request.ip);
}

/** A fixed-window counter over `@fastify/rate-limit`'s store (in memory, bounded, per instance). */
export interface Counter {
  /** Counts one event; the seconds left in the window when this one went over the limit, else null. */
  hit(request: FastifyRequest): Promise<number | null>;
  /** The seconds left in the window when the limit is already used up, else null. Counts nothing. */
  full(request: FastifyRequest): Promise<number | null>;
  /** How many events this window has counted so far. */
  count(request: FastifyRequest): Promise<number>;
}

function counter(
  app: FastifyInstance,
  max: number,
  timeWindow: number,
  keyOf: (request: FastifyRequest) => string,
): Counter {
  const limit = app.createRateLimit({ max, timeWindow, keyGenerator: keyOf });
  const seconds = (ttlSeconds: number) => Math.max(1, ttlSeconds);
  return {
    hit: async (request) => {
      const r = await limit(request);
      return !r.isAllowed && r.isExceeded ? seconds(r.ttlInSeconds) : null;
    },
    full: async (request) => {
      const r = await limit(request, { increment: false });
      return !r.isAllowed && r.remaining === 0 ? seconds(r.ttlInSeconds) : null;
    },
    count: async (request) => {
      const r = await limit(request, { increment: false });
      return r.isAllowed ? 0 : r.max - r.remaining;
    },
  };
}

export interface AbuseLimits {
  /** `POST /pay/any`: quick-collection orders per address. */
  payAnyCreate: Counter;
  /** `/pay/any` answered 403 (wrong pay token) per address. */
  payAnyBadToken: Counter;
}

/** Codes a merchant-API request is refused with when its appkey is unknown or its sign is wrong. */
const AUTH_FAILURES = new Set([102, 104]);

const LIMITED = {
  address: {
    zh: '本地址秘钥或签名错误次数过多',
    en: 'too many requests with an invalid appkey or sign from this address',
  },
  appkey: {
    zh: '该秘钥签名错误次数过多',
    en: 'too many requests with an invalid sign for this appkey',
  },
};

function isMerchantApi(request: FastifyRequest): boolean {
  return request.routeOptions.url?.startsWith('/api/') === true;
}

/**
 * Registers `@fastify/rate-limit` (no global limit: each limit below is explicit) and guards the
 * GatePay merchant API against guessing: refusals for an unknown appkey or a wrong sign (102,
 * 104) are counted per client address, and wrong signs per appkey too. An address past its limit
 * is answered HTTP 429 with the envelope (code 104, a message saying why, `Retry-After`) for the
 * rest of the window, whatever it sends. An appkey past its limit (many addresses guessing
 * together) does not lock its merchant out: it only refuses addresses that have failed at least
 * once in their window, so the merchant's own server, which signs correctly, is never blocked.
 * Call before the routes are added.
 */
export async function registerAbuseLimits(
  app: FastifyInstance,
  config: Config,
  clock: Clock,
): Promise<AbuseLimits> {
  await app.register(rateLimit, { global: false });
  const window = config.rateLimitWindowMs;
  const appkeyOf = (request: FastifyRequest) => stringParam(readParams(request), 'appkey') ?? '';

  const failuresByAddress = counter(app, config.badSignLimitPerAddress, window, clientAddress);
  const failuresByAppkey = counter(app, config.badSignLimitPerAppkey, window, (r) => `appkey:${appkeyOf(r)}`);

  const refuse = (
    request: FastifyRequest,
    reply: FastifyReply,
    why: keyof typeof LIMITED,
    retryAfter: number,
  ) => {
    const lang = langOf(readParams(request));
    const err = new GatewayError(
      104,
      lang === 'en' ? `retry in ${retryAfter} s` : `请 ${retryAfter} 秒后再试`,
      LIMITED[why],
    );
    return reply
      .code(429)
      .header('retry-after', String(retryAfter))
      .send(errorEnvelope(err, lang, clock()));
  };

  app.addHook('preHandler', async (request, reply) => {
    if (!isMerchantApi(request)) return;
    const byAddress = await failuresByAddress.full(request);
    if (byAddress !== null) return refuse(request, reply, 'address', byAddress);
    if (appkeyOf(request) === '') return;
    const byAppkey = await failuresByAppkey.full(request);
    if (byAppkey !== null && (await failuresByAddress.count(request)) > 0) {
      return refuse(request, reply, 'appkey', byAppkey);
    }
  });

  // Outcomes are read from the envelope the route answers, so no route has to remember to count.
  app.addHook('preSerialization', async (request, reply, payload: unknown) => {
    if (!isMerchantApi(request) || reply.statusCode === 429) return payload;
    const code = (payload as { code?: unknown } | null)?.code;
    if (typeof code === 'number' && AUTH_FAILURES.has(code)) {
      await failuresByAddress.hit(request);
      // 104 means the appkey exists; unknown ones are not kept (anyone can make up millions).
      if (code === 104) await failuresByAppkey.hit(request);
    }
    return payload;
  });

  const limits: AbuseLimits = {
    payAnyCreate: counter(app, config.payAnyCreateLimit, window, clientAddress),
    payAnyBadToken: counter(app, config.payAnyBadTokenLimit, window, clientAddress),
  };
  app.decorate('abuseLimits', limits);
  return limits;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The per-address limits that routes apply themselves (see `registerAbuseLimits`). */
    abuseLimits: AbuseLimits;
  }
}
