/** Benchmark settings, all from the environment so `npm run bench` needs no arguments. */
export interface BenchOptions {
  /** Seconds of each measured load run (BENCH_DURATION, default 10). */
  duration: number;
  /** Seconds of un-measured load before each run, so the server is JIT-warm (BENCH_WARMUP, default 1). */
  warmup: number;
  /** Concurrent HTTP connections of the load generator (BENCH_CONNECTIONS, default 50). */
  connections: number;
  /** Orders written into the database of the `seeded` section (BENCH_SEED_ORDERS, default 1,000,000). */
  seedOrders: number;
  /** Section names to run (BENCH_ONLY=create,seeded); null = all. */
  only: string[] | null;
  /** Signed create bodies prepared before the clock starts (BENCH_BODIES, default 100,000; more are signed on the fly). */
  bodies: number;
  /** Write a V8 CPU profile of every server child into bench/results/profiles (BENCH_CPU_PROF=1). */
  cpuProf: boolean;
  /** Keep the temporary databases for inspection (BENCH_KEEP_TMP=1). */
  keepTmp: boolean;
  /**
   * Before each run, wait up to this many seconds for other processes to leave the CPUs alone
   * (BENCH_WAIT_QUIET, default 0 = do not wait). For shared development machines.
   */
  waitQuiet: number;
  /** Time every SQL statement in the server children and report the costliest (BENCH_QUERY_STATS=1). */
  queryStats: boolean;
  /**
   * Modules of bench/preload loaded into the gateway child to try a change without editing src
   * (BENCH_EXPERIMENT=stmt-cache). Runs with an experiment do not measure the shipped code.
   */
  experiments: string[];
}

export const OPTION_VARIABLES = [
  'BENCH_DURATION',
  'BENCH_WARMUP',
  'BENCH_CONNECTIONS',
  'BENCH_SEED_ORDERS',
  'BENCH_ONLY',
  'BENCH_BODIES',
  'BENCH_CPU_PROF',
  'BENCH_KEEP_TMP',
  'BENCH_WAIT_QUIET',
  'BENCH_QUERY_STATS',
  'BENCH_EXPERIMENT',
] as const;

function num(env: Record<string, string | undefined>, name: string, def: number, min: number, max: number) {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new Error(`${name} must be a number between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

function flag(env: Record<string, string | undefined>, name: string): boolean {
  const raw = (env[name] ?? '').toLowerCase();
  return raw === '1' || raw === 'true' || raw === 'yes';
}

export function readOptions(env: Record<string, string | undefined> = process.env): BenchOptions {
  const only = (env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return {
    duration: num(env, 'BENCH_DURATION', 10, 1, 3600),
    warmup: num(env, 'BENCH_WARMUP', 1, 0, 600),
    connections: Math.round(num(env, 'BENCH_CONNECTIONS', 50, 1, 10_000)),
    seedOrders: Math.round(num(env, 'BENCH_SEED_ORDERS', 1_000_000, 0, 100_000_000)),
    only: only.length > 0 ? only : null,
    bodies: Math.round(num(env, 'BENCH_BODIES', 100_000, 0, 10_000_000)),
    cpuProf: flag(env, 'BENCH_CPU_PROF'),
    keepTmp: flag(env, 'BENCH_KEEP_TMP'),
    waitQuiet: num(env, 'BENCH_WAIT_QUIET', 0, 0, 3600),
    queryStats: flag(env, 'BENCH_QUERY_STATS'),
    experiments: (env.BENCH_EXPERIMENT ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  };
}

/** The command that reproduces this run, e.g. `BENCH_DURATION=2 npm run bench`. */
export function commandLine(env: Record<string, string | undefined> = process.env): string {
  const vars = OPTION_VARIABLES.filter((v) => env[v] !== undefined && env[v] !== '').map(
    (v) => `${v}=${env[v]}`,
  );
  const script = env.npm_lifecycle_event ? `npm run ${env.npm_lifecycle_event}` : 'npx tsx bench/run.ts';
  return [...vars, script].join(' ');
}
