/**
 * The baseline: a bare Fastify 5 server with one route returning a small JSON body, in its own
 * process like the gateway. What the gateway's numbers are divided by.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/bare', async () => ({ code: 100, msg: 'ok', data: { x: 1 } }));
const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`BENCH_READY ${address}\n`);

const stop = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
