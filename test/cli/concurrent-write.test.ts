import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openServices } from '../../src/runtime.js';
import { startChildGateway } from '../helpers/child-gateway.js';
import { call, createParams, type MerchantCreds } from '../helpers/gatepay.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { json, SLOW, shouyin } from './shouyin.js';

/** Bounds of the order-creation load: connections at once, and orders in all. */
const CONCURRENCY = 8;
const MAX_ORDERS = 3000;

// Two processes on one SQLite file; on PostgreSQL row locks make this a non-question.
describe.skipIf(TEST_DIALECT === 'postgres')('shouyin CLI writing beside a busy gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shouyin-cli-load-'));
  const path = join(dir, 'shouyin.db');
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: `sqlite:${path}`,
    LOG_LEVEL: 'silent',
    ALLOW_PRIVATE_CALLBACKS: '1',
  };
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'succeeds at every write command while the gateway creates orders on the same file',
    async () => {
      const { services, db } = await openServices(loadConfig(env));
      const m = await services.merchants.add({
        name: 'Busy',
        notifyUrl: 'http://127.0.0.1:9/n',
        returnUrl: 'http://127.0.0.1:9/r',
      });
      const account = await services.accounts.add({
        merchantId: m.id,
        type: 'alipay',
        name: 'A',
        qrContent: 'https://qr.alipay.com/busy',
      });
      await db.close();
      const creds: MerchantCreds = { appkey: m.appkey, appsecret: m.appsecret };
      const started = await startChildGateway(env);
      child = started.proc;

      let created = 0;
      let refused = 0;
      let stop = false;
      const loads = Array.from({ length: CONCURRENCY }, async (_, worker) => {
        for (let i = 0; !stop && created + refused < MAX_ORDERS; i++) {
          // Prices 1.00–400.00 spread the orders over many slots, so none runs out.
          const price = String(1 + ((i * CONCURRENCY + worker) % 400));
          const p = createParams(creds, {
            price,
            type: 'alipay',
            out_order_id: `w${worker}-${i}`,
            custom: '',
          });
          const res = await call(started.url, '/api/anypay/create', p);
          if (res.body?.code === 100) created++;
          else refused++;
        }
      });
      while (created === 0) await new Promise((r) => setTimeout(r, 20));
      const ro0 = new SQLite(path, { readonly: true });
      const firstOrder = (ro0.prepare('select min(id) as id from orders').get() as { id: number }).id;
      ro0.close();

      const createdBefore = created;
      const runs = await Promise.all([
        shouyin(`merchant set ${m.id} --order-ttl 120 --json`, env),
        shouyin(`account set ${account.id} --name Renamed --json`, env),
        shouyin(
          'merchant add --name Second --notify-url http://a.example/n --return-url http://a.example/r --json',
          env,
        ),
        shouyin(`product add --merchant ${m.id} --name Tea --price 9.9 --category Drinks --json`, env),
        shouyin(`simulate pay --order ${firstOrder} --json`, env),
      ]);
      const createdDuring = created - createdBefore;
      stop = true;
      await Promise.all(loads);

      for (const r of runs) json(r); // exit 0 and JSON out, or the failure's stderr
      expect(json(runs[4]!)).toMatchObject({ outcome: 'paid', orderId: firstOrder });
      // The CLI wrote under load, not beside an idle gateway.
      expect(createdDuring).toBeGreaterThan(50);
      expect(refused).toBe(0);

      const ro = new SQLite(path, { readonly: true });
      expect(ro.prepare('select order_ttl from merchants where id = ?').get(m.id)).toEqual({
        order_ttl: 120,
      });
      expect(ro.prepare('select name from accounts where id = ?').get(account.id)).toEqual({
        name: 'Renamed',
      });
      expect(ro.prepare("select count(*) as n from merchants where name = 'Second'").get()).toEqual({ n: 1 });
      expect(ro.prepare("select count(*) as n from products where name = 'Tea'").get()).toEqual({ n: 1 });
      expect(ro.prepare('select count(*) as n from orders').get()).toEqual({ n: created });
      ro.close();
    },
    SLOW,
  );
});
