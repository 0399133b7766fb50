import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/shouyin.js …` as a child process with only the given configuration. `args` is
 * an argv array, or a string split on spaces when no value contains one.
 */
export function shouyin(args: string | string[], env: Record<string, string>): Promise<Run> {
  const argv = typeof args === 'string' ? args.split(' ') : args;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/shouyin.js', ...argv],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'silent', ...env },
        timeout: 30_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The JSON a successful `--json` command printed. */
export const json = (r: Run) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, any>;
};

/** A refusal: exit code `code` and exactly one line on stderr, `error: …`, with no stack trace. */
export function expectRefusal(r: Run, code: number, message: RegExp) {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).toMatch(/^error: [^\n]+\n$/);
  expect(r.stderr).toMatch(message);
  expect(r.stdout).toBe('');
}

export const sqliteEnv = (path: string) => ({ DATABASE_URL: `sqlite:${path}` });

/** Each CLI start-up costs about a second of tsx; on a busy machine several. */
export const SLOW = 90_000;
