import type { FastifyInstance } from 'fastify';
import { readParams, stringParam } from '../http/params.js';
import type { Services } from '../services.js';
import { type CashierService, type CashierState, PAY_TOKEN, stateJson } from './cashier.service.js';

/** While the merchant is being told, the phase can move on by time alone; look this often. */
export const NOTIFYING_RECHECK_MS = 2_000;
/** What a refused stream is told to wait before it tries again (the page polls meanwhile). */
const RETRY_AFTER_SECONDS = 10;

/** What must change for the stream to send a new state (the clock alone does not count). */
function stateKey(s: CashierState): string {
  return [s.phase, s.order.status, s.notifyState, s.redirectUrl ?? ''].join('|');
}

/**
 * Places for live streams, at most `perOrder` for one order and `max` in all (this instance):
 * a page reloaded in a loop, or a flood of connections, cannot hold unbounded sockets,
 * subscriptions and timers.
 */
export class StreamPlaces {
  private readonly byOrder = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly perOrder: number,
    private readonly max: number,
  ) {}

  /** Open streams, for metrics and tests. */
  get size(): number {
    return this.total;
  }

  /** Takes a place for a stream of `token`: its release function (idempotent), or why none is left. */
  take(token: string): (() => void) | 'order-full' | 'all-full' {
    const n = this.byOrder.get(token) ?? 0;
    if (n >= this.perOrder) return 'order-full';
    if (this.total >= this.max) return 'all-full';
    this.byOrder.set(token, n + 1);
    this.total++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.total--;
      const left = (this.byOrder.get(token) ?? 1) - 1;
      if (left === 0) this.byOrder.delete(token);
      else this.byOrder.set(token, left);
    };
  }
}

/**
 * `GET /pay/events?id=<token>`: the order's cashier state as Server-Sent Events. Sends the
 * current state at once, then again whenever the EventBus reports something for that order
 * (paid, expired, notified) and the state actually changed. Keep-alive comments every
 * `cashierStreamHeartbeatMs`, which also re-read the state in case an event was missed.
 *
 * Bounded per stream whatever the client does: a client that leaves at any moment (even during
 * the first read) gives back its place, subscription and timers; however many events arrive, at
 * most one state read runs and one more waits; while the socket's buffer is full nothing is
 * written (the latest state is sent once it drains), and a reader stalled for a whole heartbeat
 * interval is dropped. Every open stream is ended when the server closes.
 */
export function payEventsRoute(app: FastifyInstance, services: Services, cashier: CashierService) {
  const { cashierStreamsPerOrder, cashierStreamsMax, cashierStreamHeartbeatMs } = services.config;
  const places = new StreamPlaces(cashierStreamsPerOrder, cashierStreamsMax);
  const open = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of [...open]) end();
    done();
  });

  app.get('/pay/events', async (request, reply) => {
    const id = stringParam(readParams(request), 'id') ?? '';
    if (!PAY_TOKEN.test(id)) return reply.code(404).send({ code: 404, msg: 'order not found', data: null });
    const release = places.take(id);
    if (release === 'order-full' || release === 'all-full') {
      return reply
        .code(release === 'order-full' ? 429 : 503)
        .header('retry-after', String(RETRY_AFTER_SECONDS))
        .type('text/plain; charset=utf-8')
        .send(
          release === 'order-full'
            ? 'too many live streams for this order\n'
            : 'too many live streams; try again shortly\n',
        );
    }

    const res = reply.raw;
    let closed = false;
    /** The first state is out: from then on the stream owns the response. */
    let started = false;
    let lastKey = '';
    let lastPhase = '';
    let reading = false;
    /** A refresh was asked for while a read ran, or before the first state was out. */
    let wanted = false;
    /** When a write last found the socket's buffer full (monotonic ms), until it drains. */
    let stalledSince: number | null = null;

    // Subscribe before the first read so nothing that happens in between is lost.
    const unsubscribe = services.events.subscribeOrder(id, () => refresh());
    const end = () => {
      if (closed) return;
      closed = true;
      release();
      unsubscribe();
      clearInterval(heartbeat);
      clearInterval(recheck);
      open.delete(end);
      if (started && !res.writableEnded && !res.destroyed) res.end();
    };
    // 'close' comes when the answer is complete (a 404, an error) or the client leaves at any
    // moment: registered before anything is awaited, it is the one way every request ends here.
    open.add(end);
    res.on('close', end);
    res.on('error', end);
    res.on('drain', () => {
      stalledSince = null;
      refresh(); // whatever was skipped while the buffer was full: send the state as it is now
    });

    /** Writes unless the socket's buffer is full (then the text is skipped); says whether it wrote. */
    const write = (text: string): boolean => {
      if (closed || res.writableNeedDrain) return false;
      if (!res.write(text)) stalledSince ??= performance.now();
      return true;
    };
    const push = (s: CashierState) => {
      const key = stateKey(s);
      if (key === lastKey) return;
      if (write(`data: ${JSON.stringify(stateJson(s))}\n\n`)) {
        lastKey = key;
        lastPhase = s.phase;
      }
    };
    const refresh = () => {
      if (closed) return;
      if (!started || reading) {
        wanted = true;
        return;
      }
      reading = true;
      void (async () => {
        try {
          do {
            wanted = false;
            const s = await cashier.stateByToken(id);
            if (s) push(s);
          } while (wanted && !closed);
        } catch (err) {
          request.log.error({ err }, 'cashier event stream refresh failed');
        } finally {
          reading = false;
        }
      })();
    };

    // Started now (and cleared by `end`), so no way out of this handler can leave them running.
    const heartbeat = setInterval(() => {
      if (!started) return;
      if (stalledSince !== null && performance.now() - stalledSince >= cashierStreamHeartbeatMs) {
        // Its buffer stayed full a whole interval: the reader is gone or hopelessly slow.
        res.destroy();
        end();
        return;
      }
      write(': hb\n\n');
      refresh();
    }, cashierStreamHeartbeatMs);
    const recheck = setInterval(() => {
      if (lastPhase === 'notifying') refresh();
    }, NOTIFYING_RECHECK_MS);

    if (res.destroyed) end(); // gone before this handler ran (an async hook awaited I/O)
    const first = closed ? null : await cashier.stateByToken(id);
    if (closed) {
      // Left during the first read (or the server is closing): nothing to answer.
      reply.hijack();
      res.destroy();
      return;
    }
    if (!first) {
      return reply.code(404).send({ code: 404, msg: 'order not found', data: null });
    }

    reply.hijack();
    started = true;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    write('retry: 3000\n\n');
    push(first);
    if (wanted) refresh(); // something happened during the first read
  });
}
