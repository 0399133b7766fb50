/**
 * The gateway under test, as a child process of bench/run.ts: the real startGateway over the
 * environment's configuration (PORT=0, HOST=127.0.0.1, DATABASE_URL=sqlite:…, LOG_LEVEL=warn).
 * Prints `BENCH_READY <url>` once it listens; SIGTERM closes it cleanly.
 */
import { loadConfig } from '../src/config.js';
import { startGateway } from '../src/runtime.js';

const gw = await startGateway(loadConfig(process.env));
process.stdout.write(`BENCH_READY ${gw.url}\n`);

let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  gw.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
