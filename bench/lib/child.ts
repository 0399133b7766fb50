import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { processCpuMs } from './cpu.js';

/** The line a bench server prints on stdout once it listens: `BENCH_READY <url>`. */
export const READY_PREFIX = 'BENCH_READY ';

export interface ChildServer {
  url: string;
  pid: number;
  /** Where bench/preload/query-stats.ts writes its totals, when it is loaded. */
  queryStatsFile?: string;
  /** User + system CPU time of the child so far, in ms (from /proc; null where there is none). */
  cpuMs(): number | null;
  /** SIGTERM, wait for a clean exit (a CPU profile is written then), SIGKILL after 15 s. */
  stop(): Promise<void>;
}

const TSX = import.meta.resolve('tsx');
/**
 * Starts `script` (a TypeScript file under bench/) in its own Node process through tsx, and
 * resolves once it printed its URL. The server under test never shares an event loop with the
 * load generator.
 */
export async function startChild(
  script: URL,
  env: Record<string, string>,
  opts: { cpuProfDir?: string; label: string; preload?: URL[] },
): Promise<ChildServer> {
  const args = [
    ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []),
    '--import',
    TSX,
    ...(opts.preload ?? []).flatMap((u) => ['--import', u.href]),
    fileURLToPath(script),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await waitForReady(child, opts.label);
  const pid = child.pid as number;
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exit.then(() => (exited = true));
  return {
    url,
    pid,
    cpuMs: () => processCpuMs(pid),
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

function waitForReady(child: ChildProcess, label: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let settled = false;
    const timer = setTimeout(
      () => fail(new Error(`${label}: no ${READY_PREFIX.trim()} line within 60 s`)),
      60_000,
    );
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      if (settled) {
        process.stderr.write(`[${label}] ${chunk}`);
        return;
      }
      out += chunk;
      const line = out.split('\n').find((l) => l.startsWith(READY_PREFIX));
      if (line) {
        settled = true;
        clearTimeout(timer);
        resolve(line.slice(READY_PREFIX.length).trim());
      }
    });
    // Warnings and errors of the server (LOG_LEVEL=warn) stay visible.
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => process.stderr.write(`[${label}] ${chunk}`));
    child.once('exit', (code, signal) =>
      fail(new Error(`${label} exited before it was ready (code ${code}, signal ${signal}): ${out}`)),
    );
    child.once('error', fail);
  });
}
