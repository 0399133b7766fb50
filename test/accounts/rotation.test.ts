import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { connectDatabase, type Db } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { GatewayError } from '../../src/domain/errors.js';
import { seededRandom } from '../../src/domain/random.js';
import type { Merchant } from '../../src/merchants/merchant.model.js';
import { createServices, type Services } from '../../src/services.js';
import { TestClock } from '../helpers/gateway.js';

/** Pearson's chi-square statistic of observed counts against equal expected shares. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}
/** Critical values at p = 0.001, by degrees of freedom: a fair split exceeds them 1 time in 1000. */
const CHI2_999 = { 1: 10.83, 2: 13.82, 3: 16.27 } as const;

describe('choosing the receiving account for a new order', () => {
  let dir: string;
  let db: Db;
  let services: Services;
  // 2025-01-06 12:00 in China (04:00 UTC).
  const clock = new TestClock(Date.UTC(2025, 0, 6, 4, 0, 0));
  let seq = 0;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shouyin-rotation-'));
    const url = `sqlite:${join(dir, 'db.sqlite')}`;
    db = await connectDatabase(url);
    await migrateToLatest(db);
    services = createServices({
      config: loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' }),
      db,
      clock: clock.now,
      random: seededRandom(20250106),
    });
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function merchant(settings: { rotation?: string; allowOffline?: boolean; maxOffset?: string } = {}) {
    const m = await services.merchants.add({
      name: 'M',
      notifyUrl: 'http://x.test/n',
      returnUrl: 'http://x.test/r',
    });
    return services.merchants.set(m.id, { allowOffline: false, ...settings });
  }

  async function accounts(m: Merchant, n: number, type: 'alipay' | 'wechat' = 'alipay') {
    const out = [];
    for (let i = 0; i < n; i++) {
      const a = await services.accounts.add({
        merchantId: m.id,
        type,
        name: `${type}-${i}`,
        qrContent: `q${i}`,
      });
      await services.accounts.heartbeat([a.id], clock.nowMs);
      out.push(a);
    }
    return out;
  }

  /** Creates an order; the account it went to, or 204. */
  async function order(m: Merchant, priceCents: number, type: 'alipay' | 'wechat' = 'alipay') {
    seq++;
    try {
      const { order } = await services.orders.create({
        merchant: await services.merchants.get(m.id),
        kind: 'anypay',
        type,
        pricing: { by: 'amount', priceCents },
        outOrderId: `o-${seq}`,
        custom: '',
        fingerprint: `f-${seq}`,
      });
      return order;
    } catch (err) {
      if (err instanceof GatewayError && err.code === 204) return 204 as const;
      throw err;
    }
  }

  async function pay(o: { accountId: number; type: 'alipay' | 'wechat'; realpriceCents: number }) {
    seq++;
    return services.payments.record({
      accountId: o.accountId,
      type: o.type,
      amountCents: o.realpriceCents,
      paidAt: clock.nowMs,
      reporterId: `pay-${seq}`,
      source: 'simulate',
    });
  }

  async function spread(m: Merchant, ids: number[], orders: number) {
    const counts = new Map(ids.map((id) => [id, 0]));
    for (let i = 0; i < orders; i++) {
      const o = await order(m, 1000 + i * 100);
      if (o === 204) throw new Error('unexpected 204');
      counts.set(o.accountId, (counts.get(o.accountId) ?? 0) + 1);
    }
    return ids.map((id) => counts.get(id) ?? 0);
  }

  it('random: spreads orders evenly over three accounts', async () => {
    const m = await merchant({ rotation: 'random' });
    const ids = (await accounts(m, 3)).map((a) => a.id);
    const counts = await spread(m, ids, 300);
    expect(chiSquare(counts)).toBeLessThan(CHI2_999[2]);
  });

  it('even: equal accounts share evenly; the one that received most today gets none while others can take it', async () => {
    const m = await merchant({ rotation: 'even' });
    const ids = (await accounts(m, 3)).map((a) => a.id);
    expect(chiSquare(await spread(m, ids, 300))).toBeLessThan(CHI2_999[2]);

    // Account 0 receives money today: from now on it is last in line.
    await services.payments.record({
      accountId: ids[0] as number,
      type: 'alipay',
      amountCents: 50_000,
      paidAt: clock.nowMs,
      reporterId: 'big',
      source: 'simulate',
    });
    const after = await spread(m, ids, 150);
    expect(after[0]).toBe(0);
    expect(chiSquare(after.slice(1))).toBeLessThan(CHI2_999[1]);
  });

  it('smart: never gives the next order to the account of the last completed trade', async () => {
    const m = await merchant({ rotation: 'smart' });
    const ids = (await accounts(m, 3)).map((a) => a.id);
    const counts = new Map(ids.map((id) => [id, 0]));
    let lastPaid: number | null = null;
    for (let i = 0; i < 150; i++) {
      clock.advance(1000);
      const o = await order(m, 2000 + i);
      if (o === 204) throw new Error('unexpected 204');
      expect(o.accountId).not.toBe(lastPaid);
      counts.set(o.accountId, (counts.get(o.accountId) ?? 0) + 1);
      expect((await pay(o)).outcome).toBe('paid');
      lastPaid = o.accountId;
      // Keep the monitors online while time passes.
      await services.accounts.heartbeat(ids, clock.nowMs);
    }
    expect(chiSquare(ids.map((id) => counts.get(id) ?? 0))).toBeLessThan(CHI2_999[2]);
  });

  it('skips disabled accounts and accounts whose monitor went silent, and answers 204 when none is left', async () => {
    const m = await merchant({ rotation: 'random' });
    const [a, b, c] = (await accounts(m, 3)).map((x) => x.id) as [number, number, number];
    await services.accounts.setEnabled(c, false);
    clock.advance(60_000);
    await services.accounts.heartbeat([a], clock.nowMs); // b's last heartbeat is 60 s old: still online
    clock.advance(40_000); // b: 100 s silent, offline; a: 40 s, online
    expect(await spread(m, [a, b, c], 50)).toEqual([50, 0, 0]);

    clock.advance(60_000); // a: 100 s silent
    expect(await order(m, 777)).toBe(204);

    // The merchant's option to allow orders while monitors are offline.
    await services.merchants.set(m.id, { allowOffline: true });
    const counts = await spread(m, [a, b, c], 100);
    expect(counts[2]).toBe(0); // disabled stays out
    expect(counts[0]! + counts[1]!).toBe(100);
    expect(Math.min(counts[0]!, counts[1]!)).toBeGreaterThan(30);
  });

  it('respects the daily cap, counting open orders, and frees it as orders expire', async () => {
    const m = await merchant({ rotation: 'random' });
    const [capped, open] = (await accounts(m, 2)).map((x) => x.id) as [number, number];
    await services.accounts.set(capped, { dailyCap: '100' });
    // 30.00 orders: the capped account may hold three (90.00), never a fourth (120.00).
    const counts = await spreadSamePrice(m, [capped, open], 40, 3000);
    expect(counts[0]).toBe(3);
    expect(counts[1]).toBe(37);

    await services.accounts.setEnabled(open, false);
    expect(await order(m, 3000)).toBe(204);
    // One of the capped account's orders is paid: 30 received + 60 open = 90, still no room for 30.
    const held = await db.kysely
      .selectFrom('orders')
      .selectAll()
      .where('account_id', '=', capped)
      .orderBy('id')
      .execute();
    await pay({ accountId: capped, type: 'alipay', realpriceCents: Number(held[0]!.realprice_cents) });
    expect(await order(m, 3000)).toBe(204);
    expect((await order(m, 1000)) === 204).toBe(false); // 10.00 still fits: 30 + 60 + 10 = 100
    // Unpaid orders stop counting once they expire (300 s): 30 received, room for 70.
    clock.advance(301_000);
    await services.accounts.heartbeat([capped], clock.nowMs);
    const after = await order(m, 7000);
    expect(after === 204 ? 204 : after.accountId).toBe(capped);
    expect(await order(m, 100)).toBe(204);
  });

  it('applies the time window (China time, wrapping midnight) and the amount range', async () => {
    const m = await merchant({ rotation: 'random' });
    const [day, night, small] = (await accounts(m, 3)).map((x) => x.id) as [number, number, number];
    await services.accounts.set(day, { window: '09:00-18:00' });
    await services.accounts.set(night, { window: '22:00-02:00' });
    await services.accounts.set(small, { max: '50' });
    // 12:00: day and small (for ≤ 50).
    expect(new Set((await spreadSamePriceIds(m, 30, 1000)).values())).toEqual(new Set([day, small]));
    expect(new Set((await spreadSamePriceIds(m, 10, 9000)).values())).toEqual(new Set([day]));
    // 23:30 China time.
    clock.nowMs = Date.UTC(2025, 0, 6, 15, 30, 0);
    await services.accounts.heartbeat([day, night, small], clock.nowMs);
    expect(new Set((await spreadSamePriceIds(m, 10, 9000)).values())).toEqual(new Set([night]));
    await services.accounts.set(night, { min: '100' });
    expect(await order(m, 9000)).toBe(204);
  });

  it('tries the next account when one has no free amount left, then answers 204', async () => {
    const m = await merchant({ rotation: 'random', maxOffset: '0.01' });
    const [a, b] = (await accounts(m, 2)).map((x) => x.id) as [number, number];
    const got = [];
    for (let i = 0; i < 4; i++) {
      const o = await order(m, 1000);
      if (o === 204) throw new Error('unexpected 204');
      got.push([o.accountId, o.realpriceCents]);
    }
    expect(got.map(([id]) => id).sort()).toEqual([a, a, b, b].sort());
    expect(new Set(got.map(([, c]) => c))).toEqual(new Set([1000, 999]));
    expect(await order(m, 1000)).toBe(204);
  });

  async function spreadSamePrice(m: Merchant, ids: number[], n: number, priceCents: number) {
    const counts = new Map(ids.map((id) => [id, 0]));
    for (let i = 0; i < n; i++) {
      const o = await order(m, priceCents);
      if (o === 204) throw new Error('unexpected 204');
      counts.set(o.accountId, (counts.get(o.accountId) ?? 0) + 1);
    }
    return ids.map((id) => counts.get(id) ?? 0);
  }

  async function spreadSamePriceIds(m: Merchant, n: number, priceCents: number) {
    const seen: number[] = [];
    for (let i = 0; i < n; i++) {
      const o = await order(m, priceCents + i);
      if (o === 204) throw new Error('unexpected 204');
      seen.push(o.accountId);
    }
    return seen;
  }
});
