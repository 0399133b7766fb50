/**
 * The gateway as a separate process, for tests that kill it (`kill -9`) and start another on the
 * same database. Prints `{"url": …}` on one stdout line once it listens. Each stdin line
 * `pay ORDER_ID` reports the order's realprice as a monitor would, with the reporter id
 * `crash-ORDER_ID`, so repeating a line after a restart is the monitor retrying, not a new payment.
 * The line `stats` prints `{"commits": {"commits": …, "transactions": …}}` (see `Db.commits`).
 *
 *   node --import tsx test/notify/child-gateway.ts   (configuration from the environment)
 */
import { createInterface } from 'node:readline';
import { loadConfig } from '../../src/config.js';
import { startGateway } from '../../src/runtime.js';

const gw = await startGateway(loadConfig(process.env));
process.stdout.write(`${JSON.stringify({ url: gw.url, pid: process.pid })}\n`);

const { services } = gw;
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, id] = line.trim().split(/\s+/);
  if (cmd === 'stats') {
    process.stdout.write(`${JSON.stringify({ commits: services.db.commits })}\n`);
    return;
  }
  if (cmd !== 'pay' || id === undefined) return;
  queue = queue.then(async () => {
    try {
      const order = await services.orders.findById(Number(id));
      if (!order) throw new Error(`order ${id} not found`);
      await services.payments.record({
        accountId: order.accountId,
        type: order.type,
        amountCents: order.realpriceCents,
        paidAt: services.clock(),
        reporterId: `crash-${order.id}`,
        source: 'simulate',
      });
    } catch (err) {
      process.stderr.write(`pay ${id}: ${(err as Error).message}\n`);
    }
  });
});

const stop = () => {
  gw.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
