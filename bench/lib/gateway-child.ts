import type { ChildServer } from './child.js';
import { startGatewayChild } from './gatepay-scenario.js';
import { formatQueryCosts, summarise, takeQueryStats } from './query-stats.js';
import type { BenchContext } from './types.js';

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
  return startGatewayChild(ctx, dbPath, label, { ALLOW_PRIVATE_CALLBACKS: '1', ...env });
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
