/**
 * Shouyin's benchmark suite: `npm run bench`.
 *
 * Every server under test runs in a child process and is measured alone; autocannon runs here.
 * Sections live in bench/sections (each exports a `Section`); BENCH_ONLY=create,seeded picks
 * some (plus what they compare against). The table goes to stdout, progress to stderr, and
 * everything to bench/results/latest.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { describeMachine, machineInfo } from './lib/machine.js';
import { commandLine, readOptions } from './lib/options.js';
import { busyWarning, formatChecks, formatTable } from './lib/table.js';
import type { BenchContext, Check, Row, Section } from './lib/types.js';
import { bare } from './sections/bare.js';
import { consoleLists } from './sections/console.js';
import { create } from './sections/create.js';
import { live } from './sections/live.js';
import { monitor } from './sections/monitor.js';
import { notify } from './sections/notify.js';
import { seeded } from './sections/seeded.js';

/** Every section, in the order they run. Add new ones (notifications, monitor push …) here. */
const SECTIONS: Section[] = [bare, create, seeded, consoleLists, notify, monitor, live];

function select(only: string[] | null): Section[] {
  if (only === null) return SECTIONS;
  const known = new Set(SECTIONS.map((s) => s.name));
  const unknown = only.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new Error(`BENCH_ONLY: unknown section ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  }
  const wanted = new Set(only);
  for (const s of SECTIONS) if (wanted.has(s.name)) for (const n of s.needs ?? []) wanted.add(n);
  return SECTIONS.filter((s) => wanted.has(s.name));
}

async function main() {
  const started = Date.now();
  const options = readOptions();
  const sections = select(options.only);
  const command = commandLine();
  const machine = machineInfo();
  const resultsDir = fileURLToPath(new URL('./results', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  const tmpDir = mkdtempSync(join(tmpdir(), 'shouyin-bench-'));

  const memo = new Map<string, Promise<unknown>>();
  const failures: Array<{ section: string; error: string }> = [];
  const facts: Record<string, Record<string, unknown>> = {};
  const ctx: BenchContext = {
    options,
    tmpDir,
    resultsDir,
    log: (message) =>
      process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`),
    once: <T>(key: string, make: () => Promise<T>) => {
      if (!memo.has(key)) memo.set(key, make());
      return memo.get(key) as Promise<T>;
    },
    fail: (where, err) => {
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      failures.push({ section: where, error });
      process.stderr.write(`[bench] ${where} failed: ${error}\n`);
    },
    record: (section, f) => {
      facts[section] = { ...facts[section], ...f };
    },
  };

  ctx.log(`${command}`);
  ctx.log(`sections: ${sections.map((s) => s.name).join(', ')}; temp files in ${tmpDir}`);
  const rows: Row[] = [];
  try {
    for (const s of sections) {
      try {
        rows.push(...(await s.run(ctx)));
      } catch (err) {
        ctx.fail(s.name, err);
      }
    }
  } finally {
    if (options.keepTmp) ctx.log(`kept ${tmpDir}`);
    else rmSync(tmpDir, { recursive: true, force: true });
  }

  const bareRow = rows.find((r) => r.id === 'bare.json');
  // Only sections that declare they compare against the bare route get a ratio (a notification
  // or push rate divided by an HTTP request rate would mean nothing).
  const comparing = new Set(sections.filter((s) => s.needs?.includes('bare')).map((s) => s.name));
  for (const r of rows) {
    if (bareRow && r !== bareRow && comparing.has(r.section)) r.ratioToBare = r.reqPerSec / bareRow.reqPerSec;
  }
  const checks: Check[] = sections.flatMap((s) => s.aims?.(rows) ?? []);
  const seconds = (Date.now() - started) / 1000;

  const out: string[] = [
    '',
    `Shouyin benchmark — ${new Date(started).toISOString()}`,
    `command: ${command}`,
    describeMachine(machine),
    `settings: ${options.duration} s per run after ${options.warmup} s warm-up, ${options.connections} connections; ` +
      `seeded section: ${options.seedOrders.toLocaleString('en')} orders`,
    ...(options.experiments.length > 0
      ? [`EXPERIMENT loaded into the gateway: ${options.experiments.join(', ')} — not the shipped code`]
      : []),
    '',
    formatTable(rows),
    '',
    formatChecks(checks),
  ];
  const warning = busyWarning(rows);
  if (warning) out.push('', warning);
  const notes = rows.flatMap((r) => r.notes.map((n) => `- ${r.scenario}: ${n}`));
  if (notes.length > 0) out.push('', 'notes:', ...notes);
  if (failures.length > 0) out.push('', ...failures.map((f) => `FAILED section ${f.section}: ${f.error}`));
  out.push('', `total ${seconds.toFixed(0)} s; results in bench/results/latest.json`, '');
  process.stdout.write(out.join('\n'));

  const resultsFile = join(resultsDir, 'latest.json');
  const json = JSON.stringify({
    startedAt: new Date(started).toISOString(),
    seconds: Math.round(seconds),
    command,
    machine,
    options,
    rows,
    aims: checks,
    facts,
    failures,
  });
  // Formatted as the repository's Prettier config wants, so `npm run format:check` stays green.
  const prettierOptions = (await resolveConfig(resultsFile)) ?? {};
  writeFileSync(resultsFile, await format(json, { ...prettierOptions, parser: 'json' }));
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
