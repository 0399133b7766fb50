import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ChildServer, startChild } from './child.js';
import { formatQueryCosts, summarise, takeQueryStats } from './query-stats.js';
import type { BenchContext } from './types.js';

const SERVER = new URL('../server.ts', import.meta.url);

/**
 * Starts the real gateway (bench/server.ts) over `dbPath` in a child process, like
 * `startGatewayChild`, but allowed to notify 127.0.0.1 (ALLOW_PRIVATE_CALLBACKS=1: the merchant
 * endpoints of these sections run in the bench process) and with `env` added. Honours
 * BENCH_CPU_PROF, BENCH_EXPERIMENT and BENCH_QUERY_STATS the same way.
 */
export async function startPushGateway(
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
      ALLOW_PRIVATE_CALLBACKS: '1',
      ...(queryStatsFile ? { BENCH_QUERY_STATS_FILE: queryStatsFile } : {}),
      ...env,
    },
    { label, cpuProfDir, preload },
  );
  return { ...server, queryStatsFile };
}

/** Drops the statement totals gathered so far (setup, warm-up), when BENCH_QUERY_STATS is on. */
export async function dropQueryStats(server: ChildServer): Promise<void> {
  if (server.queryStatsFile) await takeQueryStats(server, server.queryStatsFile);
}

/** Logs and records the statement costs of a measured window per unit of work. */
export async function reportQueryStats(
  ctx: BenchContext,
  server: ChildServer,
  row: { id: string; scenario: string },
  units: number,
): Promise<void> {
  if (!server.queryStatsFile) return;
  const stats = await takeQueryStats(server, server.queryStatsFile);
  if (!stats) return;
  const costs = summarise(stats, units);
  ctx.record('queries', { [row.id]: costs });
  ctx.log(formatQueryCosts(`  ${row.scenario}`, costs));
}
