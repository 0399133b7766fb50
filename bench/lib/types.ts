import type { BenchOptions } from './options.js';

/** One line of the results table (and of bench/results/latest.json). */
export interface Row {
  /** Stable id, `section.case`, e.g. `create.cloudpay`; aims refer to rows by it. */
  id: string;
  section: string;
  /** Human label printed in the table. */
  scenario: string;
  /** Responses per second over the measured window (all answers, good or bad). */
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses received in the measured window. */
  requests: number;
  /** Answers whose envelope code was not 100 (includes non-2xx answers). */
  non100: number;
  /** Socket errors and timeouts (no answer at all). */
  errors: number;
  /** reqPerSec divided by the bare Fastify route's; filled in by run.ts. */
  ratioToBare: number | null;
  /** Envelope codes other than 100 and how often each came back. */
  codes: Record<string, number>;
  /** CPU of the server child, % of one core, over the measured window (null when unknown). */
  serverCpuPct: number | null;
  /**
   * Server CPU time per answer, µs: the gateway's cost of one request, much less disturbed by
   * other work on the machine than req/s is. Use it to compare code changes on a busy machine.
   */
  serverCpuUsPerReq: number | null;
  /** CPU of the load generator (this process), % of one core, over the measured window. */
  loadCpuPct: number;
  /**
   * CPU used by everything else on the machine over the measured window, % of one core. Much
   * above ~10 % means the run competed with other work and its numbers are low.
   */
  otherCpuPct: number | null;
  /** Answers per second, second by second (a falling series means the server slows as it fills). */
  perSecond: number[];
  /** Anything a reader should know about the row (failed sample checks, warm-up errors, …). */
  notes: string[];
}

/** A stated aim, evaluated over the rows of the run. */
export interface Check {
  aim: string;
  /** What was measured, in words and numbers. */
  measured: string;
  /** null when a needed row was not run (BENCH_ONLY). */
  pass: boolean | null;
}

/** What every section gets. */
export interface BenchContext {
  options: BenchOptions;
  /** Temporary folder of this run (databases, copies); removed at the end unless BENCH_KEEP_TMP=1. */
  tmpDir: string;
  /** bench/results */
  resultsDir: string;
  /** Progress line on stderr (the table goes to stdout). */
  log(message: string): void;
  /** Computes a value once per run and shares it between sections (fixtures, body pools). */
  once<T>(key: string, make: () => Promise<T>): Promise<T>;
  /** Records a failure without giving up the section's other rows (it is reported, exit code 1). */
  fail(where: string, err: unknown): void;
  /** Extra facts a section wants recorded in latest.json under `facts[section]`. */
  record(section: string, facts: Record<string, unknown>): void;
}

/**
 * A benchmark section: bench/sections/*.ts export one. run.ts runs the selected sections in
 * order (BENCH_ONLY filters by `name`, `needs` are added), then evaluates every section's aims
 * over all rows.
 */
export interface Section {
  name: string;
  title: string;
  /** Sections whose rows this one compares against (run first, even when not in BENCH_ONLY). */
  needs?: string[];
  run(ctx: BenchContext): Promise<Row[]>;
  aims?(rows: readonly Row[]): Check[];
}
