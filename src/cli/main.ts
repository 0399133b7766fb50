import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Config, loadConfig } from '../config.js';
import type { Db } from '../db/connect.js';
import { MIGRATIONS, pendingMigrations } from '../db/migrate.js';
import { openServices, startGateway } from '../runtime.js';
import type { Services } from '../services.js';
import type { Command } from './commands.js';
import {
  DatabaseNotReadyError,
  DatabaseOpenError,
  describeDatabase,
  EXIT,
  explainFailure,
} from './errors.js';
import { COMMANDS } from './registry.js';

const USAGE = `shouyin — self-hosted payment gateway

Usage: shouyin <command> [options] [--json]

${COMMANDS.map((c) => `  ${c.usage}`).join('\n')}

Configuration comes from the environment (PORT, PUBLIC_URL, DATABASE_URL, …), the same as the server's.`;

/** Exit codes: see `EXIT` (0 ok, 1 refused, 2 usage or configuration, 3 database not ready). Never throws. */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const cmd = findCommand(words);
  if (!cmd || argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return cmd || argv.includes('--help') || argv.includes('-h') ? EXIT.ok : EXIT.usage;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, ...cmd.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    console.error(`${(err as Error).message}\nusage: shouyin ${cmd.usage}`);
    return EXIT.usage;
  }
  const positionals = parsed.positionals.slice(cmd.path.length);
  const json = parsed.values.json === true;
  let database = '(not opened)';
  let services: Services | undefined;
  try {
    const config = loadConfig(env);
    database = describeDatabase(config.databaseUrl);
    if (cmd.path[0] === 'serve') return await serve(config);
    // Only `migrate` (and `serve`) change the schema; other commands use the database as it is.
    const migrating = cmd.path[0] === 'migrate';
    if (!migrating) refuseMissingFile(config.databaseUrl, database);
    try {
      services = (await openServices(config, undefined, { migrate: false })).services;
    } catch (err) {
      throw new DatabaseOpenError(`cannot open ${database}`, { cause: err });
    }
    if (!migrating) await requireMigrated(services.db, database);
    const result = await cmd.run({ services, values: parsed.values, positionals, config, database });
    const { print } = await import('./output.js');
    print(result, json);
    if (Array.isArray(result) && result.length === 0) console.error(`nothing found in database ${database}`);
    return EXIT.ok;
  } catch (err) {
    const f = explainFailure(err, database);
    if (json) {
      console.log(
        JSON.stringify({ error: f.name, message: f.message, ...(f.aboutDatabase ? { database } : {}) }),
      );
    } else {
      console.error(`error: ${f.message}`);
    }
    return f.exitCode;
  } finally {
    await services?.db.close().catch(() => {});
  }
}

async function serve(config: Config): Promise<number> {
  const gw = await startGateway(config);
  gw.app.log.info(`Shouyin listening on ${gw.url}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await gw.close();
  return EXIT.ok;
}

const RUN_MIGRATE = 'run `shouyin migrate`, or start the server (`shouyin serve`), which migrates';

/** A command other than `migrate` must not leave an empty SQLite file behind where none was. */
function refuseMissingFile(url: string, database: string): void {
  if (!url.startsWith('sqlite:') || url === 'sqlite::memory:') return;
  if (existsSync(url.slice('sqlite:'.length))) return;
  throw new DatabaseNotReadyError(`no database at ${database}: ${RUN_MIGRATE}; or set DATABASE_URL`);
}

async function requireMigrated(db: Db, database: string): Promise<void> {
  const pending = await pendingMigrations(db);
  if (pending.length === 0) return;
  throw new DatabaseNotReadyError(
    pending.length === Object.keys(MIGRATIONS).length
      ? `database ${database} has no Shouyin tables: ${RUN_MIGRATE}`
      : `database ${database} is not up to date (pending ${pending.join(', ')}): ${RUN_MIGRATE}`,
  );
}

function findCommand(words: string[]): Command | undefined {
  return COMMANDS.filter((c) => c.path.every((p, i) => words[i] === p)).sort(
    (a, b) => b.path.length - a.path.length,
  )[0];
}
