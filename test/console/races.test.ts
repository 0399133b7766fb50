import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { verifyPassword } from '../../src/users/password.js';
import { UserService } from '../../src/users/user.service.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { setupToken } from './client.js';

const client = { ip: '203.0.113.9', address: '203.0.113.9', userAgent: 'test' };

describe(`console sign-in races on ${TEST_DIALECT}`, () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('refuses a right password whose check ends after parallel wrong guesses locked the account', async () => {
    gw = await startTestGateway();
    const { users, db, clock } = gw.services;
    await users.add({ email: 'boss@example.com', password: 'the right one', role: 'operator' });
    // The right guess is held inside its password check while five wrong ones run to the end.
    let entered!: () => void;
    const inCheck = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const service = new UserService(db, clock, users.sessions, {
      failuresPerAddress: 100,
      verify: async (hash, password) => {
        const ok = await verifyPassword(hash, password);
        if (ok) {
          entered();
          await held;
        }
        return ok;
      },
    });
    const right = service.signIn({ email: 'boss@example.com', password: 'the right one' }, client);
    await inCheck;
    for (let i = 1; i <= 5; i++) {
      await expect(
        service.signIn({ email: 'boss@example.com', password: `guess ${i}` }, client),
      ).rejects.toMatchObject({
        code: i < 5 ? 'bad_credentials' : 'locked',
      });
    }
    release();
    await expect(right).rejects.toMatchObject({ code: 'locked' });
    expect(await db.kysely.selectFrom('sessions').select('id').execute()).toEqual([]);
  });

  // SQLite runs one write transaction at a time, so there the two setups cannot interleave.
  it.skipIf(TEST_DIALECT !== 'postgres')(
    'creates one operator when two setup links are used at the same time',
    async () => {
      gw = await startTestGateway();
      const { users } = gw.services;
      const [first, second] = [await setupToken(gw), await setupToken(gw)];
      // Inserting users waits until this connection lets go, so both setups get as far as they can.
      const blocker = new pg.Client({ connectionString: gw.env.DATABASE_URL });
      await blocker.connect();
      try {
        await blocker.query('begin');
        await blocker.query('lock table users in exclusive mode');
        const setups = [first, second].map((token, i) =>
          users
            .completeSetup({ token, email: `op${i}@example.com`, password: 'a setup password' }, client)
            .then(
              () => 'created',
              (err: { code?: string }) => err.code,
            ),
        );
        const waiting = async () =>
          Number(
            (
              await blocker.query(
                "select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
              )
            ).rows[0].n,
          );
        for (let i = 0; i < 200 && (await waiting()) < 2; i++) await sleep(25);
        expect(await waiting()).toBe(2);
        await blocker.query('commit');
        expect((await Promise.all(setups)).sort()).toEqual(['created', 'setup_invalid']);
        expect(await users.list()).toHaveLength(1);
      } finally {
        await blocker.end();
      }
    },
  );

  it.skipIf(TEST_DIALECT !== 'postgres')(
    'refuses a setup that was under way when a user was added from the CLI',
    async () => {
      gw = await startTestGateway();
      const { users } = gw.services;
      const token = await setupToken(gw);
      // The setup checks its link, then waits to consume it; the CLI adds an operator meanwhile.
      const blocker = new pg.Client({ connectionString: gw.env.DATABASE_URL });
      await blocker.connect();
      try {
        await blocker.query('begin');
        await blocker.query('lock table setup_tokens in exclusive mode');
        const setup = users
          .completeSetup({ token, email: 'web@example.com', password: 'a setup password' }, client)
          .then(
            () => 'created',
            (err: { code?: string }) => err.code,
          );
        const waiting = async () =>
          Number(
            (
              await blocker.query(
                "select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
              )
            ).rows[0].n,
          );
        for (let i = 0; i < 200 && (await waiting()) < 1; i++) await sleep(25);
        expect(await waiting()).toBe(1);
        await users.add({ email: 'cli@example.com', password: 'from the shell', role: 'operator' });
        await blocker.query('commit');
        expect(await setup).toBe('setup_invalid');
        expect((await users.list()).map((u) => u.email)).toEqual(['cli@example.com']);
      } finally {
        await blocker.end();
      }
    },
  );
});
