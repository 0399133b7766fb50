import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { connectDatabase, type Db } from '../../src/db/connect.js';
import { NotificationDispatcher } from '../../src/notify/dispatcher.js';
import { claimNotification } from '../../src/notify/notification.repository.js';
import { openServices } from '../../src/runtime.js';
import type { Services } from '../../src/services.js';
import { createScratchPostgres, type ScratchDatabase, TEST_DIALECT } from '../helpers/database.js';
import { merchantWithAccount, paidOrder } from './fixtures.js';
import { Receiver } from './receiver.js';

/**
 * Another instance, on its own connection, claims every row this dispatcher's first due-rows read
 * returned, after the read and before this dispatcher's claims: all of them are lost.
 */
class RivalClaimsFirstRead implements KyselyPlugin {
  private readonly dueReads = new Set<string>();
  private done = false;
  readonly stolen: number[] = [];

  constructor(private readonly rival: Db) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    // The due-rows query is the dispatcher's only one with a CTE.
    if (args.node.kind === 'SelectQueryNode' && args.node.with) this.dueReads.add(args.queryId.queryId);
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.done || !this.dueReads.has(args.queryId.queryId)) return args.result;
    this.done = true;
    const now = Date.now();
    for (const row of args.result.rows) {
      const id = Number(row.id);
      if (await claimNotification(this.rival.kysely, id, now, now + 60_000)) this.stolen.push(id);
    }
    return args.result;
  }
}

describe('a dispatcher pass', () => {
  const cleanup: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  /** Services on a fresh database with no dispatcher running, and hanging merchant receivers. */
  async function setup(env: Record<string, string>) {
    const scratch: ScratchDatabase | null =
      TEST_DIALECT === 'postgres' ? await createScratchPostgres() : null;
    const dir = mkdtempSync(join(tmpdir(), 'shouyin-pass-'));
    cleanup.push(async () => {
      await scratch?.drop();
      rmSync(dir, { recursive: true, force: true });
    });
    const config = loadConfig({
      DATABASE_URL: scratch ? scratch.url : `sqlite:${join(dir, 'shouyin.db')}`,
      LOG_LEVEL: 'silent',
      ALLOW_PRIVATE_CALLBACKS: '1',
      NOTIFY_TOTAL_TIMEOUT_MS: '10000',
      ...env,
    });
    const { services } = await openServices(config);
    cleanup.push(() => services.db.close());
    return { config, services };
  }

  async function hangingMerchant(services: Services) {
    const r = await Receiver.start();
    r.answer('hang');
    cleanup.push(() => r.close());
    const { merchant } = await merchantWithAccount(services, r.url);
    r.trust(merchant);
    return { r, merchant };
  }

  function start(services: Services, db: Db = services.db) {
    const d = new NotificationDispatcher({
      db,
      config: services.config,
      clock: services.clock,
      events: services.events,
    });
    // Runs before the receivers close (cleanup runs in reverse): hanging requests are cut.
    cleanup.push(() => d.stop(200));
    return d;
  }

  it('starts oldest rows first up to the per-host cap, and no more than the global cap in all', async () => {
    const { services } = await setup({ NOTIFY_CONCURRENCY: '3', NOTIFY_PER_HOST_CONCURRENCY: '2' });
    const a = await hangingMerchant(services);
    const b = await hangingMerchant(services);
    for (let i = 0; i < 3; i++) await paidOrder(services, a.merchant, 1000 + i);
    for (let i = 0; i < 3; i++) await paidOrder(services, b.merchant, 2000 + i);
    const d = start(services);
    d.wake();
    await a.r.until(() => a.r.requests.length === 2, 5000, 'host A at its cap');
    await b.r.until(() => b.r.requests.length === 1, 5000, 'host B in the last global slot');
    // Further passes find no free slot.
    d.wake();
    await new Promise((res) => setTimeout(res, 300));
    d.wake();
    await new Promise((res) => setTimeout(res, 300));
    expect([a.r.requests.length, b.r.requests.length]).toEqual([2, 1]);
  });

  it('reads again after losing claims to another instance, and starts the next due rows', async () => {
    const { config, services } = await setup({ NOTIFY_CONCURRENCY: '8', NOTIFY_PER_HOST_CONCURRENCY: '2' });
    const rival = await connectDatabase(config.databaseUrl);
    cleanup.push(() => rival.close());
    const m = await hangingMerchant(services);
    const orders = [];
    for (let i = 0; i < 4; i++) orders.push(await paidOrder(services, m.merchant, 1000 + i));
    const plugin = new RivalClaimsFirstRead(rival);
    const d = start(services, { ...services.db, kysely: services.db.kysely.withPlugin(plugin) });
    d.wake();
    await m.r.until(() => m.r.requests.length === 2, 5000, 'the rows after the lost ones');
    expect(plugin.stolen).toHaveLength(2);
    expect(m.r.requests.map((q) => Number(q.params.order_id))).toEqual([orders[2]!.id, orders[3]!.id]);
  });
});
