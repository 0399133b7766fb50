import { execFile, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, SLOW } from '../cli/shouyin.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ConsoleClient } from './client.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `shouyin ARGS` on the gateway's database, with `input` on its standard input (a pipe, not a terminal). */
function shouyin(gw: TestGateway, args: string[], input = ''): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['bin/shouyin.js', ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...gw.env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      },
    );
    child.stdin!.end(input);
  });
}

/**
 * `shouyin ARGS` on a terminal (util-linux `script` gives it a pty): answers each password
 * prompt with the next of `answers`, as a person would type it, and returns what the terminal showed.
 */
function shouyinOnTerminal(gw: TestGateway, args: string[], answers: string[]): Promise<Run> {
  const command = ['node', 'bin/shouyin.js', ...args].join(' ');
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...gw.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let prompts = 0;
    child.stdout.on('data', (d) => {
      out += d;
      const seen = (out.match(/New password: |Repeat it: /g) ?? []).length;
      while (prompts < seen && prompts < answers.length) child.stdin.write(`${answers[prompts++]}\r`);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: out, stderr: '' });
    });
  });
}

describe(`shouyin user commands on ${TEST_DIALECT}`, () => {
  let gw: TestGateway;
  let merchantId: number;
  const password = 'cli-chosen password 1';

  beforeAll(async () => {
    gw = await startTestGateway();
    merchantId = (
      await gw.services.merchants.add({
        name: 'Tea shop',
        notifyUrl: 'https://tea.example.com/n',
        returnUrl: 'https://tea.example.com/r',
      })
    ).id;
  });
  afterAll(() => gw?.close());

  it(
    'adds a merchant user from standard input, prints nothing secret, and the user can sign in',
    async () => {
      const r = await shouyin(
        gw,
        [
          'user',
          'add',
          '--email',
          'Owner@Tea.example.com',
          '--role',
          'merchant',
          '--merchant',
          String(merchantId),
          '--password-stdin',
          '--json',
        ],
        `${password}\n`,
      );
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({
        email: 'owner@tea.example.com',
        role: 'merchant',
        merchant_id: merchantId,
      });
      expect(r.stdout + r.stderr).not.toContain(password);
      expect(r.stdout).not.toMatch(/argon2/);
      const c = new ConsoleClient(gw.url);
      expect((await c.signIn('owner@tea.example.com', password)).status).toBe(200);

      const list = await shouyin(gw, ['user', 'list', '--json']);
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout)).toEqual([
        expect.objectContaining({ email: 'owner@tea.example.com', role: 'merchant', totp_enabled: false }),
      ]);
      expect(list.stdout).not.toMatch(/argon2|password/);
    },
    SLOW,
  );

  it(
    'sets a new password, which signs the user out everywhere',
    async () => {
      const c = new ConsoleClient(gw.url);
      expect((await c.signIn('owner@tea.example.com', password)).status).toBe(200);
      const fresh = 'a brand new password';
      const r = await shouyin(
        gw,
        ['user', 'passwd', 'owner@tea.example.com', '--password-stdin', '--json'],
        fresh,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ email: 'owner@tea.example.com', sessions_revoked: 2 });
      expect(r.stdout + r.stderr).not.toContain(fresh);
      expect((await c.get('/session')).status).toBe(401);
      expect((await c.signIn('owner@tea.example.com', password)).status).toBe(401);
      expect((await c.signIn('owner@tea.example.com', fresh)).status).toBe(200);
    },
    SLOW,
  );

  it(
    'asks for the password twice on a terminal without showing it',
    async () => {
      const typed = 'typed on the terminal';
      const r = await shouyinOnTerminal(
        gw,
        ['user', 'add', '--email', 'op@example.com', '--role', 'operator'],
        [typed, typed],
      );
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toMatch(/New password: [\s\S]*Repeat it: /);
      expect(r.stdout).toMatch(/email\s+op@example\.com/);
      expect(r.stdout).not.toContain(typed);
      expect((await new ConsoleClient(gw.url).signIn('op@example.com', typed)).status).toBe(200);

      const differ = await shouyinOnTerminal(
        gw,
        ['user', 'passwd', 'op@example.com'],
        ['one password', 'another one'],
      );
      expect(differ.code).toBe(1);
      expect(differ.stdout).toMatch(/error: the two passwords differ; nothing changed/);
      expect((await new ConsoleClient(gw.url).signIn('op@example.com', typed)).status).toBe(200);
    },
    SLOW,
  );

  it(
    'refuses bad input with one line and changes nothing',
    async () => {
      const cases: Array<[string[], string, RegExp]> = [
        [
          ['user', 'add', '--email', 'x@example.com', '--role', 'merchant'],
          password,
          /--merchant is required/,
        ],
        [
          ['user', 'add', '--email', 'x@example.com', '--role', 'boss'],
          password,
          /--role must be operator or merchant/,
        ],
        [['user', 'add', '--email', 'x@example.com', '--role', 'operator'], password, /--password-stdin/],
        [
          ['user', 'add', '--email', 'x@example.com', '--role', 'operator', '--password-stdin'],
          'short',
          /at least 8/,
        ],
        [
          [
            'user',
            'add',
            '--email',
            'x@example.com',
            '--role',
            'merchant',
            '--merchant',
            '99',
            '--password-stdin',
          ],
          password,
          /merchant 99 not found/,
        ],
        [
          ['user', 'add', '--email', 'OWNER@tea.example.com', '--role', 'operator', '--password-stdin'],
          password,
          /already exists/,
        ],
        [
          ['user', 'passwd', 'nobody@example.com', '--password-stdin'],
          password,
          /no user with email nobody@example\.com/,
        ],
      ];
      // Three at a time: each is a Node start-up, and the machine is shared.
      const runs: Run[] = [];
      for (let i = 0; i < cases.length; i += 3) {
        const batch = cases.slice(i, i + 3).map(([args, input]) => shouyin(gw, args, input));
        runs.push(...(await Promise.all(batch)));
      }
      runs.forEach((r, i) => {
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(/^error: [^\n]+\n$/);
        expect(r.stderr).toMatch(cases[i]![2]);
        expect(r.stderr).not.toContain(password);
      });
      const emails = (await gw.services.users.list()).map((u) => u.email).sort();
      expect(emails).toEqual(['op@example.com', 'owner@tea.example.com']);
    },
    2 * SLOW,
  );
});
