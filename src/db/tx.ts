import { setImmediate } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CompiledQuery,
  type ControlledTransaction,
  type DeleteResult,
  type Transaction,
  type UpdateResult,
} from 'kysely';
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
 * What `transact` committed on one database: COMMIT statements (on SQLite each is one fsync) and
 * the transactions they carried. On SQLite `transactions / commits` is the mean batch size.
 */
export interface CommitStats {
  commits: number;
  transactions: number;
}

/**
 * Runs `fn` in one write transaction and commits. Every service opens its transactions here.
 * The promise settles only once the transaction is on disk (committed) or rolled back.
 *
 * - SQLite: group commit (see `GroupCommit`). Transactions that arrive together run one after
 *   another on the one connection inside one `BEGIN IMMEDIATE … COMMIT`, each in its own
 *   savepoint, so a batch costs one fsync however many requests it answers. The transaction
 *   begins IMMEDIATE (see `connect.ts`), so a read that decides a write can never be upgraded
 *   into `SQLITE_BUSY` by another process's commit; `busy_timeout` waits.
 * - PostgreSQL: one transaction per call. Callers lock what they read to decide (`forUpdate()`,
 *   a no-op on SQLite). A serialization failure or deadlock runs the whole transaction again. A
 *   connection lost before COMMIT was sent is retried too (nothing was committed); a connection
 *   lost after COMMIT was sent leaves the outcome unknown, so it is never retried:
 *   `DatabaseUnavailableError`. A server that cannot be reached at all is not retried either:
 *   that would only delay the 503.
 *
 * `fn` may run more than once: it must not have effects outside the transaction. It must not
 * wait for anything that needs the database outside `trx` (a query on `db.kysely`, another
 * `transact`): the write lock is held until its batch commits, so that would wait forever.
 */
export async function transact<T>(db: Db, fn: (trx: Tx) => Promise<T>, attempts = 3): Promise<T> {
  if (db.dialect === 'sqlite') return groupCommitOf(db).run(fn);
  for (let attempt = 1; ; attempt++) {
    let bodyDone = false;
    try {
      const out = await db.kysely.transaction().execute(async (trx) => {
        const out = await fn(trx);
        bodyDone = true;
        return out;
      });
      db.commits.commits++;
      db.commits.transactions++;
      return out;
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

/**
 * At most this many transactions share a COMMIT, so the first caller of a batch waits for at most
 * 63 others (a few ms of work) before its answer. No time cap: the transactions run back to back
 * without waiting on I/O, and a slow one held the write lock just as long before group commit.
 */
const BATCH_MAX = 64;

const SAVEPOINT = CompiledQuery.raw('savepoint tx');
const ROLLBACK_TO = CompiledQuery.raw('rollback to tx');
const RELEASE = CompiledQuery.raw('release tx');

interface Job {
  fn: (trx: Tx) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const groupCommits = new WeakMap<Db, GroupCommit>();

function groupCommitOf(db: Db): GroupCommit {
  let gc = groupCommits.get(db);
  if (!gc) groupCommits.set(db, (gc = new GroupCommit(db)));
  return gc;
}

/**
 * SQLite group commit: calls queue up; a batch starts on `setImmediate`, after the event loop has
 * read every request that arrived in this turn, and the next one when the previous commit has
 * returned (the fsync blocks the thread, so whatever arrived meanwhile forms the next batch).
 *
 * Within a batch the transactions run strictly one after another on the one connection, so each
 * sees the writes of those before it, exactly as if they had committed one by one: every
 * invariant a transaction keeps alone (distinct realprices, each payment once) still holds.
 * A transaction that throws is rolled back to its savepoint and fails alone. Every caller is
 * answered after the COMMIT: if COMMIT (or the transaction itself) fails, all of its batch fail.
 * Plain reads outside a transaction wait for Kysely's connection mutex until the batch is done.
 */
class GroupCommit {
  private readonly queue: Job[] = [];
  /** A batch is scheduled or running; a call arriving meanwhile waits for the next. */
  private busy = false;

  constructor(private readonly db: Db) {}

  run<T>(fn: (trx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule() {
    if (this.busy || this.queue.length === 0) return;
    this.busy = true;
    setImmediate(() => {
      this.runBatch().finally(() => {
        this.busy = false;
        this.schedule();
      });
    });
  }

  private async runBatch(): Promise<void> {
    let trx: ControlledTransaction<Database>;
    try {
      trx = await this.db.kysely.startTransaction().execute();
    } catch (err) {
      // BEGIN failed (another process held the write lock past busy_timeout): so does this batch.
      for (const job of this.queue.splice(0, BATCH_MAX)) job.reject(err);
      return;
    }
    const jobs: Job[] = [];
    const outcomes: Outcome[] = [];
    try {
      // Calls queued while the batch runs join it, up to the cap.
      while (this.queue.length > 0 && jobs.length < BATCH_MAX) {
        const job = this.queue.shift()!;
        jobs.push(job);
        await trx.executeQuery(SAVEPOINT);
        try {
          outcomes.push({ ok: true, value: await job.fn(trx) });
        } catch (error) {
          outcomes.push({ ok: false, error });
          // Undoes this transaction's writes alone; its batch-mates' stay.
          await trx.executeQuery(ROLLBACK_TO).catch(() => {
            // SQLite already rolled the whole transaction back (disk full, I/O error): `error`
            // is why, and it ends the batch.
            throw error;
          });
        }
        await trx.executeQuery(RELEASE);
      }
      const committed = outcomes.filter((o) => o.ok).length;
      if (committed > 0) {
        await trx.commit().execute();
        this.db.commits.commits++;
        this.db.commits.transactions += committed;
      } else {
        await trx.rollback().execute();
      }
    } catch (err) {
      // The transaction is lost or COMMIT failed: nothing of this batch is on disk, and every
      // caller of it is told so. (A rollback also hands the connection back to Kysely.)
      await trx
        .rollback()
        .execute()
        .catch(() => {});
      for (const job of jobs) job.reject(err);
      return;
    }
    jobs.forEach((job, i) => {
      const o = outcomes[i]!;
      if (o.ok) job.resolve(o.value);
      else job.reject(o.error);
    });
  }
}
