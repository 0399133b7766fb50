import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../../src/db/connect.js';
import { type DialectMigration, migrateToLatest, pendingMigrations } from '../../src/db/migrate.js';
import { createScratchPostgres, type ScratchDatabase, TEST_DIALECT } from '../helpers/database.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const table =
  (name: string): DialectMigration['up'] =>
  async (db) => {
    await db.schema.createTable(name).addColumn('x', 'integer').execute();
  };

/** Tables (Kysely's own included), rows of `kysely_migration` and of `t_a`: what a failed run must not change. */
async function snapshot(db: Db) {
  const tables = await db.kysely.introspection.getTables({ withInternalKyselyTables: true });
  const names = tables.map((t) => t.name).sort();
  const rows = async (q: string) =>
    names.includes(q.split(' from ')[1]!)
      ? (await sql.raw(q).execute(db.kysely)).rows.map((r) => Object.values(r as object)[0])
      : null;
  return {
    tables: names,
    migrations: await rows('select name from kysely_migration'),
    t_a: await rows('select x from t_a'),
  };
}

describe(`migrations on ${TEST_DIALECT}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'shouyin-migrate-'));
  const open: Db[] = [];
  const scratches: ScratchDatabase[] = [];
  const children: ChildProcess[] = [];
  let n = 0;

  /** A fresh, empty database of the dialect under test. */
  async function freshUrl(): Promise<string> {
    if (TEST_DIALECT === 'postgres') {
      const s = await createScratchPostgres();
      scratches.push(s);
      return s.url;
    }
    return `sqlite:${join(dir, `m${++n}.db`)}`;
  }
  async function connect(url: string): Promise<Db> {
    const db = await connectDatabase(url);
    open.push(db);
    return db;
  }
  function child(mode: 'slow' | 'hang', url: string) {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'test/db/migrate-child.ts', mode], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: url },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(proc);
    const lines: string[] = [];
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const waiters: Array<{ line: string; resolve: () => void }> = [];
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      lines.push(line);
      for (const w of waiters.filter((x) => x.line === line)) w.resolve();
    });
    return {
      proc,
      /** Resolves once the child printed `line`. */
      saw: (line: string) =>
        new Promise<void>((resolve, reject) => {
          if (lines.includes(line)) return resolve();
          waiters.push({ line, resolve });
          proc.once('exit', (code) => reject(new Error(`child exited ${code} before "${line}": ${stderr}`)));
        }),
      exit: () =>
        new Promise<{ code: number | null; lines: string[]; stderr: string }>((resolve) => {
          if (proc.exitCode !== null) return resolve({ code: proc.exitCode, lines, stderr });
          proc.once('exit', (code) => resolve({ code, lines, stderr }));
        }),
    };
  }

  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const db of open.splice(0)) await db.close();
  });
  afterAll(async () => {
    for (const s of scratches) await s.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rolls back every migration of a run when one throws halfway, and a re-run applies them', async () => {
    const db = await connect(await freshUrl());
    expect(await migrateToLatest(db, { '001_a': { up: table('t_a') } })).toEqual(['001_a']);
    const before = await snapshot(db);
    expect(before).toMatchObject({ migrations: ['001_a'], t_a: [] });

    const broken = {
      '001_a': { up: table('t_a') },
      '002_b': {
        up: async (k: Parameters<DialectMigration['up']>[0], d: Parameters<DialectMigration['up']>[1]) => {
          await table('t_b')(k, d);
          await sql`insert into t_a (x) values (1)`.execute(k);
          throw new Error('boom halfway through 002_b');
        },
      },
      '003_c': { up: table('t_c') },
    };
    await expect(migrateToLatest(db, broken)).rejects.toThrow('boom halfway through 002_b');
    expect(await snapshot(db)).toEqual(before);
    expect(await pendingMigrations(db, broken)).toEqual(['002_b', '003_c']);

    const fixed = { ...broken, '002_b': { up: table('t_b') } };
    expect(await migrateToLatest(db, fixed)).toEqual(['002_b', '003_c']);
    expect(await snapshot(db)).toMatchObject({
      tables: expect.arrayContaining(['t_a', 't_b', 't_c']),
      migrations: ['001_a', '002_b', '003_c'],
      t_a: [],
    });
    expect(await pendingMigrations(db, fixed)).toEqual([]);
  });

  it('leaves the database as before when the process is killed mid-migration; the next run migrates', async () => {
    const url = await freshUrl();
    const c = child('hang', url);
    await c.saw('inside');
    c.proc.kill('SIGKILL');
    await c.exit();

    const db = await connect(url);
    const list = { '001_first': { up: table('t_first') }, '002_hang': { up: table('t_hang') } };
    expect(await migrateToLatest(db, list)).toEqual(['001_first', '002_hang']);
    expect((await snapshot(db)).tables).toEqual(expect.arrayContaining(['t_first', 't_hang']));
  }, 30_000);

  it('migrates a fresh database once when two processes start migrating it at the same moment', async () => {
    const url = await freshUrl();
    const a = child('slow', url);
    const b = child('slow', url);
    await Promise.all([a.saw('ready'), b.saw('ready')]);
    a.proc.stdin!.end('go\n');
    b.proc.stdin!.end('go\n');
    const runs = await Promise.all([a.exit(), b.exit()]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const applied = runs.map((r) => (JSON.parse(r.lines.at(-1)!) as { applied: string[] }).applied);
    expect(applied.map((x) => x.length).sort()).toEqual([0, 2]);
    expect(applied.flat()).toEqual(['001_slow', '002_after']);

    const db = await connect(url);
    const pids = await sql<{ pid: number }>`select pid from runs`.execute(db.kysely);
    expect(pids.rows).toHaveLength(1);
    expect((await snapshot(db)).migrations).toEqual(['001_slow', '002_after']);
  }, 30_000);
});
