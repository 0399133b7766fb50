import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../../src/db/connect.js';
import { transact, type Tx } from '../../src/db/tx.js';

/**
 * Group commit on SQLite, at the level of `transact`: transactions that arrive together share one
 * BEGIN IMMEDIATE … COMMIT, each in its own savepoint. (Real requests: group-commit-http.test.ts.)
 */
describe.runIf(process.env.SHOUYIN_TEST_DB !== 'postgres')('SQLite group commit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shouyin-gc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let db: Db;
  let path: string;
  /** A second, independent connection: it sees only what is committed to the file. */
  let outsider: SQLite.Database;
  let n = 0;

  beforeEach(async () => {
    path = join(dir, `gc-${++n}.db`);
    db = await connectDatabase(`sqlite:${path}`);
    await sql`create table t (k text primary key, v integer not null)`.execute(db.kysely);
    await sql`create table parent (id integer primary key)`.execute(db.kysely);
    await sql`create table child (pid integer references parent(id) deferrable initially deferred)`.execute(
      db.kysely,
    );
    outsider = new SQLite(path, { readonly: true });
  });
  afterEach(async () => {
    outsider.close();
    await db.close();
  });

  const put =
    (k: string, v = 1) =>
    (trx: Tx) =>
      sql`insert into t (k, v) values (${k}, ${v})`.execute(trx);
  const committedKeys = () =>
    (outsider.prepare('select k from t order by k').all() as { k: string }[]).map((r) => r.k);

  it('commits transactions that arrive together with one COMMIT', async () => {
    const before = { ...db.commits };
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => transact(db, put(`k${String(i).padStart(2, '0')}`))),
    );
    expect(db.commits.commits - before.commits).toBe(1);
    expect(db.commits.transactions - before.transactions).toBe(20);
    expect(committedKeys()).toHaveLength(20);
  });

  it('runs the transactions of a batch one after another, each seeing the writes before it', async () => {
    const seen = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        transact(db, async (trx) => {
          const { rows } = await sql<{ n: number }>`select count(*) as n from t`.execute(trx);
          await put(`s${i}`)(trx);
          return rows[0]!.n;
        }),
      ),
    );
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('rolls a failing transaction back alone and commits its batch-mates', async () => {
    const before = db.commits.commits;
    const boom = new Error('refused after writing');
    const results = await Promise.allSettled([
      transact(db, put('a')),
      transact(db, async (trx) => {
        await put('b')(trx);
        throw boom;
      }),
      // A constraint violation inside a batch is that transaction's failure only.
      transact(db, async (trx) => {
        await put('c')(trx);
        await put('a')(trx);
      }),
      transact(db, put('d')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBe(boom);
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed/);
    expect(committedKeys()).toEqual(['a', 'd']);
    expect(db.commits.commits - before).toBe(1);
  });

  it('answers each caller only once its transaction is committed', async () => {
    const before = db.commits.commits;
    const atAnswer = await Promise.all(
      ['x', 'y', 'z'].map((k) =>
        transact(db, put(k)).then(() => ({
          visible: committedKeys().includes(k),
          commits: db.commits.commits,
        })),
      ),
    );
    for (const a of atAnswer) expect(a).toEqual({ visible: true, commits: before + 1 });
  });

  it('fails every transaction of a batch whose COMMIT fails, and keeps working afterwards', async () => {
    await transact(db, (trx) => sql`insert into parent (id) values (1)`.execute(trx));
    const before = { ...db.commits };
    // A deferred foreign key is checked at COMMIT: the batch's COMMIT fails.
    const results = await Promise.allSettled([
      transact(db, put('ok-1')),
      transact(db, (trx) => sql`insert into child (pid) values (99)`.execute(trx)),
      transact(db, put('ok-2')),
    ]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect(String((r as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY constraint failed/);
    }
    expect(committedKeys()).toEqual([]);
    expect(db.commits).toEqual(before);
    // The failed batch was rolled back and its connection handed back: the next one commits.
    await transact(db, put('after'));
    expect(committedKeys()).toEqual(['after']);
  });

  it('fails the batch-mates whose work was lost when a failure took the whole transaction with it', async () => {
    const lost = new Error('disk I/O error');
    const results = await Promise.allSettled([
      transact(db, put('a')),
      transact(db, async (trx) => {
        await put('b')(trx);
        // What SQLite does itself on a full disk or an I/O error: the whole transaction is gone.
        await sql`rollback`.execute(trx);
        throw lost;
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    for (const r of results) expect((r as PromiseRejectedResult).reason).toBe(lost);
    expect(committedKeys()).toEqual([]);
    await transact(db, put('next'));
    expect(committedKeys()).toEqual(['next']);
  });

  it('fails a batch whose BEGIN finds the file locked by another process past busy_timeout, then recovers', async () => {
    await sql`pragma busy_timeout = 50`.execute(db.kysely);
    const rival = new SQLite(path);
    rival.exec('begin immediate');
    const results = await Promise.allSettled([transact(db, put('p')), transact(db, put('q'))]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_BUSY' });
    }
    rival.exec('rollback');
    rival.close();
    await transact(db, put('r'));
    expect(committedKeys()).toEqual(['r']);
  });

  it('caps a batch at 64 transactions', async () => {
    const before = db.commits.commits;
    await Promise.all(Array.from({ length: 150 }, (_, i) => transact(db, put(`c${i}`))));
    expect(db.commits.commits - before).toBe(3);
    expect(committedKeys()).toHaveLength(150);
  });

  it('does not commit a batch whose every transaction failed', async () => {
    const before = db.commits.commits;
    const results = await Promise.allSettled([
      transact(db, async (trx) => {
        await put('gone')(trx);
        throw new Error('no');
      }),
    ]);
    expect(results[0]!.status).toBe('rejected');
    expect(db.commits.commits).toBe(before);
    expect(committedKeys()).toEqual([]);
  });

  it('makes a plain read issued while a batch runs wait for the batch, then see it', async () => {
    let read: Promise<number> | undefined;
    await Promise.all([
      transact(db, async (trx) => {
        await put('r1')(trx);
        // Another request's read, outside any transaction: it waits for the connection.
        read = sql<{ n: number }>`select count(*) as n from t`.execute(db.kysely).then((r) => r.rows[0]!.n);
      }),
      transact(db, put('r2')),
    ]);
    expect(await read).toBe(2);
  });
});
