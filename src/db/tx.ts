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
  '57P01', // admin_shutdown (pg_terminate_backend, restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);

export function isConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  const message = (err as { message?: unknown }).message;
  return (
    typeof message === 'string' &&
    /Connection terminated|connection timeout|Client has encountered a connection error|terminating connection/i.test(
      message,
    )
  );
}

function isRetryable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && RETRY_SQLSTATES.has(code);
}

/**
 * Runs `fn` in one write transaction and commits. Every service opens its transactions here.
 *
 * - SQLite: the transaction begins IMMEDIATE (see `connect.ts`), so a read that decides a write
 *   can never be upgraded into `SQLITE_BUSY` by another process's commit; `busy_timeout` waits.
 * - PostgreSQL: callers lock what they read to decide (`forUpdate()`, a no-op on SQLite).
 *   A serialization failure or deadlock runs the whole transaction again. A connection lost
 *   before COMMIT was sent is retried too (nothing was committed); a connection lost during
 *   COMMIT leaves the outcome unknown, so it is never retried: `DatabaseUnavailableError`.
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
      const again = attempt < attempts && (isRetryable(err) || (connection && !bodyDone));
      if (again) continue;
      if (connection) throw new DatabaseUnavailableError('the database is unavailable', { cause: err });
      throw err;
    }
  }
}
