import type { ChildServer } from './child.js';
import { machineBusyMs, waitForQuiet } from './cpu.js';
import { type LoadSpec, type LoadResult, runLoad } from './load.js';
import { formatQueryCosts, summarise, takeQueryStats } from './query-stats.js';
import type { BenchContext, Row } from './types.js';

export interface Measured {
  row: Row;
  /** The measured run and, when there was one, the warm-up before it. */
  result: LoadResult;
  warmup: LoadResult | null;
}

/**
 * Warms the server up (BENCH_WARMUP seconds of the same load, not counted), then measures
 * BENCH_DURATION seconds and turns the result into a table row.
 */
export async function measure(
  ctx: BenchContext,
  server: ChildServer,
  row: { id: string; section: string; scenario: string },
  spec: Omit<LoadSpec, 'url' | 'duration' | 'connections'>,
): Promise<Measured> {
  const { duration, warmup, connections } = ctx.options;
  const full = { ...spec, url: server.url, connections };
  const notes: string[] = [];
  if (ctx.options.waitQuiet > 0) {
    const w = await waitForQuiet(ctx.options.waitQuiet);
    if (w.waitedS > 4)
      ctx.log(`  waited ${w.waitedS.toFixed(0)} s for a quiet machine${w.quiet ? '' : ' (in vain)'}`);
  }
  let warm: LoadResult | null = null;
  if (warmup > 0) {
    warm = await runLoad({ ...full, duration: warmup });
    if (warm.non100 + warm.errors > 0) {
      notes.push(`warm-up: ${warm.non100} non-100, ${warm.errors} errors (${warm.badAnswers[0] ?? ''})`);
    }
  }
  const statsFile = server.queryStatsFile;
  if (statsFile) await takeQueryStats(server, statsFile); // drop the warm-up's
  const busy0 = machineBusyMs();
  const cpu0 = server.cpuMs();
  const t0 = performance.now();
  const result = await runLoad({ ...full, duration });
  const wallMs = performance.now() - t0;
  const cpu1 = server.cpuMs();
  const busy1 = machineBusyMs();
  if (statsFile) {
    const stats = await takeQueryStats(server, statsFile);
    if (stats) {
      const costs = summarise(stats, result.requests);
      ctx.record('queries', { [row.id]: costs });
      ctx.log(formatQueryCosts(`  ${row.scenario}`, costs));
    }
  }
  ctx.log(
    `  ${row.scenario}: ${Math.round(result.reqPerSec)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ` +
      `${result.non100} non-100, ${result.errors} errors`,
  );
  if (result.badAnswers.length > 0) notes.push(`non-100 answers, e.g. ${result.badAnswers[0]}`);
  notes.push(...result.sampleProblems.map((p) => `sample check: ${p}`));
  const ps = result.perSecond;
  if (ps.length >= 4) {
    const head = ((ps[0] as number) + (ps[1] as number)) / 2;
    const tail = ((ps[ps.length - 1] as number) + (ps[ps.length - 2] as number)) / 2;
    if (tail < head * 0.8) {
      notes.push(
        `slows down during the run: ${Math.round(head)}/s in the first 2 s, ${Math.round(tail)}/s in the last 2 s`,
      );
    }
  }
  if (spec.sample && result.sampled === 0) notes.push('no answer was sampled for a full check');
  const serverCpuMs = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
  // Whatever else ran on the machine meanwhile (other processes, the kernel's share for them).
  const otherCpuPct =
    busy0 === null || busy1 === null || serverCpuMs === null
      ? null
      : Math.max(0, ((busy1 - busy0 - serverCpuMs - result.loadCpuMs) / wallMs) * 100);
  return {
    row: {
      ...row,
      reqPerSec: result.reqPerSec,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      requests: result.requests,
      non100: result.non100,
      errors: result.errors,
      ratioToBare: null,
      codes: result.codes,
      serverCpuPct: serverCpuMs === null ? null : (serverCpuMs / wallMs) * 100,
      serverCpuUsPerReq: serverCpuMs === null ? null : (serverCpuMs * 1000) / Math.max(result.requests, 1),
      loadCpuPct: (result.loadCpuMs / wallMs) * 100,
      otherCpuPct,
      perSecond: result.perSecond,
      notes,
    },
    result,
    warmup: warm,
  };
}
