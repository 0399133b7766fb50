import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { connectDatabase, type Db } from '../../src/db/connect.js';
import { openServices } from '../../src/runtime.js';

/** The settings every SQLite connection of the gateway runs with, read back from SQLite itself. */
describe('SQLite connection settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shouyin-pragma-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const pragma = async (db: Db, name: string) =>
    Object.values((await sql.raw(`pragma ${name}`).execute(db.kysely)).rows[0] as object)[0];

  // synchronous: 0 OFF, 1 NORMAL, 2 FULL. FULL fsyncs the WAL at every COMMIT, before `transact`
  // returns and so before any answer (README "Durability"); NORMAL only at checkpoints.
  it('fsyncs every commit (synchronous = FULL) by default, as the gateway opens it', async () => {
    const { db } = await openServices(loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'full.db')}` }));
    expect(await pragma(db, 'synchronous')).toBe(2);
    await db.close();
    const plain = await connectDatabase(`sqlite:${join(dir, 'full.db')}`);
    expect(await pragma(plain, 'synchronous')).toBe(2);
    await plain.close();
  });

  it('runs with synchronous = NORMAL when SQLITE_SYNC=normal, and refuses any other value', async () => {
    const { db } = await openServices(
      loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'normal.db')}`, SQLITE_SYNC: 'normal' }),
    );
    expect(await pragma(db, 'synchronous')).toBe(1);
    await db.close();
    expect(loadConfig({ SQLITE_SYNC: 'FULL' }).sqliteSync).toBe('full');
    for (const bad of ['off', '0', 'extra']) {
      expect(() => loadConfig({ SQLITE_SYNC: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ SQLITE_SYNC: bad })).toThrow(/SQLITE_SYNC must be full or normal/);
    }
  });

  it('runs in WAL mode with a busy timeout and truncates the WAL back to 4 MB after checkpoints', async () => {
    const db = await connectDatabase(`sqlite:${join(dir, 'p.db')}`);
    const one = async (name: string) =>
      Object.values((await sql.raw(`pragma ${name}`).execute(db.kysely)).rows[0] as object)[0];
    expect(await one('journal_mode')).toBe('wal');
    expect(await one('busy_timeout')).toBe(5000);
    expect(await one('journal_size_limit')).toBe(4 * 1024 * 1024);
    expect(await one('foreign_keys')).toBe(1);
    await db.close();
  });
});
