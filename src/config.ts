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
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Allow notifications to loopback / private / link-local targets (tests, LAN installs). */
  allowPrivateCallbacks: boolean;
  /** Seconds an expired order's slot stays held for a late payment. */
  graceSeconds: number;
  /** Seconds without a heartbeat after which a monitor counts as offline. */
  monitorOfflineAfter: number;
  /** How often the expirer sweeps, in ms. */
  expireIntervalMs: number;
  /** Retry delays of the push network, in seconds. */
  notifyRetrySchedule: number[];
  notifyConcurrency: number;
  notifyPerHostConcurrency: number;
  notifyConnectTimeoutMs: number;
  notifyTotalTimeoutMs: number;
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
  const logLevel = (env.LOG_LEVEL || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return {
    port,
    host,
    publicUrl,
    publicUrlExplicit: Boolean(env.PUBLIC_URL),
    databaseUrl,
    logLevel,
    allowPrivateCallbacks: bool(env, 'ALLOW_PRIVATE_CALLBACKS'),
    graceSeconds: int(env, 'GRACE_SECONDS', 600, 0, 86400),
    monitorOfflineAfter: int(env, 'MONITOR_OFFLINE_AFTER', 90, 5, 86400),
    expireIntervalMs: int(env, 'EXPIRE_INTERVAL_MS', 1000, 10, 600_000),
    notifyRetrySchedule: schedule(env.NOTIFY_RETRY_SCHEDULE),
    notifyConcurrency: int(env, 'NOTIFY_CONCURRENCY', 256, 1, 10_000),
    notifyPerHostConcurrency: int(env, 'NOTIFY_PER_HOST_CONCURRENCY', 16, 1, 1000),
    notifyConnectTimeoutMs: int(env, 'NOTIFY_CONNECT_TIMEOUT_MS', 3000, 10, 60_000),
    notifyTotalTimeoutMs: int(env, 'NOTIFY_TOTAL_TIMEOUT_MS', 10_000, 10, 120_000),
  };
}
