import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { ChildServer } from './child.js';
import { machineBusyMs, processCpuMs, waitForQuiet } from './cpu.js';
import type { BenchContext, Row } from './types.js';

/**
 * Measuring things autocannon cannot: latencies from one event to another (a payment report to
 * the merchant's notification, to a cashier stream's event), and bounded request loops whose
 * answers are not the GatePay envelope (monitor API, V免签). Results become ordinary table rows.
 */

/** Latencies and outcomes of one measured run. */
export class Tally {
  /** Milliseconds, one per good sample. */
  readonly latencies: number[] = [];
  /** performance.now() at which each good sample completed (for the per-second series). */
  readonly doneAt: number[] = [];
  /** Answers that came back but were not the expected one. */
  bad = 0;
  /** No answer or no event at all (socket error, timeout). */
  errors = 0;
  readonly codes: Record<string, number> = {};
  readonly problems: string[] = [];

  ok(ms: number, at = performance.now()): void {
    this.latencies.push(ms);
    this.doneAt.push(at);
  }

  /** An answer that arrived but was wrong; `code` groups them in the table. */
  wrong(code: string, detail: string): void {
    this.bad++;
    this.codes[code] = (this.codes[code] ?? 0) + 1;
    if (this.problems.length < 5) this.problems.push(detail.slice(0, 200));
  }

  failed(detail: string): void {
    this.errors++;
    if (this.problems.length < 5) this.problems.push(detail.slice(0, 200));
  }

  get count(): number {
    return this.latencies.length;
  }
}

/** The q-quantile (0 < q ≤ 1) by the nearest-rank method; NaN without samples. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

/** User + system CPU of every process below `root` (Chromium's renderers, …), except `exclude`. */
function descendantsCpuMs(root: number, exclude: ReadonlySet<number>): number {
  const parent = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return 0;
  }
  for (const e of entries) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(e), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  const isBelow = (pid: number): boolean => {
    for (let p = parent.get(pid), hops = 0; p !== undefined && hops < 64; p = parent.get(p), hops++) {
      if (exclude.has(p)) return false;
      if (p === root) return true;
    }
    return false;
  };
  let total = 0;
  for (const pid of parent.keys()) {
    if (pid === root || exclude.has(pid) || !isBelow(pid)) continue;
    total += processCpuMs(pid) ?? 0;
  }
  return total;
}

export interface CpuFigures {
  wallMs: number;
  serverCpuMs: number | null;
  /** This process plus its own helper processes (a browser), not the server. */
  loadCpuMs: number;
  otherCpuPct: number | null;
}

/**
 * CPU accounting over a measured window, as measure.ts does for autocannon runs: the server
 * child, the load side (this process and its other children, e.g. Chromium) and everything else.
 */
export function cpuWindow(server: ChildServer): { end(): CpuFigures } {
  const exclude = new Set([server.pid]);
  const busy0 = machineBusyMs();
  const server0 = server.cpuMs();
  const self0 = process.cpuUsage();
  const kids0 = descendantsCpuMs(process.pid, exclude);
  const t0 = performance.now();
  return {
    end() {
      const wallMs = performance.now() - t0;
      const server1 = server.cpuMs();
      const busy1 = machineBusyMs();
      const self = process.cpuUsage(self0);
      const kids = Math.max(0, descendantsCpuMs(process.pid, exclude) - kids0);
      const loadCpuMs = (self.user + self.system) / 1000 + kids;
      const serverCpuMs = server0 === null || server1 === null ? null : server1 - server0;
      const otherCpuPct =
        busy0 === null || busy1 === null || serverCpuMs === null
          ? null
          : Math.max(0, ((busy1 - busy0 - serverCpuMs - loadCpuMs) / wallMs) * 100);
      return { wallMs, serverCpuMs, loadCpuMs, otherCpuPct };
    },
  };
}

/** Waits for a quiet machine first when BENCH_WAIT_QUIET asks for it (as measure.ts does). */
export async function settle(ctx: BenchContext): Promise<void> {
  if (ctx.options.waitQuiet <= 0) return;
  const w = await waitForQuiet(ctx.options.waitQuiet);
  if (w.waitedS > 4)
    ctx.log(`  waited ${w.waitedS.toFixed(0)} s for a quiet machine${w.quiet ? '' : ' (in vain)'}`);
}

/** Completions per second of the window, from their timestamps. */
function perSecond(doneAt: readonly number[], startedAt: number, wallMs: number): number[] {
  const seconds = Math.max(1, Math.floor(wallMs / 1000));
  const out = new Array<number>(seconds).fill(0);
  for (const t of doneAt) {
    const i = Math.floor((t - startedAt) / 1000);
    if (i >= 0 && i < seconds) out[i] = (out[i] ?? 0) + 1;
  }
  return out;
}

export interface RowInput {
  id: string;
  section: string;
  scenario: string;
  tally: Tally;
  cpu: CpuFigures;
  /** performance.now() when the window began (for the per-second series). */
  startedAt: number;
  /** What the req/s column shows; by default good samples per second of the window. */
  rate?: number;
  /** Units the server worked for (CPU µs per unit); by default the good samples. */
  units?: number;
  notes?: string[];
}

/** A table row from a tally and its CPU window. p50/p99 are of the tally's latencies. */
export function rowOf(input: RowInput): Row {
  const { tally, cpu } = input;
  const units = input.units ?? tally.count;
  const notes = [...(input.notes ?? [])];
  if (tally.problems.length > 0) notes.push(`e.g. ${tally.problems.slice(0, 2).join(' | ')}`);
  return {
    id: input.id,
    section: input.section,
    scenario: input.scenario,
    reqPerSec: input.rate ?? tally.count / (cpu.wallMs / 1000),
    p50Ms: percentile(tally.latencies, 0.5),
    p99Ms: percentile(tally.latencies, 0.99),
    requests: tally.count + tally.bad,
    non100: tally.bad,
    errors: tally.errors,
    ratioToBare: null,
    codes: tally.codes,
    serverCpuPct: cpu.serverCpuMs === null ? null : (cpu.serverCpuMs / cpu.wallMs) * 100,
    serverCpuUsPerReq: cpu.serverCpuMs === null ? null : (cpu.serverCpuMs * 1000) / Math.max(units, 1),
    loadCpuPct: (cpu.loadCpuMs / cpu.wallMs) * 100,
    otherCpuPct: cpu.otherCpuPct,
    perSecond: perSecond(tally.doneAt, input.startedAt, cpu.wallMs),
    notes,
  };
}

/** One progress line per row, like measure.ts prints. */
export function logRow(ctx: BenchContext, row: Row, unit = 'req/s'): void {
  ctx.log(
    `  ${row.scenario}: ${Math.round(row.reqPerSec)} ${unit}, p50 ${row.p50Ms.toFixed(1)} ms, ` +
      `p99 ${row.p99Ms.toFixed(1)} ms, ${row.non100} wrong, ${row.errors} errors`,
  );
}

/**
 * Runs `workers` loops side by side until `durationS` has passed or `maxCount` operations were
 * started, whichever comes first. `op` does one operation (and records it); it returns false when
 * it has nothing left to do (a pool ran out), which stops that worker.
 */
export async function runWorkers(
  workers: number,
  limits: { durationS: number; maxCount: number },
  op: (worker: number, i: number) => Promise<boolean>,
): Promise<{ started: number; wallMs: number }> {
  const t0 = performance.now();
  const deadline = t0 + limits.durationS * 1000;
  let started = 0;
  const loop = async (w: number) => {
    while (performance.now() < deadline && started < limits.maxCount) {
      const i = started++;
      if (!(await op(w, i))) return;
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => loop(w)));
  return { started, wallMs: performance.now() - t0 };
}

/** `load 1.23 / 2.34 / 3.45`: the machine's load averages, for the notes. */
export function loadNote(): string {
  return `load average at start ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ')}`;
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Rejects with `what` after `ms` unless `p` settles first. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
