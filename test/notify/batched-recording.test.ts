import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { NotificationDispatcher } from '../../src/notify/dispatcher.js';
import { openServices } from '../../src/runtime.js';
import type { Services } from '../../src/services.js';
import { createScratchPostgres, TEST_DIALECT } from '../helpers/database.js';
import { eventually, merchantWithAccount, paidOrder } from './fixtures.js';

/**
 * A merchant endpoint that holds every request until `expected` have arrived, then answers them
 * all in the same turn of its event loop (body by order id, `success` by default): attempts that
 * end together.
 */
async function answerAllAtOnce(expected: number, bodies: Map<string, string> = new Map()) {
  const held: Array<{ res: ServerResponse; orderId: string }> = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      held.push({ res, orderId: new URLSearchParams(raw).get('order_id') ?? '' });
      if (held.length < expected) return;
      for (const h of held.splice(0)) h.res.end(bodies.get(h.orderId) ?? 'success');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('push network: claims and attempt records in batches', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function setup(n: number, bodies?: Map<string, string>) {
    const scratch = TEST_DIALECT === 'postgres' ? await createScratchPostgres() : null;
    const dir = mkdtempSync(join(tmpdir(), 'shouyin-batch-'));
    cleanup.push(async () => {
      await scratch?.drop();
      rmSync(dir, { recursive: true, force: true });
    });
    const { services } = await openServices(
      loadConfig({
        DATABASE_URL: scratch ? scratch.url : `sqlite:${join(dir, 'shouyin.db')}`,
        LOG_LEVEL: 'silent',
        ALLOW_PRIVATE_CALLBACKS: '1',
        NOTIFY_PER_HOST_CONCURRENCY: '64',
        NOTIFY_RETRY_SCHEDULE: '60',
      }),
    );
    cleanup.push(() => services.db.close());
    const endpoint = await answerAllAtOnce(n, bodies);
    cleanup.push(endpoint.close);
    const { merchant } = await merchantWithAccount(services, endpoint.url);
    // No dispatcher runs yet: the rows wait, all due.
    const orders = [];
    for (let i = 0; i < n; i++) orders.push(await paidOrder(services, merchant, 1000 + i));
    return { services, orders };
  }

  function start(services: Services, opts: { wake?: boolean } = {}) {
    const d = new NotificationDispatcher({
      db: services.db,
      config: services.config,
      clock: services.clock,
      events: services.events,
    });
    cleanup.push(() => d.stop(1000));
    if (opts.wake !== false) d.wake();
    return d;
  }

  const rowsOf = (services: Services, ids: number[]) =>
    services.db.kysely
      .selectFrom('notifications as n')
      .innerJoin('notify_attempts as a', 'a.notification_id', 'n.id')
      .select(['n.order_id', 'n.state', 'n.attempts', 'n.lease_until', 'n.last_error', 'a.response_snippet'])
      .where('n.order_id', 'in', ids)
      .orderBy('n.order_id')
      .execute();

  it('claims the due rows of a pass in one write and stores attempts that end together in one transaction', async () => {
    const n = 20;
    const { services, orders } = await setup(n);
    const ids = orders.map((o) => o.id);
    const before = services.db.commits.transactions;
    start(services);
    const rows = await eventually(
      () => rowsOf(services, ids),
      (r) => r.length === n && r.every((x) => x.state === 'delivered'),
      10_000,
      'every row delivered',
    );
    for (const r of rows) {
      expect(r).toMatchObject({
        state: 'delivered',
        attempts: 1,
        last_error: '',
        response_snippet: 'success',
      });
      expect(Number(r.lease_until)).toBe(0);
    }
    // One claim and one record, where each row used to take a claim and a transaction of its own.
    expect(services.db.commits.transactions - before).toBe(2);
  });

  it('stores the rest of a batch with their answers when one attempt cannot be stored, and that one without its answer', async () => {
    const n = 4;
    const bodies = new Map<string, string>();
    const { services, orders } = await setup(n, bodies);
    const refused = orders[1]!.id;
    bodies.set(String(refused), 'refuse-me');
    const db = services.db.kysely;
    if (services.db.dialect === 'postgres') {
      await sql`create function refuse_snippets() returns trigger language plpgsql as $$
        begin
          if new.response_snippet = 'refuse-me' then raise exception 'snippet refused'; end if;
          return new;
        end $$`.execute(db);
      await sql`create trigger refuse_snippets before insert on notify_attempts
        for each row execute function refuse_snippets()`.execute(db);
    } else {
      await sql`create trigger refuse_snippets before insert on notify_attempts
        when new.response_snippet = 'refuse-me' begin select raise(abort, 'snippet refused'); end`.execute(
        db,
      );
    }
    start(services);
    const rows = await eventually(
      () =>
        rowsOf(
          services,
          orders.map((o) => o.id),
        ),
      (r) => r.length === n,
      10_000,
      'an attempt row for every order',
    );
    for (const r of rows) {
      if (Number(r.order_id) === refused) {
        expect(r).toMatchObject({ state: 'pending', attempts: 1, response_snippet: '' });
        expect(r.last_error).toMatch(/^answer not stored: .*snippet refused/);
      } else {
        expect(r).toMatchObject({
          state: 'delivered',
          attempts: 1,
          last_error: '',
          response_snippet: 'success',
        });
      }
    }
  });

  it('counts both attempts when two resends of one row end together', async () => {
    const { services, orders } = await setup(2);
    const order = orders[0]!;
    // Only the manual attempts run: no pass is started.
    const d = start(services, { wake: false });
    const reports = await Promise.all([d.resend(order.id), d.resend(order.id)]);
    for (const r of reports) expect(r).toMatchObject({ state: 'delivered', trigger: 'manual' });
    const rows = await rowsOf(services, [order.id]);
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r).toMatchObject({ state: 'delivered', attempts: 2 });
  });
});
