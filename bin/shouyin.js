#!/usr/bin/env node
// Runs the CLI from the TypeScript sources in a checkout (through tsx), or from dist/ once built
// and the sources are gone.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = `${root}src/cli/bin.ts`;
try {
  if (existsSync(source)) {
    const { register } = await import('tsx/esm/api');
    register();
    await import(pathToFileURL(source).href);
  } else {
    await import(pathToFileURL(`${root}dist/cli/bin.js`).href);
  }
} catch (err) {
  // The CLI could not even load (a broken install or build): one line, not a stack trace.
  process.stderr.write(`shouyin: cannot start: ${String(err?.message ?? err).split('\n')[0]}\n`);
  process.exitCode = 1;
}
