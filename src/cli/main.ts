import { parseArgs } from 'node:util';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../domain/errors.js';
import { openServices, startGateway } from '../runtime.js';
import type { Services } from '../services.js';
import type { Command } from './commands.js';
import { COMMANDS } from './registry.js';

const USAGE = `shouyin — self-hosted payment gateway

Usage: shouyin <command> [options] [--json]

${COMMANDS.map((c) => `  ${c.usage}`).join('\n')}

Configuration comes from the environment (PORT, PUBLIC_URL, DATABASE_URL, …), the same as the server's.`;

/** Exit codes: 0 ok, 1 refused (bad input, not found), 2 usage. */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const cmd = findCommand(words);
  if (!cmd || argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return cmd || argv.includes('--help') || argv.includes('-h') ? 0 : 2;
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
    return 2;
  }
  const positionals = parsed.positionals.slice(cmd.path.length);
  const json = parsed.values.json === true;
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (cmd.path[0] === 'serve') {
    const gw = await startGateway(config);
    gw.app.log.info(`Shouyin listening on ${gw.url}`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await gw.close();
    return 0;
  }
  let services: Services | undefined;
  try {
    // `migrate` applies (and reports) the migrations itself; every other command migrates first.
    const opened = await openServices(config, undefined, { migrate: cmd.path[0] !== 'migrate' });
    services = opened.services;
    const result = await cmd.run({ services, values: parsed.values, positionals, config });
    const { print } = await import('./output.js');
    print(result, json);
    return 0;
  } catch (err) {
    if (err instanceof InvalidInputError || err instanceof NotFoundError || err instanceof ConflictError) {
      if (json) console.log(JSON.stringify({ error: err.name, message: err.message }));
      else console.error(`error: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await services?.db.close();
  }
}

function findCommand(words: string[]): Command | undefined {
  return COMMANDS.filter((c) => c.path.every((p, i) => words[i] === p)).sort(
    (a, b) => b.path.length - a.path.length,
  )[0];
}
