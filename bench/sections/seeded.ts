import { join } from 'node:path';
import { checkpoint, copyDatabase, fixture } from '../lib/gatepay.js';
import { runGatepayScenario } from '../lib/gatepay-scenario.js';
import { seedOrders } from '../lib/seed.js';
import type { Check, Row, Section } from '../lib/types.js';

/** Throughput with the seeded history may be at most this much below the empty database's. */
export const MAX_SLOWDOWN = 0.1;

/** The same merchant-API rows over a database already holding BENCH_SEED_ORDERS orders. */
export const seeded: Section = {
  name: 'seeded',
  title: 'Merchant API with a seeded order history',
  needs: ['bare'],
  async run(ctx) {
    const n = ctx.options.seedOrders;
    const label = `${n.toLocaleString('en')} orders`;
    ctx.log(`merchant API, ${label} in the database`);
    const fx = await fixture(ctx);
    const seededPath = copyDatabase(fx.templatePath, join(ctx.tmpDir, 'seeded-template.db'));
    const stats = seedOrders(seededPath, fx, n);
    checkpoint(seededPath);
    ctx.log(
      `  seeded ${n.toLocaleString('en')} orders (${stats.payments.toLocaleString('en')} payments, ` +
        `${stats.notifications.toLocaleString('en')} notifications, ${stats.slots} held slots; ` +
        `${stats.benchPaymentsToday.toLocaleString('en')} payments today for the merchant under load) in ` +
        `${stats.seconds.toFixed(1)} s (indexes ${stats.indexSeconds.toFixed(1)} s), ` +
        `${(stats.databaseBytes / 1e6).toFixed(0)} MB`,
    );
    ctx.record('seeded', { seed: stats });
    return runGatepayScenario(ctx, {
      section: 'seeded',
      label,
      database: async (name) => copyDatabase(seededPath, join(ctx.tmpDir, `seeded-${name}.db`)),
    });
  },
  aims(rows: readonly Row[]): Check[] {
    const byId = new Map(rows.map((r) => [r.id, r]));
    return (['cloudpay', 'anypay', 'findOrder'] as const).map((kind) => {
      const empty = byId.get(`create.${kind}`);
      const full = byId.get(`seeded.${kind}`);
      const aim = `${kind} with the seeded history within ${MAX_SLOWDOWN * 100} % of the empty database`;
      if (!empty || !full) return { aim, measured: 'needs both the create and seeded sections', pass: null };
      const change = full.reqPerSec / empty.reqPerSec - 1;
      return {
        aim,
        measured: `${Math.round(full.reqPerSec)} vs ${Math.round(empty.reqPerSec)} req/s (${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)} %)`,
        pass: change >= -MAX_SLOWDOWN,
      };
    });
  },
};
