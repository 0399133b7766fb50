import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pendingMigrations } from '../db/migrate.js';
import type { Services } from '../services.js';
import { monitorCounts, systemCounts } from './system.repository.js';

/** The version in package.json, read once (the file sits two levels up from src/console and dist/console). */
const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
})();
const STARTED_AT = Date.now();

/**
 * Where the database is, for the operator's eyes: the SQLite file's path, or PostgreSQL's host,
 * port and database name. Never the user name, a password (in the URL or its query string), or
 * any other connection option.
 */
export function databaseLocation(url: string): { dialect: 'sqlite' | 'postgres'; location: string } {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    return { dialect: 'sqlite', location: path === ':memory:' ? 'in memory' : resolve(path) };
  }
  // postgres://user:password@host:port/database?options: only the host, port and database.
  const m = /^postgres(?:ql)?:\/\/(?:[^@/?]*@)?([^/?]*)(?:\/([^?]*))?(?:\?(.*))?$/.exec(url);
  if (!m) return { dialect: 'postgres', location: '(DATABASE_URL cannot be read)' };
  const hostPort = m[1] ?? '';
  const params = new URLSearchParams(m[3] ?? '');
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort);
  const [host, port] = bracket ? [`[${bracket[1]}]`, bracket[2]] : (hostPort.split(':') as [string, string?]);
  let database = m[2] ?? '';
  try {
    database = decodeURIComponent(database);
  } catch {
    // kept as written
  }
  return {
    dialect: 'postgres',
    location: `${host || params.get('host') || 'localhost'}:${port || params.get('port') || '5432'}/${database || '(default database)'}`,
  };
}

export interface SystemStatus {
  version: string;
  node: string;
  startedAt: number;
  now: number;
  database: { dialect: 'sqlite' | 'postgres'; location: string; pendingMigrations: string[] };
  openOrders: number;
  notifications: {
    /** Waiting to be delivered (new or retrying): the push network's queue. */
    queue: number;
    /** Of those, due now. */
    due: number;
    failed: number;
    oldestPendingCreatedAt: number | null;
    oldestPendingAgeMs: number | null;
  };
  monitors: { online: number; total: number };
  unmatchedPayments: number;
  merchants: number;
  users: number;
}

/** The operator's system page: what runs, on which database, and how the queues look now. */
export async function systemStatus(s: Services): Promise<SystemStatus> {
  const now = s.clock();
  const [counts, monitors, pending] = await Promise.all([
    systemCounts(s.db.kysely, now),
    monitorCounts(s.db.kysely, now - s.config.monitorOfflineAfter * 1000),
    pendingMigrations(s.db),
  ]);
  return {
    version: VERSION,
    node: process.version,
    startedAt: STARTED_AT,
    now,
    database: { ...databaseLocation(s.config.databaseUrl), pendingMigrations: pending },
    openOrders: counts.openOrders,
    notifications: {
      queue: counts.pendingNotifications,
      due: counts.dueNotifications,
      failed: counts.failedNotifications,
      oldestPendingCreatedAt: counts.oldestPendingCreatedAt,
      oldestPendingAgeMs:
        counts.oldestPendingCreatedAt === null ? null : Math.max(0, now - counts.oldestPendingCreatedAt),
    },
    monitors,
    unmatchedPayments: counts.unmatchedPayments,
    merchants: counts.merchants,
    users: counts.users,
  };
}
