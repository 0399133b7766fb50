/**
 * Migrates the database named by DATABASE_URL with a throwaway migration list, in its own
 * process, for the tests that race two processes or kill one mid-migration.
 *
 *   node --import tsx test/db/migrate-child.ts slow|hang
 *
 * slow: prints `ready`, waits for `go` on stdin (so two children start together), then runs
 *       `001_slow` (records its pid in `runs`, sleeps 300 ms holding the lock, creates `t_slow`)
 *       and `002_after`; prints `{"applied": […]}`.
 * hang: runs `001_first`, then `002_hang` creates `t_hang`, prints `inside` and never returns,
 *       waiting to be killed.
 */
import { createInterface } from 'node:readline';
import { sql } from 'kysely';
import { connectDatabase } from '../../src/db/connect.js';
import { type DialectMigration, migrateToLatest } from '../../src/db/migrate.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const LISTS: Record<string, Record<string, DialectMigration>> = {
  slow: {
    '001_slow': {
      up: async (db) => {
        await db.schema.createTable('runs').addColumn('pid', 'integer').execute();
        await sql`insert into runs (pid) values (${process.pid})`.execute(db);
        await sleep(300);
        await db.schema.createTable('t_slow').addColumn('x', 'integer').execute();
      },
    },
    '002_after': {
      up: async (db) => {
        await db.schema.createTable('t_after').addColumn('x', 'integer').execute();
      },
    },
  },
  hang: {
    '001_first': {
      up: async (db) => {
        await db.schema.createTable('t_first').addColumn('x', 'integer').execute();
      },
    },
    '002_hang': {
      up: async (db) => {
        await db.schema.createTable('t_hang').addColumn('x', 'integer').execute();
        process.stdout.write('inside\n');
        await new Promise(() => {});
      },
    },
  },
};

const mode = process.argv[2] ?? '';
const list = LISTS[mode];
if (!list) throw new Error(`mode must be ${Object.keys(LISTS).join(' or ')}`);
const db = await connectDatabase(process.env.DATABASE_URL ?? '');
if (mode === 'slow') {
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.once('line', () => {
      lines.close();
      process.stdin.destroy(); // or the open pipe keeps this process alive
      resolve();
    });
  });
}
try {
  const applied = await migrateToLatest(db, list);
  process.stdout.write(`${JSON.stringify({ applied })}\n`);
} catch (err) {
  process.stderr.write(`migration failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await db.close();
}
