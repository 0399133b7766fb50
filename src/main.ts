import { loadConfig } from './config.js';
import { startGateway } from './runtime.js';

/** The server process: config, gateway, graceful shutdown on SIGINT / SIGTERM. */
async function main() {
  const config = loadConfig();
  const gw = await startGateway(config);
  gw.app.log.info(`Shouyin listening on ${gw.url} (public URL ${config.publicUrl})`);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    gw.app.log.info(`${signal}: shutting down`);
    gw.close().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
