import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createScratchPostgres, type ScratchDatabase, TEST_DIALECT } from '../helpers/database.js';
import { ConsoleClient } from './client.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `node src/main.ts` as an operator runs it, logging everything (trace), its output captured. */
function startServer(databaseUrl: string) {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'trace',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  const link = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no setup link printed:\n${output}`)), 30_000);
    const look = () => {
      const m = /open (http:\/\/\S+\/admin\/setup\?token=\S+) within 1 hour/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', look);
    proc.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  const stop = () =>
    new Promise<string>((resolve) => {
      if (proc.exitCode !== null) return resolve(output);
      proc.once('exit', () => resolve(output));
      proc.kill('SIGTERM');
    });
  return { proc, link, stop };
}

describe(`console secrets in the server log on ${TEST_DIALECT}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'shouyin-logs-'));
  let scratch: ScratchDatabase | null = null;
  let proc: ChildProcess | null = null;
  afterAll(async () => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    await scratch?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the setup link once, at info, and never a password, a session token or the link again', async () => {
    scratch = TEST_DIALECT === 'postgres' ? await createScratchPostgres() : null;
    const server = startServer(scratch ? scratch.url : `sqlite:${join(dir, 'shouyin.db')}`);
    proc = server.proc;
    const link = await server.link;
    const url = new URL(link);
    const token = url.searchParams.get('token')!;
    const password = 'Pa55-secret-for-the-log-test';
    const wrong = 'Wr0ng-secret-for-the-log-test';
    const c = new ConsoleClient(url.origin);

    await fetch(link); // the setup page itself
    expect((await c.get(`/setup?token=${encodeURIComponent(token)}`)).body).toEqual({ valid: true });
    expect((await c.post('/setup', { token, email: 'boss@example.com', password })).status).toBe(200);
    const setupCookie = c.cookie!;
    expect((await c.signIn('boss@example.com', wrong)).status).toBe(401);
    expect((await c.signIn('nobody@example.com', wrong)).status).toBe(401);
    expect(
      (await c.call('POST', '/sign-in', `{"email":"boss@example.com","password":"${wrong}`)).status,
    ).toBe(400);
    expect((await c.signIn('boss@example.com', password)).status).toBe(200);
    expect((await c.post('/reauth', { password: wrong })).status).toBe(403);
    expect((await c.post('/reauth', { password })).status).toBe(200);
    expect((await c.post('/totp/disable', { password: wrong })).status).toBe(403);
    const cookies = [setupCookie, c.cookie!, c.csrf!];

    const output = await server.stop();
    const lines = output.split('\n');
    expect(lines.filter((l) => l.includes(token))).toHaveLength(1);
    const setupLine = JSON.parse(lines.find((l) => l.includes(token))!);
    expect(setupLine).toMatchObject({ level: 30 }); // info
    expect(output).not.toContain(password);
    expect(output).not.toContain(wrong);
    for (const secret of cookies) expect(output).not.toContain(secret);
    // The requests were logged, with the token blanked.
    expect(output).toContain('/admin/api/setup?token=[redacted]');
    expect(output).toContain('/admin/setup?token=[redacted]');
    expect(output).toContain('/admin/api/sign-in');
  }, 60_000);
});
