import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/connect.js';
import {
  type DueQuery,
  dueNotificationsQuery,
  findDueNotifications,
} from '../../src/notify/notification.repository.js';
import { openServices } from '../../src/runtime.js';
import type { Services } from '../../src/services.js';
import { createScratchPostgres, type ScratchDatabase, TEST_DIALECT } from '../helpers/database.js';
import { createOrder, merchantWithAccount } from './fixtures.js';

const BACKLOG = 200_000;
const NOW = 1_700_000_000_000;
const HANGING = 'hang.example';

interface PgPlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PgPlanNode[];
}

function pgNodes(node: PgPlanNode): PgPlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(pgNodes)];
}

/** SQLite's EXPLAIN QUERY PLAN of a compiled query: one line per loop or lookup. */
async function sqlitePlan(db: Db, c: CompiledQuery): Promise<string[]> {
  const res = await db.kysely.executeQuery<{ detail: string }>(
    CompiledQuery.raw(`explain query plan ${c.sql}`, [...c.parameters]),
  );
  return res.rows.map((r) => r.detail);
}

/** PostgreSQL's EXPLAIN ANALYZE of a compiled query, its nodes flattened. */
async function pgPlan(db: Db, c: CompiledQuery): Promise<PgPlanNode[]> {
  const res = await db.kysely.executeQuery<{ 'QUERY PLAN': Array<{ Plan: PgPlanNode }> }>(
    CompiledQuery.raw(`explain (analyze, format json) ${c.sql}`, [...c.parameters]),
  );
  return pgNodes(res.rows[0]!['QUERY PLAN'][0]!.Plan);
}

/**
 * The due-rows query reads `notifications` by index seeks bounded by host, never a range that
 * spans a backlog: on SQLite every access is a rowid lookup or an index range on `target_host`
 * (EXPLAIN QUERY PLAN); on PostgreSQL only index scans, and the rows they read (filtered out
 * ones included) are a handful (EXPLAIN ANALYZE).
 */
async function expectIndexSearchOnly(db: Db, q: DueQuery) {
  const c = dueNotificationsQuery(db.kysely, db.dialect, NOW, q).compile();
  if (db.dialect === 'sqlite') {
    const details = await sqlitePlan(db, c);
    expect(details.filter((d) => /^(SCAN|SEARCH) (notifications|n|d)\b/.test(d))).toEqual([
      // The first host: the start of the pending range, LIMIT 1.
      'SEARCH notifications USING COVERING INDEX notifications_due_by_host (state=?)',
      // Each next host: one seek past the previous host, its backlog however long.
      'SEARCH notifications USING COVERING INDEX notifications_due_by_host (state=? AND target_host>?)',
      'SEARCH n USING INTEGER PRIMARY KEY (rowid=?)',
      // Each host's due rows: a range within that host, LIMIT perHost.
      'SEARCH d USING INDEX notifications_due_by_host (state=? AND target_host=? AND next_attempt_at<?)',
    ]);
    expect(details.filter((d) => d.startsWith('SCAN '))).toEqual([
      'SCAN CONSTANT ROW',
      'SCAN hosts',
      'SCAN hosts',
    ]);
    return;
  }
  const nodes = await pgPlan(db, c);
  const onTable = nodes.filter((n) => n['Relation Name'] === 'notifications');
  expect(onTable.length).toBeGreaterThan(0);
  expect(onTable.every((n) => n['Node Type'] === 'Index Scan' || n['Node Type'] === 'Index Only Scan')).toBe(
    true,
  );
  // Each host's range comes out of the index in (next_attempt_at, id) order: nothing sorts it.
  expect(nodes.map((n) => n['Node Type'])).not.toContain('Incremental Sort');
  const rowsRead = onTable.reduce(
    (sum, n) =>
      sum +
      (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0) + (n['Rows Removed by Index Recheck'] ?? 0)) *
        n['Actual Loops'],
    0,
  );
  // A few seeks per host and the rows returned: not the backlog.
  expect(rowsRead).toBeLessThan(30);
}

describe('due notifications beside a saturated host with a 200k-row backlog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shouyin-due-'));
  let scratch: ScratchDatabase | null = null;
  let services: Services;
  let db: Db;
  let healthy: number[] = [];
  let backlogHead: number[] = [];

  beforeAll(async () => {
    scratch = TEST_DIALECT === 'postgres' ? await createScratchPostgres() : null;
    const url = scratch ? scratch.url : `sqlite:${join(dir, 'shouyin.db')}`;
    services = (await openServices(loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' }))).services;
    db = services.db;
    const { merchant } = await merchantWithAccount(services, `http://${HANGING}/notify`);
    const order = await createOrder(services, merchant, 1000);
    const row = (host: string, webhookId: unknown, dueAt: unknown) => sql`
      ${order.id}, ${merchant.id}, 'gatepay', 'POST', ${`http://${host}/notify`}, '',
      'application/x-www-form-urlencoded', 'trimmed-success', ${webhookId}, ${host}, 'pending',
      ${dueAt}, 0, ${NOW - 2_000_000}`;
    const columns = sql`(order_id, merchant_id, protocol, method, url, body, content_type,
      success_rule, webhook_id, target_host, state, next_attempt_at, lease_until, created_at)`;
    // The hanging host's backlog: due long before anyone else's rows.
    const due = sql`cast(${NOW - 1_000_000} as bigint) + i`;
    const webhookId = sql`'msg_' || i`;
    if (db.dialect === 'postgres') {
      await sql`insert into notifications ${columns}
        select ${row(HANGING, webhookId, due)} from generate_series(1, ${BACKLOG}) as s(i)`.execute(
        db.kysely,
      );
    } else {
      await sql`with recursive s(i) as (select 1 union all select i + 1 from s where i < ${BACKLOG})
        insert into notifications ${columns} select ${row(HANGING, webhookId, due)} from s`.execute(
        db.kysely,
      );
    }
    // Its oldest two are in flight (leased) in the instance whose slots it fills.
    const head = await db.kysely
      .selectFrom('notifications')
      .select('id')
      .where('target_host', '=', HANGING)
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(4)
      .execute();
    backlogHead = head.map((r) => Number(r.id));
    await db.kysely
      .updateTable('notifications')
      .set({ lease_until: NOW + 60_000 })
      .where('id', 'in', backlogHead.slice(0, 2))
      .execute();
    // A healthy host with three due rows, and a host whose only row is not due yet.
    for (const [host, i, dueAt] of [
      ['ok.example', 'ok1', NOW - 1000],
      ['ok.example', 'ok2', NOW - 999],
      ['ok.example', 'ok3', NOW - 998],
      ['later.example', 'later', NOW + 60_000],
    ] as const) {
      await sql`insert into notifications ${columns} values (${row(host, i, dueAt)})`.execute(db.kysely);
    }
    const ok = await db.kysely
      .selectFrom('notifications')
      .select('id')
      .where('target_host', '=', 'ok.example')
      .orderBy('id')
      .execute();
    healthy = ok.map((r) => Number(r.id));
    // What autovacuum would have done on a table that grew by 200k rows.
    if (db.dialect === 'postgres') await sql`analyze notifications`.execute(db.kysely);
  }, 60_000);

  afterAll(async () => {
    await services?.db.close();
    await scratch?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("finds the healthy host's due rows by index seeks past the saturated host's backlog, never walking it", async () => {
    const q = { perHost: 2, limit: 256, excludeHosts: [HANGING] };
    await expectIndexSearchOnly(db, q);
    const rows = await findDueNotifications(db.kysely, db.dialect, NOW, q);
    // Oldest first, at most the per-host cap of rows per host; the saturated host left out.
    expect(rows.map((r) => [r.id, r.host])).toEqual([
      [healthy[0], 'ok.example'],
      [healthy[1], 'ok.example'],
    ]);
  });

  it('reads only the unleased head of a backlog whose host is saturated by another instance', async () => {
    const q = { perHost: 2, limit: 256 };
    await expectIndexSearchOnly(db, q);
    const rows = await findDueNotifications(db.kysely, db.dialect, NOW, q);
    expect(rows.map((r) => r.id)).toEqual([backlogHead[2], backlogHead[3], healthy[0], healthy[1]]);
    // The global limit cuts the oldest-first list.
    const one = await findDueNotifications(db.kysely, db.dialect, NOW, { ...q, limit: 1 });
    expect(one.map((r) => r.id)).toEqual([backlogHead[2]]);
  });
});
