import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VmqKeyIndex, type VmqKey } from '../../src/protocols/vmq/vmq-key-index.js';
import { VmqMonitor } from '../../src/protocols/vmq/vmq-monitor.service.js';
import { loadConfig } from '../../src/config.js';
import { connectDatabase, type Db } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { seededRandom } from '../../src/domain/random.js';
import { createServices, type Services } from '../../src/services.js';
import { TestClock } from '../helpers/gateway.js';
import { javaPrice } from './vmq-app.js';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');
const keysOf = (n: number): VmqKey[] =>
  Array.from({ length: n }, (_, i) => ({ id: i + 1, key: randomBytes(16).toString('hex') }));

function p99(samples: number[]): number {
  const sorted = samples.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] as number;
}

describe('VmqKeyIndex', () => {
  it('finds the signer by a full scan once, then from the address hint with one md5', async () => {
    const keys = keysOf(2000);
    const index = new VmqKeyIndex({ load: async () => keys });
    const k = keys[1500] as VmqKey;
    const sign = md5(`1700000000000${k.key}`);
    expect(await index.find('10.0.0.7', '1700000000000', sign)).toBe(k.id);
    expect(index.stats.fullScans).toBe(1);
    const before = index.stats.hashes;
    const sign2 = md5(`210.01${'1700000000123'}${k.key}`);
    expect(await index.find('10.0.0.7', '210.011700000000123', sign2)).toBe(k.id);
    expect(index.stats.hashes - before).toBe(1);
    expect(index.stats.fullScans).toBe(1);
  });

  it('reloads on a miss, at most once per interval, and finds keys added meanwhile', async () => {
    const keys = keysOf(10);
    let now = 0;
    const index = new VmqKeyIndex({
      load: async () => keys.slice(),
      monotonic: () => now,
      minReloadIntervalMs: 1000,
    });
    expect(await index.find('a', 'x', md5('x' + (keys[0] as VmqKey).key))).toBe(1);
    const added = { id: 99, key: 'new-key' };
    keys.push(added);
    const sign = md5('x' + added.key);
    now = 500;
    expect(await index.find('a', 'x', sign)).toBeNull(); // too soon to reload
    expect(index.stats.reloads).toBe(1);
    now = 1500;
    expect(await index.find('a', 'x', sign)).toBe(99);
    expect(index.stats.reloads).toBe(2);
  });

  it('stops scanning for an address whose signatures keep matching nobody', async () => {
    const index = new VmqKeyIndex({ load: async () => keysOf(100), failedScansPerMinute: 3 });
    for (let i = 0; i < 5; i++) await index.find('6.6.6.6', 'x', md5(`garbage${i}`));
    expect(index.stats.fullScans).toBeLessThanOrEqual(6); // 3 scans (+ their reload re-scans)
    const scans = index.stats.fullScans;
    await index.find('7.7.7.7', 'x', md5('other'));
    expect(index.stats.fullScans).toBeGreaterThan(scans); // another address still gets its scan
  });

  it('measures the key lookup with 10,000 paired accounts (full scan vs address hint)', async () => {
    const keys = keysOf(10_000);
    const index = new VmqKeyIndex({ load: async () => keys, failedScansPerMinute: 1000 });
    await index.find('warm', 'x', md5('x' + (keys[0] as VmqKey).key));
    const full: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await index.find(`miss-${i}`, 'x', md5(`nobody${i}`)); // worst case: every key hashed
      full.push(performance.now() - t);
    }
    const target = keys[9_999] as VmqKey;
    await index.find('phone', 'hb', md5('hb' + target.key));
    const hashesBefore = index.stats.hashes;
    const hinted: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const prefix = `2${javaPrice(1000 + i)}${1_700_000_000_000 + i}`;
      const sign = md5(prefix + target.key);
      const t = performance.now();
      expect(await index.find('phone', prefix, sign)).toBe(target.id);
      hinted.push(performance.now() - t);
    }
    const sorted = (xs: number[]) => xs.slice().sort((a, b) => a - b);
    const median = sorted(full)[10] as number;
    console.log(
      `V免签 key lookup, 10,000 accounts: full scan median ${median.toFixed(2)} ms (p99 ${p99(full).toFixed(2)} ms); ` +
        `address hint median ${((sorted(hinted)[1000] as number) * 1000).toFixed(1)} µs, p99 ${(p99(hinted) * 1000).toFixed(1)} µs`,
    );
    // The guarantee is structural: one md5 per lookup once the address is known. Times are
    // logged; on a shared machine only the median is steady enough to assert.
    expect(index.stats.hashes - hashesBefore).toBe(2000);
    expect(sorted(hinted)[1000]).toBeLessThan(1);
  });
});

describe('V免签 push latency with 10,000 paired accounts', () => {
  let db: Db;
  let services: Services;
  let dir: string;
  const clock = new TestClock(1_700_000_000_000);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shouyin-vmq-'));
    db = await connectDatabase(`sqlite:${join(dir, 'db.sqlite')}`);
    await migrateToLatest(db);
    const config = loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, LOG_LEVEL: 'silent' });
    services = createServices({ config, db, clock: clock.now, random: seededRandom(1) });
  });
  afterAll(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a push in about half a millisecond once the phone has heartbeated', async () => {
    const m = await services.merchants.add({
      name: 'M',
      notifyUrl: 'http://x.test/n',
      returnUrl: 'http://x.test/r',
    });
    const rows = Array.from({ length: 10_000 }, (_, i) => ({
      merchant_id: m.id,
      type: 'alipay',
      name: `a${i}`,
      qr_content: 'https://qr.alipay.com/x',
      monitor_key: randomBytes(16).toString('hex'),
      created_at: clock.nowMs,
    }));
    for (let i = 0; i < rows.length; i += 500) {
      await db.kysely
        .insertInto('accounts')
        .values(rows.slice(i, i + 500))
        .execute();
    }
    const monitor = new VmqMonitor(services, { warn: () => undefined });
    const phone = rows[7_777] as (typeof rows)[number];
    const t0 = String(clock.nowMs);
    const startHb = performance.now();
    const hb = await monitor.heartbeat({ t: t0, sign: md5(t0 + phone.monitor_key) }, '198.51.100.7');
    const firstHeartbeatMs = performance.now() - startHb;
    expect(hb.code).toBe(1);

    // Wall time is what the phone waits; CPU time is what the gateway spends, and is the one that
    // stays meaningful when the test machine is shared (a busy CPU stretches wall time only).
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < 500; i++) {
      clock.advance(7);
      const t = String(clock.nowMs);
      const price = javaPrice(100 + i);
      const params = { t, type: '2', price, sign: md5(`2${price}${t}${phone.monitor_key}`) };
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      const r = await monitor.push(params, '198.51.100.7');
      const used = process.cpuUsage(cpuStart);
      wall.push(performance.now() - start);
      cpu.push((used.user + used.system) / 1000);
      expect(r.code).toBe(1);
    }
    const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    console.log(
      `V免签 push, 10,000 accounts: first heartbeat from a new address ${firstHeartbeatMs.toFixed(1)} ms ` +
        `(key load + full scan); push wall p50 ${median(wall).toFixed(2)} ms, p99 ${p99(wall).toFixed(2)} ms; ` +
        `CPU p50 ${median(cpu).toFixed(2)} ms, p99 ${p99(cpu).toFixed(2)} ms`,
    );
    // The p99 itself is logged, not asserted: on a shared machine it measures the neighbours.
    expect(median(wall)).toBeLessThan(5);
    expect(median(cpu)).toBeLessThan(5);
  });
});
