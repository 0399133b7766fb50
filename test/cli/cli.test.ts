import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openServices } from '../../src/runtime.js';
import { call, createParams, findOrderParams } from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/shouyin.js …` as a child process with only the given configuration. `args` is
 * an argv array, or a string split on spaces when no value contains one.
 */
function shouyin(args: string | string[], env: Record<string, string>): Promise<Run> {
  const argv = typeof args === 'string' ? args.split(' ') : args;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/shouyin.js', ...argv],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'silent', ...env },
        timeout: 30_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The JSON a successful `--json` command printed. */
const json = (r: Run) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, any>;
};

const sqliteEnv = (path: string) => ({ DATABASE_URL: `sqlite:${path}` });

/** Each CLI start-up costs about a second of tsx; on a busy machine several. */
const SLOW = 90_000;

describe('shouyin CLI on its own SQLite file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shouyin-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'creates the schema on a fresh database and reports the migrations it applied',
    async () => {
      const path = join(dir, 'fresh', 'shouyin.db');
      const out = json(await shouyin('migrate --json', sqliteEnv(path)));
      const db = new SQLite(path, { readonly: true });
      const tables = db.prepare("select name from sqlite_master where type = 'table'").all() as Array<{
        name: string;
      }>;
      db.close();
      expect(tables.map((t) => t.name)).toEqual(
        expect.arrayContaining(['merchants', 'accounts', 'orders', 'slots', 'payments', 'notifications']),
      );
      expect(out.applied).toEqual(expect.arrayContaining(['001_init']));
    },
    SLOW,
  );

  it(
    'adds a merchant, changes and shows its settings, adds an account and a product',
    async () => {
      const path = join(dir, 'shop', 'shouyin.db');
      const env = sqliteEnv(path);
      const added = json(
        await shouyin(
          'merchant add --name CLI-shop --notify-url https://shop.example.com/n --return-url https://shop.example.com/r --json',
          env,
        ),
      );
      expect(added).toMatchObject({ id: 1, name: 'CLI-shop' });
      expect(added.appkey).toMatch(/^[0-9a-f]{32}$/);
      expect(added.appsecret).toMatch(/^[0-9a-f]{64}$/);

      const set = json(
        await shouyin('merchant set 1 --order-ttl 60 --offset-direction up --max-offset 0.5 --json', env),
      );
      expect(set).toMatchObject({ id: 1, orderTtl: 60, offsetDirection: 'up', maxOffsetCents: 50 });
      expect(set).not.toHaveProperty('appsecret');

      const [show, account, product] = (
        await Promise.all([
          shouyin('merchant show 1 --json', env),
          shouyin('account add --merchant 1 --type wechat --name WeChat-A --qr wxp://f2f0abc --json', env),
          shouyin('product add --merchant 1 --name Tea --price 9.9 --stock 3 --category Drinks --json', env),
        ])
      ).map(json) as [Record<string, any>, Record<string, any>, Record<string, any>];
      expect(show).toMatchObject({
        id: 1,
        appkey: added.appkey,
        appsecret: added.appsecret,
        notifyUrl: 'https://shop.example.com/n',
        returnUrl: 'https://shop.example.com/r',
        orderTtl: 60,
        offsetDirection: 'up',
        maxOffset: '0.50',
        enabled: true,
      });
      expect(account).toMatchObject({ id: 1, merchant_id: 1, type: 'wechat', name: 'WeChat-A' });
      expect(account.monitor_key).toMatch(/^[0-9a-f]{32}$/);
      expect(product).toEqual({ id: 1 });

      const db = new SQLite(path, { readonly: true });
      expect(db.prepare('select appsecret, order_ttl from merchants where id = 1').get()).toEqual({
        appsecret: added.appsecret,
        order_ttl: 60,
      });
      expect(db.prepare('select price_cents, stock from products where id = 1').get()).toEqual({
        price_cents: 990,
        stock: 3,
      });
      db.close();
    },
    SLOW,
  );

  it(
    'refuses bad input with exit code 1 or 2, a clear message, and stores nothing',
    async () => {
      const path = join(dir, 'bad', 'shouyin.db');
      const env = sqliteEnv(path);
      const opened = await openServices(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
      const m = await opened.services.merchants.add({
        name: 'Keep',
        notifyUrl: 'http://a.example/n',
        returnUrl: 'http://a.example/r',
      });
      await opened.db.close();
      const rows = () => {
        const db = new SQLite(path, { readonly: true });
        const n = (t: string) => (db.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n;
        const out = {
          merchants: n('merchants'),
          accounts: n('accounts'),
          products: n('products'),
          ttl: db.prepare('select order_ttl from merchants where id = ?').get(m.id),
        };
        db.close();
        return out;
      };
      const before = rows();

      const cases: Array<[string | string[], number, RegExp]> = [
        [
          'merchant add --notify-url http://a.example/n --return-url http://a.example/r',
          1,
          /--name is required/,
        ],
        [
          [
            'merchant',
            'add',
            '--name',
            'X',
            '--notify-url',
            'not a url',
            '--return-url',
            'http://a.example/r',
          ],
          1,
          /notify-url must be an http\(s\) URL/,
        ],
        [`merchant set ${m.id} --order-ttl 5`, 1, /order-ttl must be 60–3600 seconds/],
        ['merchant add --name X --bogus 1', 2, /Unknown option '--bogus'/],
      ];
      const runs = await Promise.all([
        ...cases.map(([args]) => shouyin(args, env)),
        shouyin('account add --merchant 999 --type alipay --name A --qr q --json', env),
      ]);
      cases.forEach(([args, code, message], i) => {
        const r = runs[i]!;
        expect(r.code, `${String(args)}: ${r.stderr}`).toBe(code);
        expect(r.stderr, String(args)).toMatch(message);
        expect(r.stderr, String(args)).not.toMatch(/\n\s+at /); // no stack trace
      });
      // An unknown merchant; with --json the refusal is JSON on stdout.
      const unknown = runs.at(-1)!;
      expect(unknown.code).toBe(1);
      expect(JSON.parse(unknown.stdout)).toEqual({
        error: 'NotFoundError',
        message: 'merchant 999 not found',
      });
      expect(rows()).toEqual(before);
    },
    SLOW,
  );
});

describe('shouyin CLI beside a running gateway', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it(
    'provisions a merchant the running gateway serves at once, and simulates payments for it',
    async () => {
      const m = json(
        await shouyin(
          'merchant add --name Live --notify-url http://127.0.0.1:9/n --return-url http://127.0.0.1:9/r --json',
          gw.env,
        ),
      );
      const account = await gw.services.accounts.add({
        merchantId: m.id as number,
        type: 'alipay',
        name: 'A',
        qrContent: 'https://qr.alipay.com/x',
      });
      const creds = { appkey: m.appkey as string, appsecret: m.appsecret as string };
      const create = async (out: string) => {
        const p = createParams(creds, { price: '10', type: 'alipay', out_order_id: out, custom: '' });
        const res = await call(gw.url, '/api/anypay/create', p);
        expect(res.body!.code, res.body!.msg).toBe(100);
        return res.body!.data as { order_id: number; realprice: string };
      };

      const first = await create('live-1');
      expect(first.realprice).toBe('10.00');
      const byOrder = json(await shouyin(`simulate pay --order ${first.order_id} --json`, gw.env));
      expect(byOrder).toMatchObject({
        outcome: 'paid',
        orderId: first.order_id,
        order: { status: 'paid', realprice: '10.00' },
      });
      const found = await call(gw.url, '/api/find/findOrder', findOrderParams(creds, 'live-1'));
      expect(found.body!.data.order_status).toBe('paid');

      const second = await create('live-2');
      expect(second.realprice).toBe('10.00');
      const byAmount = json(
        await shouyin(`simulate pay --account ${account.id} --type alipay --amount 10.00 --json`, gw.env),
      );
      expect(byAmount).toMatchObject({
        outcome: 'paid',
        orderId: second.order_id,
        order: { status: 'paid' },
      });
      const payments = await gw.services.db.kysely
        .selectFrom('payments')
        .select(['order_id', 'source'])
        .orderBy('id')
        .execute();
      expect(payments.map((p) => [Number(p.order_id), p.source])).toEqual([
        [first.order_id, 'simulate'],
        [second.order_id, 'simulate'],
      ]);
    },
    SLOW,
  );
});
