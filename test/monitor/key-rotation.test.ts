import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { addAccount, addMerchant, cli, cliJson, createOrder, findOrder } from './fixtures.js';
import { MonitorClient } from './monitor-client.js';
import { VmqApp } from './vmq-app.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `node bin/shouyin.js …` as its own process, as an operator runs it beside the server. */
function shouyin(argv: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['bin/shouyin.js', ...argv],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        timeout: 60_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

const OK = { code: 1, msg: '成功', data: null };
const BAD_SIGN = { code: -1, msg: '签名校验不通过' };

describe('monitor key rotation', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  const paymentCount = async (accountId: number) =>
    (await gw.services.payments.list({ accountId, limit: 10_000 })).length;

  it('refuses the old key at once on the monitor API and the V免签 paths after `account rotate-key` in another process', async () => {
    const m = await addMerchant(gw.services);
    const acc = await addAccount(gw.services, m.id, 'alipay', 'rotated');
    const host = new URL(gw.url).host;
    const oldKey = acc.monitorKey;
    const oldApi = new MonitorClient(gw.url, acc.id, oldKey, Date.now);
    const oldApp = new VmqApp(`${host}/${oldKey}`, Date.now);

    // The server knows the old key: the V免签 index has it in memory and this address as a hint.
    expect((await oldApi.heartbeat()).status).toBe(200);
    expect((await oldApp.heartbeat()).body).toEqual(OK);
    const o1 = await createOrder(gw.url, m, { price: '11', type: 'alipay', out: 'rot-1' });
    expect((await oldApp.push(2, 1100)).body).toEqual(OK);
    expect((await findOrder(gw.url, m, 'rot-1')).data.order_status).toBe('paid');
    expect(o1.code).toBe(100);

    const run = await shouyin(['account', 'rotate-key', String(acc.id), '--json'], {
      ...gw.env,
      LOG_LEVEL: 'silent',
    });
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.key).toMatch(/^[0-9a-f]{32}$/);
    expect(out.key).not.toBe(oldKey);
    expect(out).toMatchObject({ account_id: acc.id, pairing: `${host}/${out.key}`, host });

    // Old key, straight after: refused everywhere, nothing recorded.
    await createOrder(gw.url, m, { price: '12', type: 'alipay', out: 'rot-2' });
    const before = await paymentCount(acc.id);
    expect((await oldApi.heartbeat()).body.error).toBe('bad_signature');
    expect(
      (
        await oldApi.payments([
          { id: 'old-1', type: 'alipay', amount: '12.00', paid_at: Math.floor(Date.now() / 1000) },
        ])
      ).body.error,
    ).toBe('bad_signature');
    expect((await oldApp.heartbeat()).body).toEqual(BAD_SIGN);
    expect((await oldApp.push(2, 1200)).body).toEqual(BAD_SIGN);
    expect(await paymentCount(acc.id)).toBe(before);
    expect((await findOrder(gw.url, m, 'rot-2')).data.order_status).toBe('unpaid');

    // The new key and pairing string work.
    const newApi = new MonitorClient(gw.url, acc.id, out.key, Date.now);
    expect((await newApi.heartbeat()).status).toBe(200);
    const newApp = new VmqApp(out.pairing, Date.now);
    expect((await newApp.heartbeat()).body).toEqual(OK);
    expect((await newApp.push(2, 1200)).body).toEqual(OK);
    expect((await findOrder(gw.url, m, 'rot-2')).data.order_status).toBe('paid');
  }, 90_000);

  it('refuses at once a V免签 account whose protocol another process turned off', async () => {
    const m = await addMerchant(gw.services);
    const acc = await addAccount(gw.services, m.id, 'alipay', 'vmq-off');
    const app = new VmqApp(`${new URL(gw.url).host}/${acc.monitorKey}`, Date.now);
    expect((await app.heartbeat()).body).toEqual(OK);
    // `cli` opens its own services, as another process would: the server hears nothing of it.
    expect((await cli(gw.env, ['account', 'set', String(acc.id), '--vmq', '0'])).code).toBe(0);
    expect((await app.heartbeat()).body).toEqual(BAD_SIGN);
    expect((await app.push(2, 4321)).body).toEqual(BAD_SIGN);
    expect(await paymentCount(acc.id)).toBe(0);
  });

  it('prints the new key and pairing string, audits the rotation without the key, and refuses bad ids', async () => {
    const m = await addMerchant(gw.services);
    const acc = await addAccount(gw.services, m.id, 'wechat', 'printed');
    const r = await cli(gw.env, ['account', 'rotate-key', String(acc.id)]);
    expect(r.code).toBe(0);
    const key = (await gw.services.accounts.get(acc.id)).monitorKey;
    expect(key).not.toBe(acc.monitorKey);
    expect(r.stdout).toMatch(new RegExp(`^key\\s+${key}$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^pairing\\s+${new URL(gw.url).host}/${key}$`, 'm'));

    const audit = await cliJson(gw.env, ['audit', 'list', '--subject', `account:${acc.id}`]);
    expect(audit.json[0]).toMatchObject({ action: 'account.rotate_key', subject: `account:${acc.id}` });
    expect(JSON.stringify(audit.json)).not.toContain(key);
    expect(JSON.stringify(audit.json)).not.toContain(acc.monitorKey);

    const unknown = await cli(gw.env, ['account', 'rotate-key', '999999']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: account 999999 not found/);
    const bad = await cli(gw.env, ['account', 'rotate-key', 'abc']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: account ID must be a positive whole number/);
    expect((await gw.services.accounts.get(acc.id)).monitorKey).toBe(key);
  });
});
