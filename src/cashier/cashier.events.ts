import type { FastifyInstance } from 'fastify';
import { readParams, stringParam } from '../http/params.js';
import type { Services } from '../services.js';
import { type CashierService, type CashierState, PAY_TOKEN, stateJson } from './cashier.service.js';

/** A comment line this often keeps proxies and phones from dropping an idle stream. */
export const HEARTBEAT_MS = 15_000;
/** While the merchant is being told, the phase can move on by time alone; look this often. */
export const NOTIFYING_RECHECK_MS = 2_000;

/** What must change for the stream to send a new state (the clock alone does not count). */
function stateKey(s: CashierState): string {
  return [s.phase, s.order.status, s.notifyState, s.redirectUrl ?? ''].join('|');
}

/**
 * `GET /pay/events?id=<token>`: the order's cashier state as Server-Sent Events. Sends the
 * current state at once, then again whenever the EventBus reports something for that order
 * (paid, expired, notified) and the state actually changed. Heartbeat comments every 15 s,
 * which also re-read the state in case an event was missed. Unsubscribes when the browser
 * goes away; every open stream is ended when the server closes.
 */
export function payEventsRoute(app: FastifyInstance, services: Services, cashier: CashierService) {
  const open = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of [...open]) end();
    done();
  });

  app.get('/pay/events', async (request, reply) => {
    const id = stringParam(readParams(request), 'id') ?? '';
    if (!PAY_TOKEN.test(id)) return reply.code(404).send({ code: 404, msg: 'order not found', data: null });

    // Subscribe before the first read so nothing that happens in between is lost.
    let ready = false;
    let missed = false;
    let closed = false;
    let lastKey = '';
    let lastPhase = '';
    let chain: Promise<void> = Promise.resolve();
    const res = reply.raw;

    const push = (s: CashierState) => {
      const key = stateKey(s);
      if (closed || key === lastKey) return;
      lastKey = key;
      lastPhase = s.phase;
      res.write(`data: ${JSON.stringify(stateJson(s))}\n\n`);
    };
    const refresh = () => {
      if (!ready) {
        missed = true;
        return;
      }
      chain = chain
        .then(async () => {
          if (closed) return;
          const s = await cashier.stateByToken(id);
          if (s) push(s);
        })
        .catch((err: unknown) => request.log.error({ err }, 'cashier event stream refresh failed'));
    };
    const unsubscribe = services.events.subscribeOrder(id, refresh);

    let first: CashierState | null;
    try {
      first = await cashier.stateByToken(id);
    } catch (err) {
      unsubscribe();
      throw err;
    }
    if (!first) {
      unsubscribe();
      return reply.code(404).send({ code: 404, msg: 'order not found', data: null });
    }

    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    push(first);

    const heartbeat = setInterval(() => {
      if (!closed) res.write(': hb\n\n');
      refresh();
    }, HEARTBEAT_MS);
    const recheck = setInterval(() => {
      if (lastPhase === 'notifying') refresh();
    }, NOTIFYING_RECHECK_MS);

    const end = () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(heartbeat);
      clearInterval(recheck);
      open.delete(end);
      if (!res.writableEnded) res.end();
    };
    open.add(end);
    request.raw.on('close', end);
    res.on('close', end);
    res.on('error', end);

    ready = true;
    if (missed) refresh();
  });
}
