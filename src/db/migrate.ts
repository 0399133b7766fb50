import {
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResultSet,
  Migrator,
  sql,
} from 'kysely';
import type { Db, Dialect } from './connect.js';
import * as m001 from './migrations/001_init.js';
import * as m002 from './migrations/002_detection.js';
import * as m003 from './migrations/003_notify_host.js';
import * as m004 from './migrations/004_realprice.js';
import * as m005 from './migrations/005_notify_due.js';
import * as m006 from './migrations/006_users.js';
import * as m007 from './migrations/007_console_indexes.js';
import * as m008 from './migrations/008_secret_rotation.js';
import * as m009 from './migrations/009_dashboard.js';
import * as m010 from './migrations/010_protocols.js';

export interface DialectMigration {
  up(db: Kysely<unknown>, dialect: Dialect): Promise<void>;
}

/** Every migration, applied in name order. Tests pass lists of their own to the functions below. */
export const MIGRATIONS: Record<string, DialectMigration> = {
  '001_init': m001,
  '002_detection': m002,
  '003_notify_host': m003,
  '004_realprice': m004,
  '005_notify_due': m005,
  '006_users': m006,
  '007_console_indexes': m007,
  '008_secret_rotation': m008,
  '009_dashboard': m009,
  '010_protocols': m010,
};

class StaticProvider implements MigrationProvider {
  constructor(
    private readonly dialect: Dialect,
    private readonly migrations: Record<string, DialectMigration>,
  ) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, m] of Object.entries(this.migrations)) {
      out[name] = { up: (db) => m.up(db, this.dialect) };
    }
    return out;
  }
}

function migrator(db: Db, migrations: Record<string, DialectMigration>): Migrator {
  return new Migrator({ db: db.kysely, provider: new StaticProvider(db.dialect, migrations) });
}

/**
 * Applies every pending migration; returns the names applied. Called on start and by `shouyin migrate`.
 * All pending migrations commit together or not at all, and two processes migrating one database
 * at once apply them once: on PostgreSQL Kysely's Migrator takes an advisory lock and runs them in
 * one transaction itself; on SQLite it does neither, so `underSqliteWriteLock` does.
 */
export async function migrateToLatest(db: Db, migrations = MIGRATIONS): Promise<string[]> {
  const m = migrator(db, migrations);
  const { error, results } =
    db.dialect === 'sqlite'
      ? await underSqliteWriteLock(db, () => m.migrateToLatest())
      : await m.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Kysely's SQLite adapter reports no transactional DDL and its migration lock is a no-op, so
 * without this a migration that fails or is killed halfway leaves half a schema (and the earlier
 * migrations recorded) that a re-run trips over, and two processes starting on one fresh file
 * both run `001_init`. SQLite's DDL is transactional: the whole run, Kysely's bookkeeping tables
 * included, happens inside one `BEGIN IMMEDIATE`. A second process waits at BEGIN (busy_timeout)
 * and then finds nothing pending. Kysely's SQLite driver has a single connection, so every
 * statement the Migrator sends runs inside this transaction. Hence migrations must not open
 * transactions themselves or rely on `PRAGMA foreign_keys` (a no-op inside a transaction).
 */
async function underSqliteWriteLock(
  db: Db,
  run: () => Promise<MigrationResultSet>,
): Promise<MigrationResultSet> {
  await sql`begin immediate`.execute(db.kysely);
  let result: MigrationResultSet;
  try {
    result = await run();
  } catch (err) {
    result = { error: err };
  }
  if (result.error === undefined) {
    await sql`commit`.execute(db.kysely);
  } else {
    // SQLite may already have rolled back (e.g. after SQLITE_FULL); the migration's error is the news.
    await sql`rollback`.execute(db.kysely).catch(() => {});
  }
  return result;
}

/** Names of the migrations this code knows that the database has not applied yet. Only reads. */
export async function pendingMigrations(db: Db, migrations = MIGRATIONS): Promise<string[]> {
  const known = await migrator(db, migrations).getMigrations();
  return known.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
