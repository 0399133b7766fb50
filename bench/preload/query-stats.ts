/**
 * Loaded into a server child with BENCH_QUERY_STATS=1: times every SQL statement the gateway runs
 * (better-sqlite3 `prepare` and the statement's run/all/get), by SQL text. On SIGUSR2 it writes
 * the totals since the last SIGUSR2 to $BENCH_QUERY_STATS_FILE and starts again from zero.
 * Changes nothing in what the gateway does (apart from the timing calls).
 */
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';

interface Stat {
  calls: number;
  prepareNs: number;
  execNs: number;
  maxNs: number;
  rows: number;
}

const stats = new Map<string, Stat>();
const now = () => process.hrtime.bigint();
const proto = Database.prototype as unknown as { prepare(sql: string): any };
const prepare = proto.prepare;

const wrapped = new WeakSet<object>();
const statOf = (sql: string): Stat => {
  let s = stats.get(sql);
  if (!s) stats.set(sql, (s = { calls: 0, prepareNs: 0, execNs: 0, maxNs: 0, rows: 0 }));
  return s;
};

proto.prepare = function (this: unknown, sql: string) {
  const t0 = now();
  const stmt = prepare.call(this, sql);
  statOf(sql).prepareNs += Number(now() - t0);
  // A statement cache (BENCH_EXPERIMENT=stmt-cache) hands out the same object again.
  if (wrapped.has(stmt)) return stmt;
  wrapped.add(stmt);
  for (const method of ['run', 'all', 'get'] as const) {
    const original = stmt[method];
    stmt[method] = function (this: unknown, ...args: unknown[]) {
      const t1 = now();
      const result = original.apply(this, args);
      const s = statOf(sql);
      const ns = Number(now() - t1);
      s.calls++;
      s.execNs += ns;
      if (ns > s.maxNs) s.maxNs = ns;
      if (Array.isArray(result)) s.rows += result.length;
      return result;
    };
  }
  return stmt;
};

process.on('SIGUSR2', () => {
  const file = process.env.BENCH_QUERY_STATS_FILE;
  const out = [...stats].map(([sql, s]) => ({ sql, ...s }));
  stats.clear();
  if (file) writeFileSync(file, JSON.stringify(out));
});
