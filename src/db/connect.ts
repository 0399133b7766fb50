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
  type QueryResult,
  type RootOperationNode,
  type SelectQueryNode,
  SqliteDialect,
  SqliteDriver,
  type UnknownRow,
} from 'kysely';
import { startCheckpointer } from './checkpointer.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
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
}

export async function connectDatabase(url: string, opts: ConnectOptions = {}): Promise<Db> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const sqlite = new SQLite(path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
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
      close: async () => {
        await kysely.destroy();
        await stopCheckpointer?.();
      },
    };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { PostgresDialect } = await import('kysely');
    const pg = await import('pg');
    // BIGINT columns hold cents and unix-ms times, always safe integers.
    pg.default.types.setTypeParser(20, (v: string) => Number(v));
    const pool = new pg.default.Pool({ connectionString: url, max: 10 });
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { kysely, dialect: 'postgres', close: () => kysely.destroy() };
  }
  throw new Error('DATABASE_URL must be sqlite:<path> or postgres://…');
}
