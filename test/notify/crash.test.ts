import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openServices } from '../../src/runtime.js';
import type { Order } from '../../src/orders/order.model.js';
import type { Services } from '../../src/services.js';
import { type ChildGateway, killHard, startChildGateway } from '../helpers/child-gateway.js';
import { createScratchPostgres, type ScratchDatabase, TEST_DIALECT } from '../helpers/database.js';
import { createOrder, eventually, merchantWithAccount } from './fixtures.js';
import { Receiver } from './receiver.js';

const ORDERS = 200;

describe('push network across a crash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shouyin-crash-'));
  const children: ChildGateway[] = [];
  let receiver: Receiver | undefined;
  let services: Services | undefined;
  let scratch: ScratchDatabase | null = null;

  afterAll(async () => {
    for (const c of children) await killHard(c);
    await receiver?.close();
    await services?.db.close();
    await scratch?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every paid order at least once and pays none twice after kill -9 mid-delivery', async () => {
    scratch = TEST_DIALECT === 'postgres' ? await createScratchPostgres() : null;
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: scratch ? scratch.url : `sqlite:${join(dir, 'shouyin.db')}`,
      LOG_LEVEL: 'silent',
      ALLOW_PRIVATE_CALLBACKS: '1',
      NOTIFY_RETRY_SCHEDULE: '0.2,0.2,0.5,1,1,2,2,2',
      NOTIFY_CONNECT_TIMEOUT_MS: '300',
      NOTIFY_TOTAL_TIMEOUT_MS: '500',
      NOTIFY_PER_HOST_CONCURRENCY: '8',
    };
    // This process shares the database, as the CLI would: it sets up the merchant and orders.
    services = (await openServices(loadConfig(env))).services;
    receiver = await Receiver.start();
    const r = receiver;
    r.answer({ delayMs: 100, then: 'success' });
    const { merchant } = await merchantWithAccount(services, r.url);
    r.trust(merchant);
    const orders: Order[] = [];
    for (let i = 0; i < ORDERS; i++) orders.push(await createOrder(services, merchant, 100 + i));

    // First instance: payments stream in while notifications go out; killed half way.
    const first = await startChildGateway(env);
    children.push(first);
    const streaming = (async () => {
      for (const o of orders) {
        if (first.proc.exitCode !== null || first.proc.signalCode !== null) return;
        first.send(`pay ${o.id}`);
        await new Promise((res) => setTimeout(res, 4));
      }
    })();
    await r.until(() => r.requests.length >= 30, 15_000, 'the first instance to deliver');
    await killHard(first);
    await streaming;
    const db = services.db.kysely;
    const atKill = await db
      .selectFrom('notifications')
      .select(['state', sql<number>`count(*)`.as('n')])
      .groupBy('state')
      .execute();
    // The kill really happened mid-way: some rows were still waiting or in flight.
    const delivered = Number(atKill.find((s) => s.state === 'delivered')?.n ?? 0);
    expect(delivered).toBeLessThan(ORDERS);

    // Second instance on the same file; the monitor repeats every report it is unsure of.
    const second = await startChildGateway(env);
    children.push(second);
    for (const o of orders) second.send(`pay ${o.id}`);

    const valid = (orderId: number) => r.forOrder(orderId).some((q) => q.signValid && q.webhookValid);
    await r.until(() => orders.every((o) => valid(o.id)), 30_000, 'a valid notification for every order');
    await eventually(
      () => db.selectFrom('notifications').select('state').where('state', '!=', 'delivered').execute(),
      (rows) => rows.length === 0,
      15_000,
      'every row delivered',
    );

    const paid = await db.selectFrom('orders').select(['id', 'status']).execute();
    expect(paid.filter((o) => o.status === 'paid')).toHaveLength(ORDERS);
    const payments = await db
      .selectFrom('payments')
      .select(['order_id', sql<number>`count(*)`.as('n')])
      .groupBy('order_id')
      .execute();
    expect(payments).toHaveLength(ORDERS);
    expect(payments.every((p) => Number(p.n) === 1)).toBe(true);
    const rows = await db
      .selectFrom('notifications')
      .select(['order_id', sql<number>`count(*)`.as('n')])
      .groupBy('order_id')
      .execute();
    expect(rows).toHaveLength(ORDERS);
    expect(rows.every((n) => Number(n.n) === 1)).toBe(true);
    // Duplicates are allowed (at-least-once); each one carries the same webhook-id.
    for (const o of orders) {
      expect(new Set(r.forOrder(o.id).map((q) => q.headers['webhook-id'])).size).toBe(1);
    }

    second.proc.kill('SIGTERM');
    await new Promise((res) => second.proc.once('exit', res));
    expect(second.proc.exitCode).toBe(0);
  }, 60_000);
});
