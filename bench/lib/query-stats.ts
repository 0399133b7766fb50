import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { ChildServer } from './child.js';

/** One SQL statement's cost over a measured run, as bench/preload/query-stats.ts counts it. */
export interface QueryCost {
  sql: string;
  /** Executions per HTTP request of the run. */
  perRequest: number;
  /** Mean µs per execution: prepare + run/all/get. */
  prepareUs: number;
  execUs: number;
  /** Slowest single execution, µs. */
  maxUs: number;
  /** Mean rows returned per execution (reads). */
  rows: number;
  /** µs of this statement per HTTP request. */
  usPerRequest: number;
}

interface RawStat {
  sql: string;
  calls: number;
  prepareNs: number;
  execNs: number;
  maxNs: number;
  rows: number;
}

/** Asks the child for its statement totals since the last call (and resets them). */
export async function takeQueryStats(server: ChildServer, file: string): Promise<RawStat[] | null> {
  rmSync(file, { force: true });
  process.kill(server.pid, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 20));
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as RawStat[];
      } catch {
        // still being written
      }
    }
  }
  return null;
}

export function summarise(stats: RawStat[], requests: number): QueryCost[] {
  return stats
    .map((s) => ({
      sql: s.sql.replace(/\s+/g, ' ').trim(),
      perRequest: s.calls / Math.max(requests, 1),
      prepareUs: s.prepareNs / 1000 / Math.max(s.calls, 1),
      execUs: s.execNs / 1000 / Math.max(s.calls, 1),
      maxUs: s.maxNs / 1000,
      rows: s.rows / Math.max(s.calls, 1),
      usPerRequest: (s.prepareNs + s.execNs) / 1000 / Math.max(requests, 1),
    }))
    .sort((a, b) => b.usPerRequest - a.usPerRequest);
}

export function formatQueryCosts(title: string, costs: readonly QueryCost[], top = 10): string {
  const total = costs.reduce((n, c) => n + c.usPerRequest, 0);
  const lines = costs
    .slice(0, top)
    .map(
      (c) =>
        `  ${c.usPerRequest.toFixed(0).padStart(6)} µs/req  ${c.perRequest.toFixed(2).padStart(5)}×  ` +
        `prepare ${c.prepareUs.toFixed(1).padStart(6)} + run ${c.execUs.toFixed(1).padStart(7)} µs ` +
        `(max ${(c.maxUs / 1000).toFixed(1)} ms)  ` +
        `${c.rows > 0 ? `${c.rows.toFixed(1)} rows  ` : ''}${c.sql.slice(0, 160)}`,
    );
  return [`${title}: SQL ${total.toFixed(0)} µs per request`, ...lines].join('\n');
}
