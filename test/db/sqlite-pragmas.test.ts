import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../src/db/connect.js';

/** The settings every SQLite connection of the gateway runs with, read back from SQLite itself. */
describe('SQLite connection settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shouyin-pragma-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
