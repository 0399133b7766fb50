import { runCli } from './main.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  // runCli answers every error itself; this only keeps a bug there from printing a stack trace.
  (err) => {
    console.error(`error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    process.exitCode = 1;
  },
);
