import { isIP } from 'node:net';

/**
 * The one place that reads the environment. Everything else receives a `Config`.
 * The CLI and the server read the same variables, so `shouyin merchant add` and a running
 * server share one database.
 */
export interface Config {
  port: number;
  host: string;
  /** Base of every URL the gateway hands out, without a trailing slash. */
  publicUrl: string;
  /** False when PUBLIC_URL was not set: the server then uses the address it actually listens on. */
  publicUrlExplicit: boolean;
  databaseUrl: string;
  /**
   * SQLite `synchronous` (SQLITE_SYNC): `full`, an answered request survives a power cut;
   * `normal` trades that for fewer fsyncs (a power cut may take back the last commits).
   */
  sqliteSync: 'full' | 'normal';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Allow notifications to loopback / private / link-local targets (tests, LAN installs). */
  allowPrivateCallbacks: boolean;
  /** Seconds an expired order's slot stays held for a late payment. */
  graceSeconds: number;
  /** Quick collection page orders: lifetime cap, grace cap (seconds), open orders per buyer address. */
  quickOrderTtlSeconds: number;
  quickOrderGraceSeconds: number;
  quickOrdersPerAddress: number;
  /** Seconds without a heartbeat after which a monitor counts as offline. */
  monitorOfflineAfter: number;
  /** How often the expirer sweeps, in ms. */
  expireIntervalMs: number;
  /** Cashier live-status streams (`/pay/events`) open at once for one order, and in all. */
  cashierStreamsPerOrder: number;
  cashierStreamsMax: number;
  /** How often a live stream sends a keep-alive comment; a reader stalled this long is dropped. */
  cashierStreamHeartbeatMs: number;
  /** Retry delays of the push network, in seconds. */
  notifyRetrySchedule: number[];
  notifyConcurrency: number;
  notifyPerHostConcurrency: number;
  notifyConnectTimeoutMs: number;
  notifyTotalTimeoutMs: number;
  /**
   * Proxies whose `X-Forwarded-For` is believed (addresses, CIDRs, or proxy-addr's `loopback`,
   * `linklocal`, `uniquelocal`); empty: none, the client is the socket's peer.
   */
  trustProxy: string[];
  /** Abuse limits per client address (IPv6 by its /64) within one window of `rateLimitWindowMs`. */
  rateLimitWindowMs: number;
  /** Orders created through the unsigned quick collection page (`POST /pay/any`). */
  payAnyCreateLimit: number;
  /** Wrong pay tokens on `/pay/any` (403 answers); past it the address gets 429 for the window. */
  payAnyBadTokenLimit: number;
  /** Merchant API requests refused for an unknown appkey or a wrong sign (102, 104). */
  badSignLimitPerAddress: number;
  /** Wrong signs for one appkey from all addresses together (see `src/http/abuse-limits.ts`). */
  badSignLimitPerAppkey: number;
  /** Failed console sign-ins from one address within 15 minutes after which it is refused (429). */
  signInFailuresPerAddress: number;
  /** Time to receive a whole request (headers and body); `headersTimeoutMs` for the headers alone. */
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  /** Idle time a kept-alive connection waits for its next request. */
  keepAliveTimeoutMs: number;
  /** Socket inactivity (nothing read or written) after which a connection is dropped. */
  connectionTimeoutMs: number;
  /** Open connections at most; further ones are closed on accept. */
  maxConnections: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const DEFAULT_RETRY_SCHEDULE = [
  2, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 54000, 86400, 86400,
];

function int(env: Record<string, string | undefined>, name: string, def: number, min: number, max: number) {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Record<string, string | undefined>, name: string): boolean {
  const raw = (env[name] ?? '').toLowerCase();
  if (raw === '' || raw === '0' || raw === 'false' || raw === 'no') return false;
  if (raw === '1' || raw === 'true' || raw === 'yes') return true;
  throw new ConfigError(`${name} must be 1 or 0, got "${env[name]}"`);
}

function schedule(raw: string | undefined): number[] {
  if (raw === undefined || raw === '') return DEFAULT_RETRY_SCHEDULE;
  const parts = raw.split(',').map((s) => s.trim());
  const out = parts.map(Number);
  if (parts.some((p) => !/^[0-9]+(\.[0-9]+)?$/.test(p)) || out.some((n) => !Number.isFinite(n))) {
    throw new ConfigError(`NOTIFY_RETRY_SCHEDULE must be comma-separated seconds, got "${raw}"`);
  }
  return out;
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * TRUST_PROXY: off unless it lists the proxies in front of the gateway. "Trust everyone" is refused:
 * any client could then choose its own address and step around the per-address limits.
 */
function trustProxy(raw: string | undefined): string[] {
  const text = (raw ?? '').trim();
  if (['', '0', 'off', 'false', 'no', 'none'].includes(text.toLowerCase())) return [];
  const entries = text.split(',').map((s) => s.trim());
  for (const e of entries) {
    if (PROXY_NAMES.includes(e)) continue;
    const [addr = '', prefix, ...rest] = e.split('/');
    const family = isIP(addr);
    const bits = family === 4 ? 32 : 128;
    const okPrefix = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !okPrefix || rest.length > 0) {
      throw new ConfigError(
        `TRUST_PROXY must be off or a comma list of proxy addresses or CIDRs (e.g. 127.0.0.1,10.0.0.0/8), got "${e}"`,
      );
    }
  }
  return entries;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const port = int(env, 'PORT', 8080, 0, 65535);
  const host = env.HOST || '0.0.0.0';
  const publicUrl = (env.PUBLIC_URL || `http://127.0.0.1:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+(\/[^\s]*)?$/.test(publicUrl)) {
    throw new ConfigError(`PUBLIC_URL must be an http(s) URL, got "${publicUrl}"`);
  }
  const databaseUrl = env.DATABASE_URL || 'sqlite:./data/shouyin.db';
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be sqlite:<path> or postgres://…');
  }
  const sqliteSync = (env.SQLITE_SYNC || 'full').toLowerCase();
  if (sqliteSync !== 'full' && sqliteSync !== 'normal') {
    throw new ConfigError(`SQLITE_SYNC must be full or normal, got "${env.SQLITE_SYNC}"`);
  }
  const requestTimeoutMs = int(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 600_000);
  // Node refuses a headers timeout above the request timeout.
  const headersTimeoutMs = int(
    env,
    'HEADERS_TIMEOUT_MS',
    Math.min(10_000, requestTimeoutMs),
    100,
    requestTimeoutMs,
  );
  const logLevel = (env.LOG_LEVEL || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return {
    port,
    host,
    publicUrl,
    publicUrlExplicit: Boolean(env.PUBLIC_URL),
    databaseUrl,
    sqliteSync,
    logLevel,
    allowPrivateCallbacks: bool(env, 'ALLOW_PRIVATE_CALLBACKS'),
    graceSeconds: int(env, 'GRACE_SECONDS', 600, 0, 86400),
    quickOrderTtlSeconds: int(env, 'QUICK_ORDER_TTL', 180, 30, 86400),
    quickOrderGraceSeconds: int(env, 'QUICK_ORDER_GRACE', 120, 0, 86400),
    quickOrdersPerAddress: int(env, 'QUICK_ORDERS_PER_ADDRESS', 3, 1, 1000),
    monitorOfflineAfter: int(env, 'MONITOR_OFFLINE_AFTER', 90, 5, 86400),
    expireIntervalMs: int(env, 'EXPIRE_INTERVAL_MS', 1000, 10, 600_000),
    cashierStreamsPerOrder: int(env, 'CASHIER_STREAMS_PER_ORDER', 5, 1, 1000),
    cashierStreamsMax: int(env, 'CASHIER_STREAMS_MAX', 2000, 1, 1_000_000),
    // At most 15 s: proxies and phones drop a stream that stays silent much longer.
    cashierStreamHeartbeatMs: int(env, 'CASHIER_STREAM_HEARTBEAT_MS', 15_000, 50, 15_000),
    notifyRetrySchedule: schedule(env.NOTIFY_RETRY_SCHEDULE),
    notifyConcurrency: int(env, 'NOTIFY_CONCURRENCY', 256, 1, 10_000),
    notifyPerHostConcurrency: int(env, 'NOTIFY_PER_HOST_CONCURRENCY', 16, 1, 1000),
    notifyConnectTimeoutMs: int(env, 'NOTIFY_CONNECT_TIMEOUT_MS', 3000, 10, 60_000),
    notifyTotalTimeoutMs: int(env, 'NOTIFY_TOTAL_TIMEOUT_MS', 10_000, 10, 120_000),
    trustProxy: trustProxy(env.TRUST_PROXY),
    rateLimitWindowMs: int(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 100, 86_400_000),
    payAnyCreateLimit: int(env, 'PAY_ANY_CREATE_LIMIT', 10, 1, 1_000_000),
    payAnyBadTokenLimit: int(env, 'PAY_ANY_BAD_TOKEN_LIMIT', 10, 1, 1_000_000),
    badSignLimitPerAddress: int(env, 'BAD_SIGN_LIMIT_PER_ADDRESS', 20, 1, 1_000_000),
    badSignLimitPerAppkey: int(env, 'BAD_SIGN_LIMIT_PER_APPKEY', 100, 1, 1_000_000),
    signInFailuresPerAddress: int(env, 'SIGN_IN_FAILURES_PER_ADDRESS', 20, 1, 1_000_000),
    requestTimeoutMs,
    headersTimeoutMs,
    keepAliveTimeoutMs: int(env, 'KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 600_000),
    // At least 20 s: the cashier's live stream writes a heartbeat every 15 s and must not be cut.
    connectionTimeoutMs: int(env, 'CONNECTION_TIMEOUT_MS', 60_000, 20_000, 3_600_000),
    maxConnections: int(env, 'MAX_CONNECTIONS', 10_000, 1, 1_000_000),
  };
}
