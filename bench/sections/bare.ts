import { startChild } from '../lib/child.js';
import { measure } from '../lib/measure.js';
import type { Section } from '../lib/types.js';

/** The yardstick: a bare Fastify route returning a small JSON body, in its own process. */
export const bare: Section = {
  name: 'bare',
  title: 'Bare Fastify route (baseline)',
  async run(ctx) {
    ctx.log('bare Fastify route');
    const server = await startChild(
      new URL('../bare-server.ts', import.meta.url),
      { PORT: '0' },
      { label: 'bare' },
    );
    try {
      const m = await measure(
        ctx,
        server,
        { id: 'bare.json', section: 'bare', scenario: 'bare Fastify GET, small JSON' },
        { method: 'GET', path: '/bare' },
      );
      return [m.row];
    } finally {
      await server.stop();
    }
  },
};
