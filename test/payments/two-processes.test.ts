import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openServices } from '../../src/runtime.js';
import type { Services } from '../../src/services.js';
import { type ChildGateway, killHard, startChildGateway } from '../helpers/child-gateway.js';
import { createScratchPostgres, type ScratchDatabase, TEST_DIALECT } from '../helpers/database.js';
import { call, createParams } from '../helpers/gatepay.js';
import { MonitorClient } from '../monitor/monitor-client.js';

/**
 * Two gateway processes on one database (one SQLite file, or one PostgreSQL database): requests
 * to both interleave for real, which one process on synchronous better-sqlite3 cannot show.
 */
describe(`two gateway processes on one ${TEST_DIALECT} database`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'shouyin-two-'));
  let scratch: ScratchDatabase | null = null;
  let services: Services;
  const children: ChildGateway[] = [];

  beforeAll(async () => {
    scratch = TEST_DIALECT === 'postgres' ? await createScratchPostgres() : null;
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: scratch ? scratch.url : `sqlite:${join(dir, 'shouyin.db')}`,
      LOG_LEVEL: 'silent',
      ALLOW_PRIVATE_CALLBACKS: '1',
    };
    ({ services } = await openServices(loadConfig(env)));
    children.push(await startChildGateway(env), await startChildGateway(env));
  });
  afterAll(async () => {
    for (const c of children) await killHard(c);
    await services?.db.close();
    await scratch?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives same-price orders created on both distinct realprices and pays each once from reports to either', async () => {
    const merchant = await services.merchants.add({
      name: 'Two',
      notifyUrl: 'http://127.0.0.1:9/notify',
      returnUrl: 'http://127.0.0.1:9/return',
    });
    const account = await services.accounts.add({
      merchantId: merchant.id,
      type: 'alipay',
      name: 'a',
      qrContent: 'https://qr.example/a',
    });
    const [a, b] = children as [ChildGateway, ChildGateway];
    // 120 requests for 100 amounts (50.00 down to 49.01), half to each process, all at once.
    const answers = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        call(
          (i % 2 ? a : b).url,
          '/api/anypay/create',
          createParams(merchant, { price: '50', type: 'alipay', out_order_id: `two-${i}`, custom: '' }),
        ),
      ),
    );
    for (const r of answers)
      expect([r.status, r.body!.code], r.body!.msg).toSatisfy(
        ([status, code]: [number, number]) => status === 200 && (code === 100 || code === 204),
      );
    const ok = answers.filter((r) => r.body!.code === 100).map((r) => r.body!.data);
    expect(ok).toHaveLength(100);
    expect(new Set(ok.map((d) => d.realprice)).size).toBe(100);

    // The phone reports every payment, each to one process or the other, all at once.
    const now = () => Date.now();
    const results = await Promise.all(
      ok.map((d, i) =>
        new MonitorClient((i % 2 ? b : a).url, account.id, account.monitorKey, now).payments([
          { id: `pay-${i}`, type: 'alipay', amount: d.realprice, paid_at: Math.floor(now() / 1000) },
        ]),
      ),
    );
    results.forEach((r, i) =>
      expect(r.body.results[0], `payment ${i}`).toMatchObject({
        result: 'matched',
        order_id: ok[i].order_id,
      }),
    );
    const paid = await services.db.kysely
      .selectFrom('orders')
      .select(['id', 'status', 'payment_id'])
      .where('merchant_id', '=', merchant.id)
      .execute();
    expect(paid.filter((o) => o.status === 'paid')).toHaveLength(100);
    const notes = await services.db.kysely
      .selectFrom('notifications')
      .select('order_id')
      .where('merchant_id', '=', merchant.id)
      .execute();
    expect(notes).toHaveLength(100);
    expect(new Set(notes.map((n) => n.order_id)).size).toBe(100);
  });
});
