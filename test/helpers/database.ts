import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Which database the suite runs on: `SHOUYIN_TEST_DB=postgres` runs it on PostgreSQL (a fresh
 * database per gateway, dropped afterwards), otherwise on a fresh SQLite file.
 */
export const TEST_DIALECT: 'sqlite' | 'postgres' =
  process.env.SHOUYIN_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';

/** Server-level URL of the PostgreSQL the tests may create databases on. */
export const TEST_PG_URL =
  process.env.SHOUYIN_TEST_PG_URL ?? 'postgres://shouyin:shouyin@127.0.0.1:5432/postgres';

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty PostgreSQL database for one test gateway. */
export async function createScratchPostgres(): Promise<ScratchDatabase> {
  const name = `shouyin_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
