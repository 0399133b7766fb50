#!/usr/bin/env node
// Builds the server (tsc → dist/) and the console (vite → dist/web/console/) when their sources
// changed since the last build, so `npm start` on a fresh clone builds once and later starts are
// quick. "Changed" is a hash of everything a build reads: src/, web/, tsconfig*.json and
// package-lock.json (dependencies), compared with the stamp the last good build left in dist/.
// `--force` builds whatever the stamp says (that is `npm run build`).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stampFile = join(root, 'dist', '.build-stamp');
const outputs = [join(root, 'dist', 'main.js'), join(root, 'dist', 'web', 'console', 'index.html')];
// Each tool's own entry run by this Node (no shell shims: the same on every platform).
const tool = (path) => join(root, 'node_modules', path);

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name.startsWith('.')) return [];
    const path = join(dir, e.name);
    return e.isDirectory() ? files(path) : [path];
  });
}

function sourceHash() {
  const top = readdirSync(root).filter((n) => /^tsconfig.*\.json$/.test(n) || n === 'package-lock.json');
  const all = [...files(join(root, 'src')), ...files(join(root, 'web')), ...top.map((n) => join(root, n))];
  const hash = createHash('sha256');
  for (const path of all.map((p) => relative(root, p)).sort()) {
    hash.update(`${path}\0${statSync(join(root, path)).size}\0`);
    hash.update(readFileSync(join(root, path)));
  }
  return hash.digest('hex');
}

function run(label, args) {
  process.stdout.write(`build: ${label}\n`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`build: ${label} failed\n`);
    process.exit(r.status ?? 1);
  }
}

const force = process.argv.includes('--force');
const hash = sourceHash();
const stamp = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
if (!force && stamp === hash && outputs.every((p) => existsSync(p))) {
  process.stdout.write('build: sources unchanged since the last build, skipping\n');
  process.exit(0);
}

// No stamp while building: a build that fails half-way is never taken for a good one.
rmSync(stampFile, { force: true });
run('server (tsc -p tsconfig.build.json)', [tool('typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
run('console (vite build web/console)', [
  tool('vite/bin/vite.js'),
  'build',
  'web/console',
  '--logLevel',
  'warn',
]);
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(stampFile, `${hash}\n`);
