import react from '@vitejs/plugin-react';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

/** Where the server looks for the built console (src/console/static.ts). */
const OUT_DIR = '../../dist/web/console';

/**
 * Writes `.br` and `.gz` beside every text asset so `@fastify/static` (`preCompressed`) answers
 * phones with a quarter of the bytes and no compression work per request.
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'shouyin-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name);
          return statSync(path).isDirectory() ? walk(path) : [path];
        });
      for (const file of walk(outDir)) {
        if (!/\.(js|css|html|svg|json)$/.test(file)) continue;
        const body = readFileSync(file);
        if (body.length < 1024) continue;
        writeFileSync(`${file}.br`, brotliCompressSync(body));
        writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
      }
    },
  };
}

// Run as `vite build web/console` from the repository root: the root is this folder.
export default defineConfig({
  base: '/admin/',
  plugins: [react(), precompress()],
  build: {
    outDir: OUT_DIR,
    emptyOutDir: true,
    // antd is one large chunk shared by every page; warn only if something grows beyond it.
    chunkSizeWarningLimit: 1500,
  },
  server: {
    // `npx vite web/console` during development, with the gateway running on :8080.
    proxy: { '/admin/api': 'http://127.0.0.1:8080' },
  },
});
