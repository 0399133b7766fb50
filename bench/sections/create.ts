import { join } from 'node:path';
import { copyDatabase, fixture } from '../lib/gatepay.js';
import { runGatepayScenario } from '../lib/gatepay-scenario.js';
import type { Check, Row, Section } from '../lib/types.js';

/** Aims of the issue, on SQLite. */
export const CLOUDPAY_MIN_RATIO = 0.25;
export const ANYPAY_MIN_RATE = 1500;

/** create (cloudpay, anypay) and findOrder on a database holding merchants and accounts only. */
export const create: Section = {
  name: 'create',
  title: 'Merchant API on an empty database',
  needs: ['bare'],
  async run(ctx) {
    ctx.log('merchant API, empty database');
    const fx = await fixture(ctx);
    return runGatepayScenario(ctx, {
      section: 'create',
      label: 'empty DB',
      database: async (name) => copyDatabase(fx.templatePath, join(ctx.tmpDir, `create-${name}.db`)),
    });
  },
  aims(rows: readonly Row[]): Check[] {
    const byId = new Map(rows.map((r) => [r.id, r]));
    const cloud = byId.get('create.cloudpay');
    const any = byId.get('create.anypay');
    const clean = (r: Row) =>
      r.non100 + r.errors === 0 ? '' : `, with ${r.non100 + r.errors} non-100/errors`;
    return [
      {
        aim: `cloudpay create ≥ ${CLOUDPAY_MIN_RATIO * 100} % of the bare route`,
        measured:
          cloud?.ratioToBare == null
            ? 'not run'
            : `${(cloud.ratioToBare * 100).toFixed(1)} % (${Math.round(cloud.reqPerSec)} req/s)${clean(cloud)}`,
        pass:
          cloud?.ratioToBare == null
            ? null
            : cloud.ratioToBare >= CLOUDPAY_MIN_RATIO && cloud.non100 + cloud.errors === 0,
      },
      {
        aim: `anypay create (PNG) ≥ ${ANYPAY_MIN_RATE.toLocaleString('en')} orders/s`,
        measured: any ? `${Math.round(any.reqPerSec)} req/s${clean(any)}` : 'not run',
        pass: any ? any.reqPerSec >= ANYPAY_MIN_RATE && any.non100 + any.errors === 0 : null,
      },
    ];
  },
};
