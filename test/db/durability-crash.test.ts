import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { CommitStats } from '../../src/db/tx.js';
import { openServices } from '../../src/runtime.js';
import type { Services } from '../../src/services.js';
import { type ChildGateway, killHard, startChildGateway } from '../helpers/child-gateway.js';
import { type Answer, call, createParams } from '../helpers/gatepay.js';
import { MonitorClient, type MonitorReply } from '../monitor/monitor-client.js';

/**
 * An answered request is committed: a gateway killed with `kill -9` the moment it has answered
 * keeps, after a restart, every order and payment it acknowledged.
 *
 * A power cut cannot be simulated here: `kill -9` loses what the process had not yet handed to
 * SQLite, not what the OS had not yet written to the disk. That the commits are fsynced before
 * the answer rests on `synchronous = FULL`, which sqlite-pragmas.test.ts reads back from the
 * connection; this test shows that nothing is answered before it is committed.
 */
describe.runIf(process.env.SHOUYIN_TEST_DB !== 'postgres')('durability across kill -9', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shouyin-durable-'));
  const children: ChildGateway[] = [];
  let services: Services | undefined;
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: `sqlite:${join(dir, 'shouyin.db')}`,
    LOG_LEVEL: 'silent',
    ALLOW_PRIVATE_CALLBACKS: '1',
  };

  afterAll(async () => {
    for (const c of children) await killHard(c);
    await services?.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start() {
    const child = await startChildGateway(env);
    children.push(child);
    return child;
  }

  /** The child's commit counters (the `stats` command of test/notify/child-gateway.ts). */
  function stats(child: ChildGateway): Promise<CommitStats> {
    const lines = createInterface({ input: child.proc.stdout! });
    return new Promise((resolve) => {
      lines.on('line', (line) => {
        if (!line.startsWith('{"commits"')) return;
        lines.close();
        resolve((JSON.parse(line) as { commits: CommitStats }).commits);
      });
      child.send('stats');
    });
  }

  /**
   * Sends every request at once and kills the child with SIGKILL in the same callback that sees
   * the `n`-th good answer, while the rest are still in flight. Returns the good answers.
   */
  async function killAfter<T>(
    child: ChildGateway,
    n: number,
    sends: Array<() => Promise<T>>,
    good: (a: T) => boolean,
  ) {
    const answered: T[] = [];
    await Promise.all(
      sends.map((send) =>
        send().then(
          (a) => {
            if (answered.length >= n || !good(a)) return;
            answered.push(a);
            if (answered.length === n) child.proc.kill('SIGKILL');
          },
          () => {}, // cut off by the kill
        ),
      ),
    );
    await killHard(child);
    return answered;
  }

  it('keeps every order and payment it answered for when killed right after answering', async () => {
    const n = 40;
    services = (await openServices(loadConfig(env))).services;
    const merchant = await services.merchants.add({
      name: 'Durable shop',
      notifyUrl: 'http://127.0.0.1:9/notify',
      returnUrl: 'http://127.0.0.1:9/return',
    });
    const account = await services.accounts.add({
      merchantId: merchant.id,
      type: 'alipay',
      name: 'alipay',
      qrContent: 'https://qr.example/alipay',
    });
    await services.db.close();
    services = undefined;
    const create = (url: string, out: string, price: number) => () =>
      call(
        url,
        '/api/anypay/create',
        createParams(merchant, { price: String(price), type: 'alipay', out_order_id: out, custom: '' }),
      );

    // A gateway in its own process, requests from this one: those that arrive together share COMMITs.
    const first = await start();
    const before = await stats(first);
    const warm = await Promise.all(
      Array.from({ length: n }, (_, i) => create(first.url, `warm-${i}`, 1 + i)()),
    );
    for (const w of warm) expect(w.body?.code, w.text).toBe(100);
    const after = await stats(first);
    expect(after.transactions - before.transactions).toBeGreaterThanOrEqual(n);
    expect(after.commits - before.commits).toBeLessThan(n);

    // 2n creations at once; killed the moment n have been answered.
    const created = await killAfter(
      first,
      n,
      Array.from({ length: 2 * n }, (_, i) => create(first.url, `crash-${i}`, 100 + i)),
      (a: Answer) => a.body?.code === 100,
    );
    expect(created).toHaveLength(n);

    // Restarted on the same file: report a payment for each answered order; killed after n/2 acks.
    const second = await start();
    const monitor = new MonitorClient(second.url, account.id, account.monitorKey, Date.now);
    const acked = await killAfter(
      second,
      n / 2,
      created.map(
        (c) => () =>
          monitor
            .payments([
              {
                id: `bill-${c.body!.data.order_id}`,
                type: 'alipay',
                amount: c.body!.data.realprice,
                paid_at: Math.floor(Date.now() / 1000),
              },
            ])
            .then((r) => ({ r, orderId: Number(c.body!.data.order_id) })),
      ),
      (a: { r: MonitorReply }) => a.r.status === 200 && a.r.body.results?.[0]?.result === 'matched',
    );
    expect(acked).toHaveLength(n / 2);

    // What a restart finds on disk.
    services = (await openServices(loadConfig(env))).services;
    const k = services.db.kysely;
    const ids = created.map((c) => Number(c.body!.data.order_id));
    const orders = await k
      .selectFrom('orders')
      .select(['id', 'out_order_id', 'realprice_cents'])
      .where('id', 'in', ids)
      .execute();
    expect(orders.map((o) => Number(o.id)).sort()).toEqual([...ids].sort());
    const paidIds = acked.map((a) => a.orderId);
    const paid = await k
      .selectFrom('orders')
      .innerJoin('payments', 'payments.id', 'orders.payment_id')
      .select(['orders.id', 'orders.status', 'payments.reporter_id'])
      .where('orders.id', 'in', paidIds)
      .execute();
    expect(paid).toHaveLength(paidIds.length);
    for (const p of paid) expect([p.status, p.reporter_id]).toEqual(['paid', `api:bill-${p.id}`]);
    const outbox = await k
      .selectFrom('notifications')
      .select('order_id')
      .where('order_id', 'in', paidIds)
      .execute();
    expect(outbox).toHaveLength(paidIds.length);
  }, 60_000);
});
