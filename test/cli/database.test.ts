import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../src/db/connect.js';
import { MIGRATIONS, migrateToLatest } from '../../src/db/migrate.js';
import { expectRefusal, json, SLOW, shouyin, sqliteEnv } from './shouyin.js';

const MIGRATE_HINT = /run `shouyin migrate`, or start the server \(`shouyin serve`\), which migrates/;

describe('shouyin CLI on a database that is not ready, or not reachable', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shouyin-cli-db-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'refuses a command on an absent SQLite file, naming the file and `shouyin migrate`, and creates nothing',
    async () => {
      const path = join(dir, 'absent', 'shouyin.db');
      const [text, asJson] = await Promise.all([
        shouyin('merchant show 1', sqliteEnv(path)),
        shouyin('account list --json', sqliteEnv(path)),
      ]);
      expectRefusal(text, 3, new RegExp(`^error: no database at ${path}: `));
      expect(text.stderr).toMatch(MIGRATE_HINT);
      expect(asJson.code).toBe(3);
      expect(JSON.parse(asJson.stdout)).toMatchObject({ error: 'DatabaseNotReadyError', database: path });
      expect(existsSync(join(dir, 'absent'))).toBe(false);
    },
    SLOW,
  );

  it(
    'refuses a command on an empty or half-migrated database, naming it and what is pending, until it is migrated',
    async () => {
      mkdirSync(join(dir, 'half'));
      const empty = join(dir, 'half', 'empty.db');
      new SQLite(empty).close();
      const half = join(dir, 'half', 'half.db');
      const db = await connectDatabase(`sqlite:${half}`);
      await migrateToLatest(db, { '001_init': MIGRATIONS['001_init']! });
      await db.close();

      const [onEmpty, onHalf] = await Promise.all([
        shouyin('merchant show 1', sqliteEnv(empty)),
        shouyin('order show 1', sqliteEnv(half)),
      ]);
      expectRefusal(onEmpty, 3, new RegExp(`^error: database ${empty} has no Shouyin tables: `));
      expect(onEmpty.stderr).toMatch(MIGRATE_HINT);
      const pending = Object.keys(MIGRATIONS).slice(1).join(', ');
      expectRefusal(onHalf, 3, new RegExp(`database ${half} is not up to date \\(pending ${pending}\\)`));
      expect(onHalf.stderr).toMatch(MIGRATE_HINT);

      // `migrate` applies what is missing; then the commands run, and say where they looked.
      expect(json(await shouyin('migrate --json', sqliteEnv(half))).applied).toEqual(
        Object.keys(MIGRATIONS).slice(1),
      );
      const [notFound, list] = await Promise.all([
        shouyin('order show 1', sqliteEnv(half)),
        shouyin('account list', sqliteEnv(half)),
      ]);
      expectRefusal(notFound, 1, new RegExp(`^error: order 1 not found \\(database ${half}\\)\\n$`));
      expect([list.code, list.stdout, list.stderr]).toEqual([0, '', `nothing found in database ${half}\n`]);
    },
    SLOW,
  );

  it(
    'explains a file that is no database, a database kept busy, an unreachable PostgreSQL and a bad DATABASE_URL in one line each',
    async () => {
      mkdirSync(join(dir, 'bad'));
      const garbage = join(dir, 'bad', 'garbage.db');
      writeFileSync(garbage, 'this is not a database, it is a shopping list: rice, tea, '.repeat(100));
      const busy = join(dir, 'bad', 'busy.db');
      const migrated = await connectDatabase(`sqlite:${busy}`);
      await migrateToLatest(migrated);
      await migrated.close();
      // Another process holds the write lock longer than the CLI's busy timeout (5 s).
      const holder = new SQLite(busy);
      holder.exec('begin immediate');
      const secret = 's3cret-pw';
      try {
        const [onGarbage, onBusy, onPg, onBadUrl] = await Promise.all([
          shouyin('merchant show 1', sqliteEnv(garbage)),
          shouyin(
            'merchant add --name Late --notify-url http://a.example/n --return-url http://a.example/r',
            sqliteEnv(busy),
          ),
          // Port 1 on loopback: nothing listens there.
          shouyin('merchant show 1', { DATABASE_URL: `postgres://shouyin:${secret}@127.0.0.1:1/shouyin` }),
          shouyin('merchant show 1', { DATABASE_URL: 'mysql://root@127.0.0.1/shop' }),
        ]);
        expectRefusal(
          onGarbage,
          3,
          new RegExp(`^error: ${garbage} is not a SQLite database, or it is damaged\\n$`),
        );
        expectRefusal(onBusy, 3, new RegExp(`^error: database ${busy} is busy: `));
        expectRefusal(
          onPg,
          3,
          /^error: cannot reach database postgres:\/\/shouyin@127\.0\.0\.1:1\/shouyin: /,
        );
        expect(onPg.stderr).not.toContain(secret);
        expectRefusal(onBadUrl, 2, /^error: configuration: DATABASE_URL must be sqlite:<path> or postgres:/);
      } finally {
        holder.exec('rollback');
        holder.close();
      }
      const check = new SQLite(busy, { readonly: true });
      expect(check.prepare('select count(*) as n from merchants').get()).toEqual({ n: 0 });
      check.close();
    },
    SLOW,
  );
});
