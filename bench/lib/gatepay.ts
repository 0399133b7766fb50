import { createHash } from 'node:crypto';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../../src/config.js';
import { connectDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createServices } from '../../src/services.js';
import type { BenchContext } from './types.js';

/**
 * The merchant-API fixture shared by the `create` and `seeded` sections: a template database
 * (migrated, merchants and receiving accounts added through the real services), copied for each
 * scenario, and a pool of signed create bodies prepared before any clock starts.
 */

export const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** md5(md5(appkey + fields…) + appsecret), written here independently of src/. */
export function gatepaySign(appkey: string, fields: readonly string[], appsecret: string): string {
  return md5(md5(appkey + fields.join('')) + appsecret);
}

export interface FixtureAccount {
  id: number;
  type: 'alipay' | 'wechat';
}

export interface FixtureMerchant {
  id: number;
  name: string;
  appkey: string;
  appsecret: string;
  notifyUrl: string;
  accounts: FixtureAccount[];
}

export interface Fixture {
  /** Migrated database with merchants and accounts, no orders. Copy it; never open it for writing. */
  templatePath: string;
  merchants: FixtureMerchant[];
  /** The merchant the load is sent as (merchants[0]). */
  bench: FixtureMerchant;
}

/** Merchants in the database; the first is the one under load, the others are neighbours. */
export const MERCHANTS = 8;
/** Receiving accounts per merchant and type. */
export const ACCOUNTS_PER_TYPE = 3;

/** Builds the template database once per run. */
export function fixture(ctx: BenchContext): Promise<Fixture> {
  return ctx.once('gatepay.fixture', async () => {
    const templatePath = join(ctx.tmpDir, 'template.db');
    const config = loadConfig({ DATABASE_URL: `sqlite:${templatePath}`, LOG_LEVEL: 'silent' });
    const db = await connectDatabase(config.databaseUrl);
    await migrateToLatest(db);
    const services = createServices({ config, db, clock: Date.now, random: Math.random });
    const merchants: FixtureMerchant[] = [];
    try {
      for (let m = 1; m <= MERCHANTS; m++) {
        const notifyUrl = `https://shop${m}.example.com/pay/notify`;
        const merchant = await services.merchants.add({
          name: `Shop ${m}`,
          notifyUrl,
          returnUrl: `https://shop${m}.example.com/pay/return`,
        });
        const accounts: FixtureAccount[] = [];
        for (const type of ['alipay', 'wechat'] as const) {
          for (let a = 1; a <= ACCOUNTS_PER_TYPE; a++) {
            const acc = await services.accounts.add({
              merchantId: merchant.id,
              type,
              name: `${type} ${a} of shop ${m}`,
              qrContent:
                type === 'alipay'
                  ? `https://qr.alipay.com/fkx${m}${a}bench`
                  : `wxp://f2f0bench${m}${a}xxxxxxxxxxxxxxxx`,
            });
            accounts.push({ id: acc.id, type });
          }
        }
        merchants.push({
          id: merchant.id,
          name: merchant.name,
          appkey: merchant.appkey,
          appsecret: merchant.appsecret,
          notifyUrl,
          accounts,
        });
      }
    } finally {
      await db.close();
    }
    checkpoint(templatePath);
    return { templatePath, merchants, bench: merchants[0] as FixtureMerchant };
  });
}

/** Folds the WAL into the main file so a plain file copy is the whole database. */
export function checkpoint(path: string) {
  const db = new SQLite(path);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** A private copy of a (checkpointed) database for one scenario. */
export function copyDatabase(from: string, to: string): string {
  copyFileSync(from, to);
  for (const suffix of ['-wal', '-shm'])
    if (existsSync(from + suffix)) copyFileSync(from + suffix, to + suffix);
  return to;
}

/** Prefix of every out_order_id the load creates; seeded orders use another one. */
export const LOAD_PREFIX = 'B';

/**
 * The i-th create request. Types alternate; each type walks all prices 1.00…999.99 in a
 * scrambled order (stride coprime with the range), so a run of tens of thousands of orders keeps
 * within the free realprice slots of its accounts instead of piling 100 orders on one price.
 */
export function createFields(i: number) {
  const type = i % 2 === 0 ? 'alipay' : 'wechat';
  const k = Math.floor(i / 2);
  const cents = 100 + ((k * 7919) % 99_900);
  const price = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
  return {
    price,
    type,
    out_order_id: `${LOAD_PREFIX}${i.toString(36).padStart(6, '0')}`,
    custom: `buyer${i % 9973}@example.com`,
  };
}

/** Form-encoded, signed create body (anypay and cloudpay sign the same fields). */
export function createBody(m: FixtureMerchant, i: number): string {
  const f = createFields(i);
  const sign = gatepaySign(m.appkey, [f.price, f.type, f.out_order_id, f.custom], m.appsecret);
  // Every value is URL-safe except the `@` of custom.
  return (
    `appkey=${m.appkey}&price=${f.price}&type=${f.type}&out_order_id=${f.out_order_id}` +
    `&custom=${f.custom.replace('@', '%40')}&sign=${sign}`
  );
}

/** findOrder query path for one out_order_id. */
export function findPath(m: FixtureMerchant, outOrderId: string): string {
  const sign = gatepaySign(m.appkey, [outOrderId], m.appsecret);
  return `/api/find/findOrder?${new URLSearchParams({ appkey: m.appkey, out_order_id: outOrderId, sign })}`;
}

/**
 * A source of create bodies with a counter. The first `prepared.length` are signed ahead of
 * time (shared by every run: each scenario has its own database, so the same out_order_ids are
 * new again); beyond them bodies are signed on the fly.
 */
export class CreateBodies {
  private i = 0;
  constructor(
    private readonly merchant: FixtureMerchant,
    private readonly prepared: readonly string[],
  ) {}
  readonly next = (): string => {
    const i = this.i++;
    return i < this.prepared.length ? (this.prepared[i] as string) : createBody(this.merchant, i);
  };
  /** Bodies handed out so far (= out_order_ids used). */
  get count(): number {
    return this.i;
  }
}

export function preparedBodies(ctx: BenchContext, m: FixtureMerchant): Promise<string[]> {
  return ctx.once('gatepay.bodies', async () => {
    const n = ctx.options.bodies;
    if (n === 0) return [];
    const t0 = performance.now();
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = createBody(m, i);
    ctx.log(
      `signed ${n.toLocaleString('en')} create bodies in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    return out;
  });
}
