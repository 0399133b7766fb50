import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { type ChildServer, startChild } from './child.js';
import { CreateBodies, type Fixture, LOAD_PREFIX, findPath, fixture, preparedBodies } from './gatepay.js';
import { measure } from './measure.js';
import type { BenchContext, Row } from './types.js';

const SERVER = new URL('../server.ts', import.meta.url);
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
/** Distinct orders findOrder asks for (signed ahead, asked in a shuffled cycle). */
const FIND_SAMPLE = 50_000;

export interface GatepayScenario {
  /** Section name: row ids are `${section}.cloudpay` etc. */
  section: string;
  /** How the database differs, for the table: `empty DB`, `1,000,000 orders`. */
  label: string;
  /** A fresh database for one server run (a copy of the section's template). */
  database(name: string): Promise<string>;
}

/** Starts the real gateway over `dbPath` in a child process. */
export async function startGatewayChild(
  ctx: BenchContext,
  dbPath: string,
  label: string,
  env: Record<string, string> = {},
): Promise<ChildServer> {
  const cpuProfDir = ctx.options.cpuProf ? join(ctx.resultsDir, 'profiles', label) : undefined;
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
  const preload = ctx.options.experiments.map((name) => new URL(`../preload/${name}.ts`, import.meta.url));
  const queryStatsFile = ctx.options.queryStats ? join(ctx.tmpDir, `query-stats-${label}.json`) : undefined;
  if (queryStatsFile) preload.push(new URL('../preload/query-stats.ts', import.meta.url));
  const server = await startChild(
    SERVER,
    {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${dbPath}`,
      LOG_LEVEL: 'warn',
      ...(queryStatsFile ? { BENCH_QUERY_STATS_FILE: queryStatsFile } : {}),
      ...env,
    },
    { label, cpuProfDir, preload },
  );
  return { ...server, queryStatsFile };
}

/** A `sample` check for create answers: the order is there, and the image only on anypay. */
function createSample(kind: 'cloudpay' | 'anypay') {
  return (a: any): string | null => {
    const d = a?.data;
    if (a?.code !== 100 || typeof d !== 'object' || d === null) return `code ${a?.code}`;
    if (typeof d.order_id !== 'number' || !/^\d+\.\d\d$/.test(d.realprice ?? ''))
      return 'no order_id / realprice';
    if (typeof d.pay_url !== 'string' || !d.pay_url.includes('/pay/api?id=')) return 'no pay_url';
    if (kind === 'anypay' && !String(d.qrcode_body).startsWith('data:image/png;base64,iVBORw0KGgo'))
      return 'anypay answer without a PNG qrcode_body';
    if (kind === 'cloudpay' && 'qrcode_body' in d) return 'cloudpay answer carries qrcode_body';
    return null;
  };
}

function findSample(a: any): string | null {
  const d = a?.data;
  if (a?.code !== 100 || typeof d !== 'object' || d === null) return `code ${a?.code}`;
  if (!['unpaid', 'paid', 'expired'].includes(d.order_status)) return `order_status ${d.order_status}`;
  if (!/^\d+\.\d\d$/.test(d.order_price ?? '')) return `order_price ${d.order_price}`;
  return null;
}

/**
 * After a create run: the orders in the database match the good answers, and no two open
 * orders of one account and type share a realprice.
 */
function verifyCreated(dbPath: string, fx: Fixture, okAnswers: number, connections: number): string[] {
  const db = new SQLite(dbPath, { readonly: true });
  try {
    const created = (
      db
        .prepare(
          `SELECT count(*) AS n FROM orders WHERE merchant_id = ? AND out_order_id LIKE '${LOAD_PREFIX}%'`,
        )
        .get(fx.bench.id) as { n: number }
    ).n;
    const shared = (
      db
        .prepare(
          `SELECT count(*) AS n FROM (SELECT 1 FROM orders WHERE status = 'unpaid'
           GROUP BY account_id, type, realprice_cents HAVING count(*) > 1)`,
        )
        .get() as { n: number }
    ).n;
    const notes: string[] = [];
    // Requests still in flight when a run stops may have created their order unanswered.
    const unanswered = created - okAnswers;
    if (unanswered < 0 || unanswered > 2 * connections) {
      notes.push(`database holds ${created} load orders for ${okAnswers} good answers`);
    }
    if (shared > 0) notes.push(`${shared} realprices shared by two open orders of one account`);
    return notes;
  } finally {
    db.close();
  }
}

/** A shuffled sample of the merchant's out_order_ids, as signed findOrder paths. */
function findPaths(dbPath: string, fx: Fixture): string[] {
  const db = new SQLite(dbPath, { readonly: true });
  try {
    const ids = db
      .prepare('SELECT out_order_id AS id FROM orders WHERE merchant_id = ? ORDER BY random() LIMIT ?')
      .all(fx.bench.id, FIND_SAMPLE) as Array<{ id: string }>;
    return ids.map((r) => findPath(fx.bench, r.id));
  } finally {
    db.close();
  }
}

function cycle(items: readonly string[]): () => string {
  let i = 0;
  return () => items[i++ % items.length] as string;
}

/**
 * The merchant-API rows of one database state: cloudpay create (then findOrder on the orders
 * it made and those already there), and anypay create on a fresh copy.
 */
export async function runGatepayScenario(ctx: BenchContext, sc: GatepayScenario): Promise<Row[]> {
  const fx = await fixture(ctx);
  const prepared = await preparedBodies(ctx, fx.bench);
  const rows: Row[] = [];

  for (const kind of ['cloudpay', 'anypay'] as const) {
    let server: ChildServer | null = null;
    try {
      const dbPath = await sc.database(kind);
      server = await startGatewayChild(ctx, dbPath, `${sc.section}-${kind}`);
      const bodies = new CreateBodies(fx.bench, prepared);
      const m = await measure(
        ctx,
        server,
        {
          id: `${sc.section}.${kind}`,
          section: sc.section,
          scenario: `${kind} create${kind === 'anypay' ? ' (PNG)' : ''} — ${sc.label}`,
        },
        {
          method: 'POST',
          path: `/api/${kind}/create`,
          headers: FORM,
          next: bodies.next,
          sample: createSample(kind),
          sampleEvery: 200,
        },
      );
      const ok = m.result.requests - m.result.non100 + (m.warmup ? m.warmup.requests - m.warmup.non100 : 0);
      m.row.notes.push(...verifyCreated(dbPath, fx, ok, ctx.options.connections));
      if (bodies.count > prepared.length) {
        m.row.notes.push(`${bodies.count - prepared.length} bodies signed during the run`);
      }
      rows.push(m.row);

      if (kind === 'cloudpay') {
        const paths = findPaths(dbPath, fx);
        const f = await measure(
          ctx,
          server,
          { id: `${sc.section}.findOrder`, section: sc.section, scenario: `findOrder — ${sc.label}` },
          {
            method: 'GET',
            path: paths[0] as string,
            next: cycle(paths),
            sample: findSample,
            sampleEvery: 200,
          },
        );
        f.row.notes.push(`asks for ${paths.length.toLocaleString('en')} distinct orders of the merchant`);
        rows.push(f.row);
      }
    } catch (err) {
      ctx.fail(`${sc.section}.${kind}`, err);
    } finally {
      await server?.stop();
    }
  }
  const order = ['cloudpay', 'anypay', 'findOrder'];
  return rows.sort(
    (a, b) => order.indexOf(a.id.split('.')[1] ?? '') - order.indexOf(b.id.split('.')[1] ?? ''),
  );
}
