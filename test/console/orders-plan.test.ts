import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Compilable } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { listNotificationsInStateQuery } from '../../src/notify/notification-list.repository.js';
import { type OrderFilter, slicesOf } from '../../src/orders/order.query.js';
import {
  attachedAtOtherAmountQuery,
  type OrderSlice,
  paidAtAmountQuery,
  sliceQuery,
} from '../../src/orders/order-list.repository.js';
import { unmatchedPaymentsQuery } from '../../src/payments/payment-candidates.repository.js';

/**
 * Every console list reads one index range in the list's order: no full table scan, no sort of
 * the matching rows (with a million orders either costs seconds). SQLite's planner decides by
 * the indexes alone here (no ANALYZE statistics), so its plans are checked exactly;
 * PostgreSQL's depend on table statistics and are measured by the bench instead.
 */
const NOW = 1_700_000_000_000;

describe('console list query plans (SQLite)', () => {
  let dir: string;
  let db: Db;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shouyin-plan-'));
    db = await connectDatabase(`sqlite:${join(dir, 'plan.db')}`);
    await migrateToLatest(db);
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** SQLite's plan of a query, with its parameters bound as when it runs. */
  async function planOf(q: Compilable<unknown>): Promise<string> {
    const c = q.compile();
    const res = await db.kysely.executeQuery<{ detail: string }>({
      ...c,
      sql: `EXPLAIN QUERY PLAN ${c.sql}`,
    });
    return res.rows.map((r) => r.detail).join('\n');
  }

  const after = { createdAt: 1_700_000_000_000, id: 500 };
  const day = { createdFrom: 1_700_000_000_000, createdBefore: 1_700_086_400_000 };
  const account = { accountId: 3, accountMerchantId: 1 };
  /** Each filter as the service turns it into slices, and the index its slices must read. */
  const cases: Array<[string, OrderFilter, RegExp]> = [
    ['merchant', { merchantId: 1 }, /orders_merchant_created_id/],
    ['merchant, date range', { merchantId: 1, ...day }, /orders_merchant_created_id/],
    ['merchant, state paid', { merchantId: 1, state: 'paid' }, /orders_merchant_status_created/],
    ['merchant, state unpaid', { merchantId: 1, state: 'unpaid' }, /orders_merchant_status_created/],
    ['merchant, type', { merchantId: 1, type: 'wechat' }, /orders_merchant_type_created/],
    // Two equally good ranges: the day of the merchant's orders, or of its wechat orders.
    [
      'merchant, type and date range',
      { merchantId: 1, type: 'wechat', ...day },
      /orders_merchant_(type_created|created_id)/,
    ],
    ['merchant, account', { merchantId: 1, ...account }, /orders_account_created/],
    ['merchant, account and state', { merchantId: 1, ...account, state: 'paid' }, /orders_account_created/],
    [
      'merchant, shop order number',
      { merchantId: 1, outOrderId: 'A-1' },
      /sqlite_autoindex_orders_\d \(merchant_id=\? AND out_order_id=\?\)/,
    ],
    ['all merchants', { merchantId: null }, /orders_created_id/],
    ['all merchants, date range', { merchantId: null, ...day }, /orders_created_id/],
    ['all merchants, state paid', { merchantId: null, state: 'paid' }, /orders_status_created/],
    ['all merchants, state unpaid', { merchantId: null, state: 'unpaid' }, /orders_status_created/],
    ['all merchants, type', { merchantId: null, type: 'alipay' }, /orders_type_created/],
    ['all merchants, account', { merchantId: null, ...account }, /orders_account_created/],
  ];

  for (const [name, filter, index] of cases) {
    it(`reads orders (${name}) from one index range in list order, first and later pages`, async () => {
      for (const page of [undefined, after]) {
        for (const slice of slicesOf(filter, NOW, page, 51)) {
          const p = await planOf(sliceQuery(db.kysely, slice));
          expect(p).toMatch(
            new RegExp(
              `SEARCH o USING (COVERING )?INDEX ${index.source}|SCAN o USING (COVERING )?INDEX ${index.source}`,
            ),
          );
          expect(p).not.toMatch(/TEMP B-TREE/);
        }
      }
    });
  }

  it('reads the expired list from the merchant’s expired range, plus the few unpaid ones past their deadline', async () => {
    const [expired, lagging] = slicesOf({ merchantId: 1, state: 'expired' }, NOW, undefined, 51) as [
      OrderSlice,
      OrderSlice,
    ];
    const p = await planOf(sliceQuery(db.kysely, expired));
    expect(p).toMatch(/SEARCH o USING INDEX orders_merchant_status_created/);
    expect(p).not.toMatch(/TEMP B-TREE/);
    // Either way only unpaid rows are read: the open orders and the few the expirer lags behind.
    for (const page of [undefined, after]) {
      const q = await planOf(sliceQuery(db.kysely, { ...lagging, after: page }));
      expect(q).toMatch(
        /SEARCH o USING INDEX (orders_status_expires|orders_merchant_status_created) \((merchant_id=\? AND )?status=\?/,
      );
    }
  });

  it('finds a shop order number across merchants with one seek per merchant (at most one row each)', async () => {
    const p = await planOf(sliceQuery(db.kysely, { merchantId: null, outOrderId: 'A-1', limit: 51 }));
    expect(p).toMatch(
      /SEARCH o USING INDEX sqlite_autoindex_orders_\d \(merchant_id=\? AND out_order_id=\?\)/,
    );
  });

  it('finds paid orders by the amount paid from the paid-amount indexes, in list order', async () => {
    for (const merchantId of [1, null]) {
      const p = await planOf(paidAtAmountQuery(db.kysely, { merchantId, after, limit: 51 }, 999));
      expect(p).toMatch(
        merchantId === null ? /USING INDEX orders_paid_amount/ : /USING INDEX orders_merchant_paid_amount/,
      );
      expect(p).not.toMatch(/TEMP B-TREE/);
      expect(p).toMatch(/SEARCH p USING INTEGER PRIMARY KEY/);
    }
  });

  it('finds one account’s paid orders by amount in its merchant’s paid-amount index', async () => {
    const [slice] = slicesOf({ merchantId: null, ...account, paidCents: 999, state: 'paid' }, NOW, after, 51);
    const p = await planOf(paidAtAmountQuery(db.kysely, slice as OrderSlice, 999));
    expect(p).toMatch(/USING INDEX orders_merchant_paid_amount/);
    expect(p).not.toMatch(/TEMP B-TREE/);
  });

  it('finds orders attached at another amount through the attach audit entries, not by scanning orders', async () => {
    const p = await planOf(attachedAtOtherAmountQuery(db.kysely, { merchantId: 1, limit: 51 }, 999));
    expect(p).toMatch(/SEARCH a USING (COVERING )?INDEX audit_action_id/);
    expect(p).toMatch(/SEARCH p USING INTEGER PRIMARY KEY/);
    expect(p).toMatch(/SEARCH o USING INTEGER PRIMARY KEY/);
    expect(p).not.toMatch(/SCAN/);
  });

  it('reads notifications of one state newest first from one index range', async () => {
    for (const merchantId of [1, null]) {
      const p = await planOf(
        listNotificationsInStateQuery(db.kysely, { merchantId, state: 'failed', beforeId: 9, limit: 51 }),
      );
      expect(p).toMatch(/SEARCH n USING (COVERING )?INDEX notifications_(merchant_state|state_id)/);
      expect(p).not.toMatch(/TEMP B-TREE/);
    }
  });

  it('reads unmatched payments from the partial index that holds only them', async () => {
    for (const merchantId of [1, null]) {
      const p = await planOf(unmatchedPaymentsQuery(db.kysely, { merchantId, beforeId: 9, limit: 21 }));
      // SQLite may equally use payments_order's `order_id IS NULL` range: it is in id order too.
      expect(p).toMatch(
        /SEARCH payments USING (COVERING )?INDEX (payments_unmatched|payments_order \(order_id=\?)/,
      );
      expect(p).not.toMatch(/TEMP B-TREE/);
    }
  });
});
