import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { transact } from '../../src/db/tx.js';
import { claimSlot } from '../../src/realprice/realprice.repository.js';
import { openServices } from '../../src/runtime.js';
import type { Services } from '../../src/services.js';
import { createScratchPostgres, type ScratchDatabase, TEST_DIALECT } from '../helpers/database.js';

/** The one statement that claims an amount: it takes over a slot only once the holder's hold has lapsed. */
describe(`claiming a slot (${TEST_DIALECT})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'shouyin-claim-'));
  let scratch: ScratchDatabase | null = null;
  let services: Services;

  beforeAll(async () => {
    scratch = TEST_DIALECT === 'postgres' ? await createScratchPostgres() : null;
    ({ services } = await openServices(
      loadConfig({ DATABASE_URL: scratch ? scratch.url : `sqlite:${join(dir, 'c.db')}` }),
    ));
  });
  afterAll(async () => {
    await services?.db.close();
    await scratch?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const claim = (token: string, holdUntil: number, now: number) =>
    transact(services.db, (trx) =>
      claimSlot(trx, { accountId: 1, type: 'alipay', amountCents: 500, orderToken: token, holdUntil }, now),
    );

  it('refuses an amount whose hold is current and takes it over once the hold has lapsed', async () => {
    expect(await claim('first', 1_000, 0)).toBe(true);
    expect(await claim('second', 2_000, 500)).toBe(false);
    expect(await claim('second', 2_000, 1_000)).toBe(false);
    expect(await claim('second', 2_000, 1_001)).toBe(true);
    const row = await services.db.kysely.selectFrom('slots').selectAll().executeTakeFirstOrThrow();
    expect([row.order_token, Number(row.hold_until)]).toEqual(['second', 2_000]);
  });
});
