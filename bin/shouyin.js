#!/usr/bin/env node
// Runs the CLI from the TypeScript sources in a checkout (through tsx), or from dist/ once built
// and the sources are gone.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = `${root}src/cli/bin.ts`;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(`${root}dist/cli/bin.js`).href);
}
