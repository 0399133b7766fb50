import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type PostgresPool,
  type PostgresPoolClient,
  type QueryResult,
  type RootOperationNode,
  type SelectQueryNode,
  SqliteDialect,
  SqliteDriver,
  type UnknownRow,
} from 'kysely';
import type { Pool as PgPool, PoolClient as PgPoolClient } from 'pg';
import { startCheckpointer } from './checkpointer.js';
import type { Database } from './schema.js';
import { type CommitStats, DatabaseUnavailableError, isConnectionError } from './tx.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  /** Counted by `transact`: how many COMMITs carried how many transactions. */
  commits: CommitStats;
  close(): Promise<void>;
}

/**
 * Kysely prepares every query afresh; preparing costs more than running most of ours. Reuse
 * prepared statements by SQL text (the set of distinct statements is small and fixed).
 */
function withStatementCache(sqlite: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = (source: string) => {
    let stmt = cache.get(source);
    if (!stmt) {
      stmt = sqlite.prepare(source);
      if (cache.size >= 500) cache.clear();
      cache.set(source, stmt);
    }
    return stmt;
  };
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop === 'prepare') return prepare;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Every SQLite transaction begins IMMEDIATE: it takes the write lock at BEGIN, waiting up to
 * `busy_timeout` for another process's writer. A deferred BEGIN would start as a reader and fail
 * with SQLITE_BUSY at once when its first write finds another process committed meanwhile, which
 * `busy_timeout` does not cover.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly database: SQLite.Database) {
    super({ database });
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: this.database });
  }
}

const ROW_LOCKS = new Set(['ForUpdate', 'ForNoKeyUpdate', 'ForShare', 'ForKeyShare', 'NoWait', 'SkipLocked']);

/** Drops `FOR UPDATE` and friends, which SQLite does not parse; its IMMEDIATE transactions lock the whole file. */
class StripRowLocks extends OperationNodeTransformer {
  protected override transformSelectQuery(node: SelectQueryNode): SelectQueryNode {
    const out = super.transformSelectQuery(node);
    if (!out.endModifiers?.length) return out;
    const endModifiers = out.endModifiers.filter((m) => !m.modifier || !ROW_LOCKS.has(m.modifier));
    return { ...out, endModifiers: endModifiers.length ? endModifiers : undefined };
  }
}

class SqliteRowLocksPlugin implements KyselyPlugin {
  private readonly transformer = new StripRowLocks();
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.transformer.transformNode(args.node);
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

/**
 * Opens the database named by `DATABASE_URL`. SQLite runs in WAL mode with a busy timeout so the
 * CLI and a running server can share the file.
 */
export interface ConnectOptions {
  /**
   * SQLite: checkpoint the WAL from a worker thread instead of inside whichever commit crosses
   * the threshold (a long-running server wants this; a one-shot CLI command does not).
   */
  backgroundCheckpoints?: boolean;
  onBackgroundError?: (message: string) => void;
  /** PostgreSQL: where a lost idle connection is reported (once per burst); stderr by default. */
  onConnectionError?: (message: string) => void;
  /**
   * SQLite `synchronous`: `full` (default) fsyncs the WAL at every commit, so a committed (and
   * so an answered) transaction survives a power cut; `normal` fsyncs only at checkpoints, so
   * a power cut or OS crash may take back the last commits (a killed process still loses none).
   */
  sqliteSync?: 'full' | 'normal';
}

export async function connectDatabase(url: string, opts: ConnectOptions = {}): Promise<Db> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const sqlite = new SQLite(path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`synchronous = ${opts.sqliteSync === 'normal' ? 'NORMAL' : 'FULL'}`);
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    // Truncate the WAL back to 4 MB after each checkpoint instead of keeping its high-water mark.
    sqlite.pragma('journal_size_limit = 4194304');
    let stopCheckpointer: (() => Promise<void>) | null = null;
    if (opts.backgroundCheckpoints && path !== ':memory:') {
      // The worker checkpoints every 200 ms; the high threshold only guards against a dead worker.
      sqlite.pragma('wal_autocheckpoint = 20000');
      stopCheckpointer = startCheckpointer(path, 200, opts.onBackgroundError ?? (() => {}));
    }
    const kysely = new Kysely<Database>({
      dialect: new ImmediateSqliteDialect(withStatementCache(sqlite)),
      plugins: [new SqliteRowLocksPlugin()],
    });
    return {
      kysely,
      dialect: 'sqlite',
      commits: { commits: 0, transactions: 0 },
      close: async () => {
        await kysely.destroy();
        await stopCheckpointer?.();
      },
    };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return connectPostgres(url, opts);
  throw new Error('DATABASE_URL must be sqlite:<path> or postgres://…');
}

/** Seconds to wait for a PostgreSQL connection unless DATABASE_URL says `?connect_timeout=N`. */
const DEFAULT_PG_CONNECT_TIMEOUT_S = 5;
/** After a pool error is logged, later ones are only counted for this long (one line per burst). */
const POOL_ERROR_QUIET_MS = 10_000;

/** `connect_timeout` (seconds, as libpq reads it from the URL; 0 waits forever) in ms. */
function connectTimeoutMs(url: string): number {
  const raw = new URL(url).searchParams.get('connect_timeout');
  if (raw === null || raw === '') return DEFAULT_PG_CONNECT_TIMEOUT_S * 1000;
  if (!/^\d+$/.test(raw)) throw new Error(`DATABASE_URL connect_timeout must be whole seconds, got "${raw}"`);
  return Number(raw) * 1000;
}

/**
 * Logs the first error of a burst at once and only counts the rest for a while: a restart drops
 * every idle connection together, which is one event for an operator.
 */
function burstReporter(write: (message: string) => void, quietMs = POOL_ERROR_QUIET_MS) {
  let quiet: NodeJS.Timeout | null = null;
  let more = 0;
  return (err: Error & { code?: string }) => {
    if (quiet) {
      more++;
      return;
    }
    const why = err.code ? `${err.code} ${err.message}` : err.message;
    write(`PostgreSQL: an idle connection was lost (${why}); new ones are opened as needed`);
    quiet = setTimeout(() => {
      quiet = null;
      if (more > 0) write(`PostgreSQL: ${more} more idle connections were lost`);
      more = 0;
    }, quietMs);
    quiet.unref();
  };
}

async function connectPostgres(url: string, opts: ConnectOptions): Promise<Db> {
  const { PostgresDialect } = await import('kysely');
  const pg = (await import('pg')).default;
  // BIGINT columns hold cents and unix-ms times, always safe integers.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // Bounds both opening a connection and waiting for a free one: an unreachable server
    // answers 503 after this long instead of holding requests until TCP gives up.
    connectionTimeoutMillis: connectTimeoutMs(url),
    idleTimeoutMillis: 30_000,
    // Notices a server that vanished without closing (failover, a NAT that forgot the flow).
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  // pg-pool drops an idle client whose connection fails (restart, failover, pg_terminate_backend)
  // and emits 'error': without a listener that would crash the process.
  pool.on('error', burstReporter(opts.onConnectionError ?? ((message) => console.error(message))));
  const guarded = new GuardedPool(pool);
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool: guarded }) });
  return {
    kysely,
    dialect: 'postgres',
    commits: { commits: 0, transactions: 0 },
    close: () => kysely.destroy(),
  };
}

/** A statement that changes nothing when it runs again: a read outside a transaction, or BEGIN. */
const SAFE_TO_REPEAT = /^\s*(select|begin|start transaction)\b/i;
/** pg refuses a statement on a client it already knows is dead, before sending anything. */
const NEVER_SENT = /is not queryable$/;

type Stage = DatabaseUnavailableError['stage'];

/** Turns a failure to reach the server into the typed error the HTTP layer answers 503 for. */
function unavailable(err: unknown, stage: Stage): unknown {
  if (!isConnectionError(err) || err instanceof DatabaseUnavailableError) return err;
  const message = stage === 'connect' ? 'cannot connect to the database' : 'the database connection was lost';
  return new DatabaseUnavailableError(message, { cause: err, stage });
}

/**
 * The pool Kysely's PostgresDialect draws from. Each checkout is a `GuardedClient`, which never
 * hands a dead connection back to the pool and repeats a statement that is safe to repeat when
 * it failed only because a pooled connection had died meanwhile.
 */
class GuardedPool implements PostgresPool {
  /** Clients not yet handed out: a failure on one of them is the server, not a stale socket. */
  private readonly fresh = new WeakSet<PgPoolClient>();

  constructor(private readonly pool: PgPool) {
    pool.on('connect', (client) => {
      this.fresh.add(client);
      // A checked-out client also emits 'error' when its socket drops; its statement fails on its
      // own (and `GuardedClient` discards it), so this listener only keeps the process alive.
      client.on('error', () => {});
    });
  }

  /** A pooled client and whether it has served a checkout before. */
  async checkout(): Promise<{ client: PgPoolClient; reused: boolean }> {
    try {
      const client = await this.pool.connect();
      return { client, reused: !this.fresh.delete(client) };
    } catch (err) {
      throw unavailable(err, 'connect');
    }
  }

  async connect(): Promise<PostgresPoolClient> {
    const { client, reused } = await this.checkout();
    return new GuardedClient(this, client, reused) as unknown as PostgresPoolClient;
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

/** One checkout, as Kysely uses it: statements, then `release()`. Cursors are not supported. */
class GuardedClient {
  /**
   * Why the connection failed. Every later statement (Kysely's ROLLBACK included) fails with the
   * same error without being sent, so `transact` judges a failed COMMIT by what befell the
   * COMMIT, not the rollback after it; the client is destroyed on release.
   */
  private lost: unknown = null;

  constructor(
    private readonly pool: GuardedPool,
    private client: PgPoolClient | null,
    private reused: boolean,
  ) {}

  async query(sql: string, parameters: readonly unknown[]): Promise<unknown> {
    for (;;) {
      if (this.lost) throw this.lost;
      const client = this.client;
      if (!client) throw new DatabaseUnavailableError('the connection was released', { stage: 'unsent' });
      const outside = client.getTransactionStatus() === 'I';
      try {
        return await client.query(sql, parameters as unknown[]);
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        const sent = !(err instanceof Error && NEVER_SENT.test(err.message));
        this.lost = unavailable(err, sent ? 'sent' : 'unsent');
        // A client that sat in the pool may have died there (failover, a restart whose goodbye
        // arrived late). Outside a transaction a read or BEGIN changed nothing: try it on another
        // connection. Each try discards one dead client; a brand-new connection failing too means
        // the server is gone, and ends it.
        if (!outside || !this.reused || !SAFE_TO_REPEAT.test(sql)) throw this.lost;
      }
      this.release();
      ({ client: this.client, reused: this.reused } = await this.pool.checkout());
      this.lost = null;
    }
  }

  release(destroy?: boolean): void {
    const client = this.client;
    this.client = null;
    client?.release(destroy || this.lost !== null);
  }
}
