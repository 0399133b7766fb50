import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { connectDatabase, type Db } from './db/connect.js';
import { requestForLog } from './console/log-redaction.js';
import { migrateToLatest } from './db/migrate.js';
import { startDispatcher } from './jobs/dispatcher.js';
import { startExpirer } from './jobs/expirer.js';
import { systemClock, type Clock } from './lib/clock.js';
import { createServices, type Services } from './services.js';

/** Opens the database, applies migrations and builds the services: what every entry point needs. */
export async function openServices(
  config: Config,
  clock: Clock = systemClock,
  opts: {
    /** false: use the schema as it is (CLI commands, which refuse a database not migrated). */
    migrate?: boolean;
    server?: boolean;
  } = {},
): Promise<{ db: Db; services: Services }> {
  const db = await connectDatabase(config.databaseUrl, {
    sqliteSync: config.sqliteSync,
    backgroundCheckpoints: opts.server === true,
    onBackgroundError: (message) => console.error(`WAL checkpoint: ${message}`),
  });
  if (opts.migrate !== false) await migrateToLatest(db);
  const services = createServices({ config, db, clock, random: Math.random });
  return { db, services };
}

export interface RunningGateway {
  app: FastifyInstance;
  services: Services;
  /** The address it listens on, e.g. http://127.0.0.1:8080. */
  url: string;
  close(): Promise<void>;
}

/** Starts the whole gateway in this process: HTTP server and background jobs. */
export async function startGateway(config: Config, opts: { clock?: Clock } = {}): Promise<RunningGateway> {
  const { db, services } = await openServices(config, opts.clock, { server: true });
  const app = await buildApp({
    services,
    logger:
      config.logLevel === 'silent' ? false : { level: config.logLevel, serializers: { req: requestForLog } },
  });
  const address = await app.listen({ port: config.port, host: config.host });
  const stopExpirer = startExpirer(services.orders, config.expireIntervalMs, app.log);
  const stopDispatcher = startDispatcher(services, app.log);
  const port = (app.server.address() as { port: number }).port;
  // Without PUBLIC_URL, hand out the address we really listen on (port 0 picks a free one).
  if (!config.publicUrlExplicit) config.publicUrl = `http://127.0.0.1:${port}`;
  // The one log line allowed to show a secret: the operator needs this link to create the first user.
  const setupLink = await services.users.openSetup(config.publicUrl);
  if (setupLink) app.log.info(`No console user yet: open ${setupLink} within 1 hour to create the operator`);
  return {
    app,
    services,
    url: config.host === '0.0.0.0' || config.host === '::' ? `http://127.0.0.1:${port}` : address,
    close: async () => {
      await stopExpirer();
      // Attempts in flight finish (bounded by their total timeout) before the database closes.
      await stopDispatcher();
      await app.close();
      await db.close();
    },
  };
}
