import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { startGateway, type RunningGateway } from '../../src/runtime.js';
import { createScratchPostgres, TEST_DIALECT } from './database.js';

/** A clock the test moves by hand. */
export class TestClock {
  constructor(public nowMs = Date.now()) {}
  readonly now = () => this.nowMs;
  advance(ms: number) {
    this.nowMs += ms;
  }
}

export interface TestGateway extends RunningGateway {
  config: Config;
  dir: string;
  dbPath: string;
  /** Environment that points the CLI at the same database. */
  env: Record<string, string>;
}

/**
 * Starts the real gateway on a free loopback port over a fresh SQLite file in a temp folder
 * (or a fresh PostgreSQL database when SHOUYIN_TEST_DB=postgres).
 * `env` overrides configuration (e.g. NOTIFY_RETRY_SCHEDULE); `clock` replaces the system clock.
 */
export async function startTestGateway(
  opts: { env?: Record<string, string>; clock?: TestClock } = {},
): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'shouyin-test-'));
  const dbPath = join(dir, 'shouyin.db');
  const scratch = TEST_DIALECT === 'postgres' ? await createScratchPostgres() : null;
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: scratch ? scratch.url : `sqlite:${dbPath}`,
    LOG_LEVEL: 'silent',
    ALLOW_PRIVATE_CALLBACKS: '1',
    ...opts.env,
  };
  const config = loadConfig(env);
  const gw = await startGateway(config, { clock: opts.clock?.now });
  return {
    ...gw,
    config: gw.services.config,
    dir,
    dbPath,
    env: { ...env, PUBLIC_URL: gw.services.config.publicUrl },
    close: async () => {
      await gw.close();
      await scratch?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
