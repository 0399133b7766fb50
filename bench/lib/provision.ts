import { randomBytes } from 'node:crypto';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../../src/config.js';
import { openServices } from '../../src/runtime.js';
import { gatepaySign } from './gatepay.js';
import { decimal, type MonitorAccount, type PayType } from './monitor-client.js';

/**
 * Databases for the push-network, monitor and cashier sections, written before the gateway child
 * starts: migrations and merchants through the real services (openServices), then receiving
 * accounts, open orders and notification backlogs in bulk with better-sqlite3 (the services take
 * milliseconds per order; these sections need tens of thousands). Rows are what the gateway
 * itself would have written: an open order holds its realprice slot, a paid order has its
 * payment and a pending outbox row due now.
 */

export interface BenchMerchant {
  id: number;
  name: string;
  appkey: string;
  appsecret: string;
  notifyUrl: string;
}

export interface OpenOrder {
  id: number;
  token: string;
  merchantId: number;
  account: MonitorAccount;
  /** price = realprice, in cents. */
  cents: number;
}

/** Order time to live and slot grace of the open orders (well past any run). */
const OPEN_TTL_MS = 3_600_000;
const GRACE_MS = 600_000;

/** Creates and migrates the database and adds the merchants through MerchantService. */
export async function createDatabase(
  path: string,
  merchants: ReadonlyArray<{ name: string; notifyUrl: string; returnUrl: string }>,
): Promise<BenchMerchant[]> {
  const config = loadConfig({ DATABASE_URL: `sqlite:${path}`, LOG_LEVEL: 'silent' });
  const { db, services } = await openServices(config);
  try {
    const out: BenchMerchant[] = [];
    for (const m of merchants) {
      const added = await services.merchants.add(m);
      out.push({
        id: added.id,
        name: added.name,
        appkey: added.appkey,
        appsecret: added.appsecret,
        notifyUrl: m.notifyUrl,
      });
    }
    return out;
  } finally {
    await db.close();
  }
}

function open(path: string): SQLite.Database {
  const db = new SQLite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return db;
}

/** Adds receiving accounts (V免签 on, no heartbeat yet) with fresh random monitor keys. */
export function insertAccounts(
  path: string,
  specs: ReadonlyArray<{ merchantId: number; type: PayType }>,
): MonitorAccount[] {
  const db = open(path);
  try {
    const now = Date.now();
    const stmt = db.prepare(
      `INSERT INTO accounts (merchant_id, type, name, qr_content, monitor_key, created_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const keys = randomBytes(16 * specs.length).toString('hex');
    return db.transaction(() =>
      specs.map((s, i) => {
        const key = keys.slice(i * 32, i * 32 + 32);
        const qr = s.type === 'alipay' ? `https://qr.alipay.com/fkxbench${i}` : `wxp://f2f0bench${i}`;
        const id = Number(stmt.run(s.merchantId, s.type, `${s.type} ${i}`, qr, key, now).lastInsertRowid);
        return { id, merchantId: s.merchantId, type: s.type, key };
      }),
    )();
  } finally {
    db.close();
  }
}

const ORDER_SQL = `INSERT INTO orders (merchant_id, account_id, token, out_order_id, kind, type, price_cents,
  realprice_cents, product_id, title, custom, fingerprint, status, created_at, expires_at, paid_at, payment_id,
  hold_until)
  VALUES (?, ?, ?, ?, 'cloudpay', ?, ?, ?, '0', ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * Unpaid orders, each holding its slot: `specs[i]` is an order of `cents` on `account`, which must
 * be free (no two specs share account, type and amount). Out order ids are `${prefix}${i}`.
 */
export function insertOpenOrders(
  path: string,
  merchant: BenchMerchant,
  specs: ReadonlyArray<{ account: MonitorAccount; cents: number }>,
  prefix: string,
): OpenOrder[] {
  const db = open(path);
  try {
    const now = Date.now();
    const order = db.prepare(ORDER_SQL);
    const slot = db.prepare(
      'INSERT INTO slots (account_id, type, amount_cents, order_token, hold_until) VALUES (?, ?, ?, ?, ?)',
    );
    const tokens = randomBytes(16 * specs.length);
    return db.transaction(() =>
      specs.map((s, i) => {
        const token = tokens.subarray(i * 16, i * 16 + 16).toString('base64url');
        const { account, cents } = s;
        const id = Number(
          order.run(
            merchant.id,
            account.id,
            token,
            `${prefix}${i}`,
            account.type,
            cents,
            cents,
            merchant.name,
            '',
            `${prefix}${i}`,
            'unpaid',
            now,
            now + OPEN_TTL_MS,
            null,
            null,
            // Payments are matched by the order's hold on its amount (issue 7): keep it like the gateway does.
            now + OPEN_TTL_MS + GRACE_MS,
          ).lastInsertRowid,
        );
        slot.run(account.id, account.type, cents, token, now + OPEN_TTL_MS + GRACE_MS);
        return { id, token, merchantId: merchant.id, account, cents };
      }),
    )();
  } finally {
    db.close();
  }
}

/**
 * `n` paid orders of `merchant` on `account`, each with its payment and a pending notification
 * due now (the GatePay form body, signed with the merchant's appsecret): what a burst of
 * payments leaves in the outbox for the dispatcher.
 */
export function insertNotifyBacklog(
  path: string,
  merchant: BenchMerchant,
  account: MonitorAccount,
  n: number,
  prefix: string,
): void {
  const db = open(path);
  try {
    const now = Date.now();
    const paytime = String(Math.floor(now / 1000));
    const order = db.prepare(ORDER_SQL);
    const payment = db.prepare(
      `INSERT INTO payments (account_id, type, amount_cents, paid_at, reporter_id, source, order_id, created_at)
       VALUES (?, ?, ?, ?, ?, 'monitor', ?, ?)`,
    );
    const setPayment = db.prepare('UPDATE orders SET payment_id = ? WHERE id = ?');
    const notification = db.prepare(
      `INSERT INTO notifications (order_id, merchant_id, protocol, method, url, body, content_type,
         success_rule, webhook_id, target_host, state, next_attempt_at, created_at)
       VALUES (?, ?, 'gatepay', 'POST', ?, ?, 'application/x-www-form-urlencoded', 'trimmed-success', ?, ?,
         'pending', ?, ?)`,
    );
    const rnd = randomBytes(28 * n);
    db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const token = rnd.subarray(i * 28, i * 28 + 16).toString('base64url');
        const cents = 100 + i;
        const outOrderId = `${prefix}${i}`;
        const id = Number(
          order.run(
            merchant.id,
            account.id,
            token,
            outOrderId,
            account.type,
            cents,
            cents,
            merchant.name,
            '',
            outOrderId,
            'paid',
            now,
            now + 300_000,
            now,
            null,
            now, // paid: the hold ended when it was paid
          ).lastInsertRowid,
        );
        const paymentId = Number(
          payment.run(account.id, account.type, cents, now, `backlog-${outOrderId}`, id, now).lastInsertRowid,
        );
        setPayment.run(paymentId, id);
        const fields = [String(id), outOrderId, decimal(cents), decimal(cents), account.type, paytime, ''];
        const body = new URLSearchParams({
          order_id: String(id),
          out_order_id: outOrderId,
          price: decimal(cents),
          realprice: decimal(cents),
          type: account.type,
          paytime,
          extend: '',
          sign: gatepaySign(merchant.appkey, fields, merchant.appsecret),
          appkey: merchant.appkey,
        }).toString();
        const webhookId = `msg_${rnd.subarray(i * 28 + 16, i * 28 + 28).toString('base64url')}`;
        // As src/notify/notification.repository.ts insertNotification writes it.
        const host = new URL(merchant.notifyUrl).host.toLowerCase();
        notification.run(id, merchant.id, merchant.notifyUrl, body, webhookId, host, now, now);
      }
    })();
  } finally {
    db.close();
  }
}

/** How many of the merchant's notifications are in each state, and every attempt's duration. */
export function notificationStats(
  path: string,
  merchantId: number,
): { states: Record<string, number>; attemptMs: number[] } {
  const db = new SQLite(path, { readonly: true });
  try {
    const states: Record<string, number> = {};
    const rows = db
      .prepare('SELECT state, count(*) AS n FROM notifications WHERE merchant_id = ? GROUP BY state')
      .all(merchantId) as Array<{ state: string; n: number }>;
    for (const r of rows) states[r.state] = r.n;
    const attemptMs = (
      db
        .prepare(
          `SELECT a.duration_ms AS d FROM notify_attempts a JOIN notifications n ON n.id = a.notification_id
           WHERE n.merchant_id = ?`,
        )
        .all(merchantId) as Array<{ d: number }>
    ).map((r) => r.d);
    return { states, attemptMs };
  } finally {
    db.close();
  }
}

/** Orders of `ids` that are paid now. */
export function countPaid(path: string, ids: readonly number[]): number {
  const db = new SQLite(path, { readonly: true });
  try {
    let paid = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const row = db
        .prepare(
          `SELECT count(*) AS n FROM orders WHERE status = 'paid' AND id IN (${chunk.map(() => '?').join(',')})`,
        )
        .get(...chunk) as { n: number };
      paid += row.n;
    }
    return paid;
  } finally {
    db.close();
  }
}
