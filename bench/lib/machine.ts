import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import SQLite from 'better-sqlite3';

function version(pkg: string): string {
  try {
    const url = new URL(`../../node_modules/${pkg}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** What the numbers were measured on. */
export function machineInfo() {
  const db = new SQLite(':memory:');
  const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--', 'src']);
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? '?',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${process.platform} ${release()}`,
    node: process.version,
    fastify: version('fastify'),
    betterSqlite3: version('better-sqlite3'),
    sqlite,
    autocannon: version('autocannon'),
    commit: commit === null ? null : `${commit}${dirty ? ' + uncommitted changes in src/' : ''}`,
    loadAverageAtStart: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

export type MachineInfo = ReturnType<typeof machineInfo>;

export function describeMachine(m: MachineInfo): string {
  return (
    `machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}; node ${m.node}, fastify ${m.fastify}, ` +
    `better-sqlite3 ${m.betterSqlite3} (SQLite ${m.sqlite}), autocannon ${m.autocannon}` +
    (m.commit ? `; commit ${m.commit}` : '')
  );
}
