import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { seededRandom } from '../../src/domain/random.js';
import { startOfLocalDay } from '../../src/domain/rules.js';
import type { Fixture, FixtureAccount } from './gatepay.js';

/**
 * Writes a realistic order history straight into a migrated database with better-sqlite3:
 * multi-row INSERTs of `BATCH` rows inside one transaction, no gateway code on the way.
 *
 * - `n` orders created over the last 30 days, ids rising with time, spread over every merchant
 *   (the merchant under load holds the largest share) and its accounts, alipay 60 % / wechat 40 %;
 * - an order is unpaid only while younger than its 300 s time to live; older ones are paid (60 %)
 *   or expired. Every paid order has its payment row and a delivered (1 % failed) notification;
 * - `slots` rows exist only where the gateway would still hold one: unpaid orders, and expired
 *   ones still inside the 600 s grace.
 */

const BATCH = 500;
const DAY_MS = 86_400_000;
const SPAN_MS = 30 * DAY_MS;
const TTL_MS = 300_000;
const GRACE_MS = 600_000;
/** Share of the history per merchant, in %; merchants[0] is the one the load runs as. */
const MERCHANT_SHARE = [40, 20, 10, 10, 5, 5, 5, 5];
/** Prices that shops use again and again (cents). */
const COMMON_PRICES = [100, 600, 990, 1000, 1990, 2000, 2990, 3000, 4990, 5000, 6800, 9900, 10000, 19900];

const ORDER_COLUMNS = [
  'id',
  'merchant_id',
  'account_id',
  'token',
  'out_order_id',
  'kind',
  'type',
  'price_cents',
  'realprice_cents',
  'product_id',
  'title',
  'custom',
  'fingerprint',
  'status',
  'late',
  'created_at',
  'expires_at',
  'paid_at',
  'payment_id',
  'hold_until',
];
const PAYMENT_COLUMNS = [
  'id',
  'account_id',
  'type',
  'amount_cents',
  'paid_at',
  'reporter_id',
  'source',
  'payer',
  'memo',
  'order_id',
  'late',
  'created_at',
];
const NOTIFICATION_COLUMNS = [
  'id',
  'order_id',
  'merchant_id',
  'protocol',
  'method',
  'url',
  'body',
  'content_type',
  'success_rule',
  'webhook_id',
  'state',
  'attempts',
  'next_attempt_at',
  'lease_until',
  'last_error',
  'created_at',
  'delivered_at',
];
const SLOT_COLUMNS = ['account_id', 'type', 'amount_cents', 'order_token', 'hold_until'];

export interface SeedStats {
  orders: number;
  paid: number;
  expired: number;
  unpaid: number;
  payments: number;
  notifications: number;
  slots: number;
  /**
   * Payments the merchant under load received today (business day, UTC+8) so far: what
   * "received today" sums have to add up. Depends on the time of day the bench runs.
   */
  benchPaymentsToday: number;
  /** Orders of the merchant under load: its seeded out_order_ids are `seededOutOrderId(1, 0…n-1)`. */
  benchMerchantOrders: number;
  seconds: number;
  /** Of which rebuilding the secondary indexes. */
  indexSeconds: number;
  databaseBytes: number;
}

/** The out_order_id of the `seq`-th seeded order of merchant number `m` (1-based). */
export const seededOutOrderId = (m: number, seq: number) => `S${m}-${String(seq).padStart(8, '0')}`;

function formatCents(c: number) {
  return `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
}

function insertStatement(db: SQLite.Database, table: string, columns: string[], rows: number) {
  const tuple = `(${columns.map(() => '?').join(',')})`;
  return db.prepare(
    `INSERT INTO ${table} (${columns.join(',')}) VALUES ${Array(rows).fill(tuple).join(',')}`,
  );
}

/**
 * A buffered multi-row inserter: push one row's values onto `v`, then call `row()`; `flush()`
 * writes what is left at the end.
 */
function inserter(db: SQLite.Database, table: string, columns: string[]) {
  const full = insertStatement(db, table, columns, BATCH);
  let rows = 0;
  const self = {
    v: [] as unknown[],
    row() {
      if (++rows === BATCH) {
        full.run(self.v);
        self.v = [];
        rows = 0;
      }
    },
    flush() {
      if (rows > 0) insertStatement(db, table, columns, rows).run(self.v);
      self.v = [];
      rows = 0;
    },
  };
  return self;
}

/** `n` random 128-bit base64url tokens, sorted as SQLite compares them (BINARY = code units). */
function tokenList(n: number): string[] {
  const bytes = randomBytes(16 * n);
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = bytes.toString('base64url', i * 16, i * 16 + 16);
  return out.sort();
}

export function seedOrders(path: string, fx: Fixture, n: number, now = Date.now()): SeedStats {
  const t0 = performance.now();
  const random = seededRandom(20240601);
  const db = new SQLite(path);
  // One big transaction, no fsync, rollback journal instead of WAL (the WAL would have to hold
  // the whole history and be copied again at the checkpoint). The server reopens it in WAL mode.
  db.pragma('journal_mode = DELETE');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000');
  db.pragma('temp_store = MEMORY');
  // Rows are consistent by construction; notifications may reach the table before their order.
  db.pragma('foreign_keys = OFF');

  const orders = inserter(db, 'orders', ORDER_COLUMNS);
  const payments = inserter(db, 'payments', PAYMENT_COLUMNS);
  const notifications = inserter(db, 'notifications', NOTIFICATION_COLUMNS);
  const slots = inserter(db, 'slots', SLOT_COLUMNS);

  const shares: number[] = [];
  let acc = 0;
  for (let m = 0; m < fx.merchants.length; m++) {
    acc += MERCHANT_SHARE[m] ?? 5;
    shares.push(acc);
  }
  const byType = fx.merchants.map((m) => ({
    alipay: m.accounts.filter((a) => a.type === 'alipay'),
    wechat: m.accounts.filter((a) => a.type === 'wechat'),
  }));
  const seq = fx.merchants.map(() => 0);
  const dayStart = startOfLocalDay(now, 480);
  let benchPaymentsToday = 0;
  const held = new Set<string>();
  const stats = { paid: 0, expired: 0, unpaid: 0, slots: 0 };
  let paymentId = 0;

  // Tokens are 128 random bits like the gateway's, handed out in sorted order: the UNIQUE index
  // on `token` cannot be dropped, and appending to it is ~4× faster than 1M random inserts.
  const tokens = tokenList(n);
  // 16 more random bytes per paid order: a sign-sized hex string for its notification.
  const PER_BUFFER = 4096;
  let rnd = randomBytes(16 * PER_BUFFER);
  let rndAt = PER_BUFFER;

  const start = now - SPAN_MS;
  const step = SPAN_MS / Math.max(n, 1);
  // Secondary indexes (not the UNIQUE constraints) are dropped and rebuilt from their own stored
  // SQL after the load: about as fast as keeping them (ids rise with time, so their inserts are
  // mostly appends), and whatever indexes later migrations add are rebuilt the same way.
  const indexes = db
    .prepare(
      `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
       AND tbl_name IN ('orders', 'payments', 'notifications', 'slots')`,
    )
    .all() as Array<{ name: string; sql: string }>;

  let indexStart = 0;
  db.transaction(() => {
    for (const ix of indexes) db.exec(`DROP INDEX "${ix.name}"`);
    for (let i = 0; i < n; i++) {
      const id = i + 1;
      const pick = random() * acc;
      let mi = 0;
      while ((shares[mi] as number) <= pick) mi++;
      const merchant = fx.merchants[mi] as (typeof fx.merchants)[number];
      const type = random() < 0.6 ? 'alipay' : 'wechat';
      const candidates = byType[mi]?.[type] as FixtureAccount[];
      const account = candidates[Math.floor(random() * candidates.length)] as FixtureAccount;
      const createdAt = Math.min(now - 1000, Math.floor(start + i * step + random() * step));
      const expiresAt = createdAt + TTL_MS;
      const price =
        random() < 0.6
          ? (COMMON_PRICES[Math.floor(random() * COMMON_PRICES.length)] as number)
          : 100 + Math.floor(random() * 49_900);
      const kind = random() < 0.5 ? 'cloudpay' : 'anypay';
      const buyer = Math.floor(random() * 200_000);
      const custom = `buyer${buyer}@example.com`;
      const outOrderId = seededOutOrderId(mi + 1, seq[mi]!++);
      const tok = tokens[i] as string;

      let status: 'unpaid' | 'paid' | 'expired';
      if (expiresAt > now) status = 'unpaid';
      else status = random() < 0.6 ? 'paid' : 'expired';
      const holdsSlot = status === 'unpaid' || (status === 'expired' && expiresAt + GRACE_MS >= now);
      let realprice = price;
      if (holdsSlot) {
        // Walk down like the gateway does, so the seeded slots are distinct.
        while (realprice > 1 && held.has(`${account.id}:${type}:${realprice}`)) realprice--;
        held.add(`${account.id}:${type}:${realprice}`);
        slots.v.push(account.id, type, realprice, tok, expiresAt + GRACE_MS);
        slots.row();
        stats.slots++;
      } else if (random() < 0.3) {
        realprice = Math.max(1, price - 1 - Math.floor(random() * 5));
      }

      let paidAt: number | null = null;
      let payment: number | null = null;
      if (status === 'paid') {
        paidAt = createdAt + 5000 + Math.floor(random() * (TTL_MS - 10_000));
        payment = ++paymentId;
        if (mi === 0 && paidAt >= dayStart) benchPaymentsToday++;
        payments.v.push(
          payment,
          account.id,
          type,
          realprice,
          paidAt,
          `r${String(payment).padStart(9, '0')}`,
          'monitor',
          '',
          '',
          id,
          0,
          paidAt + 200,
        );
        payments.row();
        if (rndAt === PER_BUFFER) {
          rnd = randomBytes(16 * PER_BUFFER);
          rndAt = 0;
        }
        const sign = rnd.toString('hex', rndAt * 16, rndAt * 16 + 16);
        rndAt++;
        // The GatePay notification form (spec §2) as the outbox stores it; `sign` is random hex.
        const body =
          `order_id=${id}&out_order_id=${outOrderId}&price=${formatCents(price)}` +
          `&realprice=${formatCents(realprice)}&type=${type}&paytime=${Math.floor(paidAt / 1000)}` +
          `&extend=buyer${buyer}%40example.com&sign=${sign}` +
          `&appkey=${merchant.appkey}`;
        const failed = random() < 0.01;
        notifications.v.push(
          payment,
          id,
          merchant.id,
          'gatepay',
          'POST',
          merchant.notifyUrl,
          body,
          'application/x-www-form-urlencoded',
          'trimmed-success',
          `msg_${tok}`,
          failed ? 'failed' : 'delivered',
          failed ? 15 : 1,
          paidAt + 1000,
          0,
          failed ? 'HTTP 502' : '',
          paidAt + 200,
          failed ? null : paidAt + 400,
        );
        notifications.row();
      }
      stats[status]++;
      orders.v.push(
        id,
        merchant.id,
        account.id,
        tok,
        outOrderId,
        kind,
        type,
        price,
        realprice,
        '0',
        merchant.name,
        custom,
        `["${kind}","${type}","${price}","${custom}"]`,
        status,
        0,
        createdAt,
        expiresAt,
        paidAt,
        payment,
        // The end of its hold on its amount, as the gateway keeps it (payments are matched by it).
        status === 'paid' ? (paidAt as number) + 200 : expiresAt + GRACE_MS,
      );
      orders.row();
    }
    orders.flush();
    payments.flush();
    notifications.flush();
    slots.flush();
    indexStart = performance.now();
    for (const ix of indexes) db.exec(ix.sql);
  })();
  const indexSeconds = (performance.now() - indexStart) / 1000;
  db.pragma('journal_mode = WAL');
  db.close();
  return {
    orders: n,
    ...stats,
    payments: paymentId,
    notifications: paymentId,
    benchMerchantOrders: seq[0] ?? 0,
    benchPaymentsToday,
    seconds: (performance.now() - t0) / 1000,
    indexSeconds,
    databaseBytes: statSync(path).size,
  };
}
