import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { transact } from '../../src/db/tx.js';
import { claimNotification, updateAfterAttempt } from '../../src/notify/notification.repository.js';
import { openServices } from '../../src/runtime.js';
import type { Services } from '../../src/services.js';
import { createScratchPostgres, type ScratchDatabase, TEST_DIALECT } from '../helpers/database.js';

/**
 * The leases that keep two attempts of one notification apart, checked on the rows themselves
 * (no dispatcher runs here): a claim only wins a row whose lease has lapsed, and an attempt that
 * outlived its lease cannot move the row a newer attempt now holds.
 */
describe(`notification leases (${TEST_DIALECT})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'shouyin-lease-'));
  let scratch: ScratchDatabase | null = null;
  let services: Services;
  let id: number;
  const t0 = Date.UTC(2025, 0, 6, 4, 0, 0);

  beforeAll(async () => {
    scratch = TEST_DIALECT === 'postgres' ? await createScratchPostgres() : null;
    const env = {
      DATABASE_URL: scratch ? scratch.url : `sqlite:${join(dir, 'x.db')}`,
      ALLOW_PRIVATE_CALLBACKS: '1',
    };
    ({ services } = await openServices(loadConfig(env), () => t0));
    const m = await services.merchants.add({
      name: 'Lease',
      notifyUrl: 'http://127.0.0.1:9/notify',
      returnUrl: 'http://127.0.0.1:9/return',
    });
    await services.accounts.add({
      merchantId: m.id,
      type: 'alipay',
      name: 'a',
      qrContent: 'https://qr.example/a',
    });
    const merchant = (await services.merchants.findByAppkey(m.appkey))!;
    const { order } = await services.orders.create({
      merchant,
      kind: 'anypay',
      type: 'alipay',
      pricing: { by: 'amount', priceCents: 100 },
      outOrderId: 'lease-1',
      custom: '',
      fingerprint: 'lease-1',
    });
    await services.payments.simulateForOrder(order.id);
    const row = await services.db.kysely.selectFrom('notifications').select('id').executeTakeFirstOrThrow();
    id = Number(row.id);
  });
  afterAll(async () => {
    await services?.db.close();
    await scratch?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const row = () =>
    services.db.kysely.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('lets one claim win a row, and a second only once the first lease has lapsed', async () => {
    expect(await claimNotification(services.db.kysely, id, t0, t0 + 1000)).toBe(true);
    expect(await claimNotification(services.db.kysely, id, t0 + 500, t0 + 1500)).toBe(false);
    expect(await claimNotification(services.db.kysely, id, t0 + 1000, t0 + 2000)).toBe(true);
    expect(Number((await row()).lease_until)).toBe(t0 + 2000);
  });

  it('ignores the failure of an attempt whose lease another attempt has taken over', async () => {
    const before = await row();
    // The first attempt (lease t0 + 1000) comes back late with a failure.
    const moved = await transact(services.db, (trx) =>
      updateAfterAttempt(
        trx,
        id,
        { nextAttemptAt: t0 + 99_000, releaseLease: true, lastError: 'late failure' },
        { state: 'pending', leaseUntil: t0 + 1000 },
      ),
    );
    expect(moved).toBeNull();
    const after = await row();
    expect([after.next_attempt_at, after.lease_until, after.attempts]).toEqual([
      before.next_attempt_at,
      before.lease_until,
      before.attempts,
    ]);
  });
});
