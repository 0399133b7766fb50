import { setTimeout as sleep } from 'node:timers/promises';
import type { DeleteResult, Transaction, UpdateResult } from 'kysely';
import type { Db } from './connect.js';
import type { Database } from './schema.js';

/** A write transaction: on SQLite it holds the write lock from BEGIN (IMMEDIATE), on PostgreSQL row locks. */
export type Tx = Transaction<Database>;

/**
 * A guarded write (`UPDATE … WHERE status = …`) changed no row although what the transaction read
 * under its locks said it would. Thrown so the whole transaction rolls back instead of committing
 * half a state change.
 */
export class LostUpdateError extends Error {
  override name = 'LostUpdateError';
}

/** The database could not be reached, or dropped the connection mid-transaction. HTTP 503. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  readonly statusCode = 503;
  /**
   * How far the failed statement got: `connect`, no connection could be opened (the server is
   * down or unreachable); `unsent`, the connection was known dead and nothing was sent; `sent`,
   * it died after the statement went out, which may have run (a COMMIT may have committed).
   */
  readonly stage: 'connect' | 'unsent' | 'sent';
  constructor(message: string, opts: { cause?: unknown; stage?: DatabaseUnavailableError['stage'] } = {}) {
    super(message, { cause: opts.cause });
    this.stage = opts.stage ?? 'sent';
  }
}

/** Throws `LostUpdateError` unless the guarded statement touched exactly one row. */
export function expectOneRow(res: UpdateResult | DeleteResult | { numAffectedRows?: bigint }, what: string) {
  const n =
    'numUpdatedRows' in res
      ? res.numUpdatedRows
      : 'numDeletedRows' in res
        ? res.numDeletedRows
        : (res.numAffectedRows ?? 0n);
  if (Number(n) !== 1) throw new LostUpdateError(`${what}: expected one row, changed ${n}`);
}

/** PostgreSQL SQLSTATEs after which the whole transaction may simply run again. */
const RETRY_SQLSTATES = new Set(['40001', '40P01']);
/** Errors that mean the connection (not the statement) failed. */
const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P01', // admin_shutdown (pg_terminate_backend, restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '57P05', // idle_session_timeout
  '53300', // too_many_connections: no connection slot left on the server
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);

/**
 * True when the connection (not the statement) failed, whatever layer noticed: a socket error,
 * a server that ended the session, pg's own "terminated" and timeout errors, or our typed one.
 */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  const message = (err as { message?: unknown }).message;
  return (
    typeof message === 'string' &&
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|terminating connection/i.test(
      message,
    )
  );
}

function isRetryable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && RETRY_SQLSTATES.has(code);
}

/** Transactions run again in this process, by cause (SQLSTATE or error code): `40P01` counts deadlocks. */
export const transactionRetries = new Map<string, number>();

/**
 * Runs `fn` in one write transaction and commits. Every service opens its transactions here.
 *
 * - SQLite: the transaction begins IMMEDIATE (see `connect.ts`), so a read that decides a write
 *   can never be upgraded into `SQLITE_BUSY` by another process's commit; `busy_timeout` waits.
 * - PostgreSQL: callers lock what they read to decide (`forUpdate()`, a no-op on SQLite).
 *   A serialization failure or deadlock runs the whole transaction again. A connection lost
 *   before COMMIT was sent is retried too (nothing was committed); a connection lost after
 *   COMMIT was sent leaves the outcome unknown, so it is never retried: `DatabaseUnavailableError`.
 *   A server that cannot be reached at all is not retried either: that would only delay the 503.
 *
 * `fn` may run more than once: it must not have effects outside the transaction.
 */
export async function transact<T>(db: Db, fn: (trx: Tx) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let bodyDone = false;
    try {
      return await db.kysely.transaction().execute(async (trx) => {
        const out = await fn(trx);
        bodyDone = true;
        return out;
      });
    } catch (err) {
      const connection = isConnectionError(err);
      const stage = err instanceof DatabaseUnavailableError ? err.stage : 'sent';
      // Once `fn` is done the failure is COMMIT's (see `GuardedClient` in connect.ts): only a
      // COMMIT that never left this process is known not to have committed.
      const commitUnknown = bodyDone && stage !== 'unsent';
      const again =
        attempt < attempts && (isRetryable(err) || (connection && stage !== 'connect' && !commitUnknown));
      if (again) {
        const code = String((err as { code?: unknown }).code ?? 'connection');
        transactionRetries.set(code, (transactionRetries.get(code) ?? 0) + 1);
        // A few ms apart, so the contender of a deadlock finishes, or the pool notices its other
        // dropped connections, before the next try.
        await sleep(attempt * 10 + Math.random() * 20);
        continue;
      }
      if (err instanceof DatabaseUnavailableError) throw err;
      if (connection) throw new DatabaseUnavailableError('the database is unavailable', { cause: err });
      throw err;
    }
  }
}
