import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIR, consoleStatic, NOT_BUILT } from '../../src/console/static.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET whose answer is kept as the bytes on the wire (fetch would undo the compression). */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    }).on('error', reject);
  });
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

describe('the console build, as the server serves it', () => {
  let gw: TestGateway;
  let index: Buffer;

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIR, 'index.html'))) {
      throw new Error('the console is not built: run `npm run build` before this test');
    }
    index = readFileSync(join(CONSOLE_DIR, 'index.html'));
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('serves every file of `npm run build` byte for byte under /admin, hashed ones cached for a year', async () => {
    const files = walk(CONSOLE_DIR).filter((p) => !/\.(br|gz)$/.test(p));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const rel = relative(CONSOLE_DIR, file).split('\\').join('/');
      const r = await rawGet(`${gw.url}/admin/${rel}`, { 'accept-encoding': 'identity' });
      expect(r.status, rel).toBe(200);
      expect(r.body.equals(readFileSync(file)), rel).toBe(true);
      expect(r.headers['cache-control'], rel).toBe(rel.startsWith('assets/') ? IMMUTABLE : 'no-cache');
      expect(r.headers['x-content-type-options'], rel).toBe('nosniff');
    }
    // What index.html loads is there.
    const refs = [...index.toString().matchAll(/(?:src|href)="(\/admin\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThanOrEqual(2); // the entry script and its stylesheet
    for (const ref of refs)
      expect(existsSync(join(CONSOLE_DIR, ref.slice('/admin/'.length))), ref).toBe(true);
  });

  it('answers brotli or gzip from the precompressed files when the browser takes them', async () => {
    const br = walk(CONSOLE_DIR).filter((p) => p.endsWith('.js.br'));
    expect(br.length).toBeGreaterThan(0);
    const file = br[0]!;
    const rel = relative(CONSOLE_DIR, file.slice(0, -3)).split('\\').join('/');
    const r = await rawGet(`${gw.url}/admin/${rel}`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(r.headers['content-encoding']).toBe('br');
    expect(r.headers['content-type']).toMatch(/^(application|text)\/javascript/);
    expect(r.headers.vary).toBe('accept-encoding');
    expect(r.headers['cache-control']).toBe(IMMUTABLE);
    expect(r.body.equals(readFileSync(file))).toBe(true);
    const gz = await rawGet(`${gw.url}/admin/${rel}`, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.body.equals(readFileSync(`${file.slice(0, -3)}.gz`))).toBe(true);
  });

  it('answers index.html, never cached, for every page address of the SPA', async () => {
    for (const path of ['/admin', '/admin/', '/admin/sign-in', '/admin/orders', '/admin/unknown/deep?x=1']) {
      const r = await rawGet(`${gw.url}${path}`);
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type'], path).toBe('text/html; charset=utf-8');
      expect(r.headers['cache-control'], path).toBe('no-cache');
      expect(r.body.equals(index), path).toBe(true);
    }
  });

  it('never answers the SPA for the admin API, another method, or a missing hashed file', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      for (const path of ['/admin/api', '/admin/api/no-such-endpoint', '/admin/api/orders/x/y']) {
        const r = await fetch(`${gw.url}${path}`, { method });
        expect(r.status, `${method} ${path}`).toBe(404);
        expect(r.headers.get('content-type'), `${method} ${path}`).toMatch(/^application\/json/);
        expect((await r.json()).error, `${method} ${path}`).toBe('not_found');
      }
    }
    const post = await fetch(`${gw.url}/admin/orders`, { method: 'POST' });
    expect(post.status).toBe(404);
    expect((await post.json()).error).toBe('not_found');
    const missing = await fetch(`${gw.url}/admin/assets/index-NOTHERE.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^text\/plain/);
    // Nothing outside the build is reachable through it.
    for (const path of ['/admin/..%2f..%2fpackage.json', '/admin/%2e%2e/%2e%2e/package.json']) {
      const r = await fetch(`${gw.url}${path}`);
      expect(await r.text(), path).not.toContain('"name": "shouyin"'); // the SPA or a 404
    }
  });
});

describe('the console before it is built', () => {
  let app: FastifyInstance;
  let base: string;
  let root: string;

  beforeAll(async () => {
    root = join(mkdtempSync(join(tmpdir(), 'shouyin-console-')), 'console');
    app = Fastify();
    await consoleStatic(app, { root });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dirname(root), { recursive: true, force: true });
  });

  it('answers 503 "console not built: run npm run build" for its pages, and a JSON 404 for the API', async () => {
    for (const path of ['/admin', '/admin/', '/admin/sign-in', '/admin/assets/index-abc.js']) {
      const r = await fetch(`${base}${path}`);
      expect(r.status, path).toBe(503);
      expect(r.headers.get('content-type'), path).toBe('text/plain; charset=utf-8');
      expect(await r.text(), path).toBe(NOT_BUILT);
    }
    const api = await fetch(`${base}/admin/api/session`);
    expect(api.status).toBe(404);
    expect((await api.json()).error).toBe('not_found');
  });

  it('serves a build made while the server runs, without a restart', async () => {
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>built</title>');
    writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
    const page = await fetch(`${base}/admin/orders`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe('<!doctype html><title>built</title>');
    const js = await fetch(`${base}/admin/assets/index-abc.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe(IMMUTABLE);
    // Dot files (an editor's backup, a stray .env) are never served from the build folder.
    writeFileSync(join(root, '.env'), 'SECRET=1');
    expect(await (await fetch(`${base}/admin/.env`)).text()).not.toContain('SECRET');
  });
});

describe('npm start builds only when the sources changed (scripts/build-if-changed.mjs)', () => {
  let dir: string;
  const log = () => (existsSync(join(dir, 'build.log')) ? readFileSync(join(dir, 'build.log'), 'utf8') : '');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(dir, 'scripts', 'build-if-changed.mjs'), ...args], {
      cwd: dir,
      encoding: 'utf8',
    });

  // A project in miniature with stand-ins for tsc and vite that note each run in build.log.
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shouyin-build-'));
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(
      join(process.cwd(), 'scripts', 'build-if-changed.mjs'),
      join(dir, 'scripts', 'build-if-changed.mjs'),
    );
    write('src/main.ts', 'export {};\n');
    write('web/console/src/App.tsx', 'export {};\n');
    write('tsconfig.json', '{}\n');
    write('package-lock.json', '{}\n');
    write('README.md', 'readme\n');
    const fake = (name: string, output: string) => `
      const fs = require('node:fs'), path = require('node:path');
      if (fs.existsSync('fail-${name}')) process.exit(3);
      fs.appendFileSync('build.log', '${name}\\n');
      fs.mkdirSync(path.dirname('${output}'), { recursive: true });
      fs.writeFileSync('${output}', 'built');
    `;
    write('node_modules/typescript/bin/tsc', fake('tsc', 'dist/main.js'));
    write('node_modules/vite/bin/vite.js', fake('vite', 'dist/web/console/index.html'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds on the first start, skips on the next, and builds again after a source change', () => {
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(log()).toBe('tsc\nvite\n');

    const second = run();
    expect(second.status).toBe(0);
    expect(second.stdout).toContain('sources unchanged since the last build, skipping');
    expect(log()).toBe('tsc\nvite\n');

    // Files no build reads change nothing.
    writeFileSync(join(dir, 'README.md'), 'edited\n');
    run();
    expect(log()).toBe('tsc\nvite\n');

    for (const changed of ['web/console/src/App.tsx', 'src/main.ts', 'package-lock.json', 'tsconfig.json']) {
      writeFileSync(join(dir, changed), `${readFileSync(join(dir, changed), 'utf8')}// edited\n`);
      const before = log();
      expect(run().status, changed).toBe(0);
      expect(log(), changed).toBe(`${before}tsc\nvite\n`);
      run();
      expect(log(), `${changed}, second start`).toBe(`${before}tsc\nvite\n`);
    }
  });

  it('builds again when an output is missing, or when asked to (npm run build)', () => {
    run();
    const before = log();
    rmSync(join(dir, 'dist', 'web', 'console', 'index.html'));
    run();
    expect(log()).toBe(`${before}tsc\nvite\n`);
    run('--force');
    expect(log()).toBe(`${before}tsc\nvite\ntsc\nvite\n`);
  });

  it('fails when a build step fails, and does not take that half-build for a good one next time', () => {
    run();
    writeFileSync(join(dir, 'web/console/src/App.tsx'), 'export const broken = 1;\n');
    writeFileSync(join(dir, 'fail-vite'), '');
    const failed = run();
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain('console (vite build web/console) failed');
    // The step is fixed without touching the sources: the next start builds, not skips.
    rmSync(join(dir, 'fail-vite'));
    const before = log();
    expect(run().status).toBe(0);
    expect(log()).toBe(`${before}tsc\nvite\n`);

    // Same when `npm run build` fails on sources the stamp already vouched for.
    writeFileSync(join(dir, 'fail-vite'), '');
    expect(run('--force').status).not.toBe(0);
    rmSync(join(dir, 'fail-vite'));
    const after = log();
    expect(run().status).toBe(0);
    expect(log()).toBe(`${after}tsc\nvite\n`);
  });
});
