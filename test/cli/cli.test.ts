import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { MIGRATIONS } from '../../src/db/migrate.js';
import { openServices } from '../../src/runtime.js';
import { call, createParams, findOrderParams } from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { json, SLOW, shouyin, sqliteEnv } from './shouyin.js';

describe('shouyin CLI on its own SQLite file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shouyin-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'creates the schema on a fresh database once when two `shouyin migrate` start together',
    async () => {
      const path = join(dir, 'fresh', 'shouyin.db');
      const outs = (
        await Promise.all([
          shouyin('migrate --json', sqliteEnv(path)),
          shouyin('migrate --json', sqliteEnv(path)),
        ])
      ).map(json);
      for (const out of outs) expect(out).toMatchObject({ database: path, state: 'up to date' });
      // One applied every migration, the other found nothing left to do.
      const [out, other] = outs.sort((a, b) => b.applied.length - a.applied.length) as [
        Record<string, any>,
        Record<string, any>,
      ];
      expect(other.applied).toEqual([]);
      const db = new SQLite(path, { readonly: true });
      const tables = db.prepare("select name from sqlite_master where type = 'table'").all() as Array<{
        name: string;
      }>;
      db.close();
      expect(tables.map((t) => t.name)).toEqual(
        expect.arrayContaining(['merchants', 'accounts', 'orders', 'slots', 'payments', 'notifications']),
      );
      expect(out.applied).toEqual(Object.keys(MIGRATIONS));
    },
    SLOW,
  );

  it(
    'adds a merchant, changes and shows its settings, adds an account and a product',
    async () => {
      const path = join(dir, 'shop', 'shouyin.db');
      const env = sqliteEnv(path);
      json(await shouyin('migrate --json', env));
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
        message: `merchant 999 not found (database ${path})`,
        database: path,
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
