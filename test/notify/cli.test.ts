import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createOrder, eventually, merchantWithAccount, outbox, paidOrder } from './fixtures.js';
import { Receiver } from './receiver.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function cli(env: Record<string, string>, ...args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['bin/shouyin.js', ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('shouyin notify', () => {
  let gw: TestGateway;
  let r: Receiver;

  beforeAll(async () => {
    gw = await startTestGateway({
      env: {
        NOTIFY_RETRY_SCHEDULE: '0.05',
        NOTIFY_CONNECT_TIMEOUT_MS: '300',
        NOTIFY_TOTAL_TIMEOUT_MS: '500',
      },
    });
    r = await Receiver.start();
  });
  afterAll(async () => {
    await r.close();
    await gw.close();
  });

  it('lists notifications and resends a failed one by hand: still failed on "fail", delivered on "success"', async () => {
    r.answer('fail');
    const { merchant } = await merchantWithAccount(gw.services, r.url);
    r.trust(merchant);
    const order = await paidOrder(gw.services, merchant);
    const unpaid = await createOrder(gw.services, merchant, 4321);
    await eventually(
      () => outbox(gw.services, order.id),
      (o) => o.n.state === 'failed',
      5000,
      'the schedule to run out',
    );

    // The CLI process sends the manual attempt itself; a failure leaves the row failed.
    const again = await cli(gw.env, 'notify', 'resend', String(order.id), '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      order_id: order.id,
      trigger: 'manual',
      status: 200,
      state: 'failed',
      error: 'answer "fail" is not "success"',
    });
    r.answer('success');
    const ok = await cli(gw.env, 'notify', 'resend', String(order.id), '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      trigger: 'manual',
      status: 200,
      state: 'delivered',
      error: '',
    });

    const { n, attempts } = await outbox(gw.services, order.id);
    expect(n.state).toBe('delivered');
    expect(attempts.map((a) => a.trigger)).toEqual(['scheduled', 'scheduled', 'manual', 'manual']);
    expect(r.forOrder(order.id)).toHaveLength(4);
    expect(r.forOrder(order.id).every((q) => q.signValid && q.webhookValid)).toBe(true);

    const list = await cli(
      gw.env,
      'notify',
      'list',
      '--order',
      String(order.id),
      '--state',
      'delivered',
      '--attempts',
      '--json',
    );
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as Array<Record<string, unknown> & { attempt_log: unknown[] }>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      order_id: order.id,
      out_order_id: order.outOrderId,
      webhook_id: n.webhook_id,
      state: 'delivered',
      attempts: 4,
      next_attempt_at: null,
      last_error: '',
    });
    expect(rows[0]!.attempt_log).toHaveLength(4);
    expect(rows[0]!.attempt_log[0]).toMatchObject({
      trigger: 'scheduled',
      status: 200,
      response: 'fail',
      error: 'answer "fail" is not "success"',
    });
    expect(rows[0]!.attempt_log[3]).toMatchObject({ trigger: 'manual', status: 200, response: 'success' });

    // Only paid orders are notified.
    const refused = await cli(gw.env, 'notify', 'resend', String(unpaid.id));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `error: order ${unpaid.id} is unpaid, not paid: only paid orders are notified\n`,
    );
    expect(r.forOrder(unpaid.id)).toHaveLength(0);
  }, 60_000);

  it('refuses an unknown state filter', async () => {
    const bad = await cli(gw.env, 'notify', 'list', '--state', 'lost');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('error: state must be pending, delivered or failed\n');
  }, 30_000);
});
