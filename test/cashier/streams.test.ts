import { createServer, get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payEventsRoute } from '../../src/cashier/cashier.events.js';
import { CashierService } from '../../src/cashier/cashier.service.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  createOrder,
  type MerchantSite,
  type SeededMerchant,
  seedMerchant,
  simulatePayment,
  startMerchantSite,
  until,
} from './setup.js';

/** Server-side sockets by the client's port, to look at what the server has buffered. */
function trackSockets(gw: TestGateway): Map<number, Socket> {
  const sockets = new Map<number, Socket>();
  gw.app.server.on('connection', (s: Socket) => {
    if (s.remotePort !== undefined) sockets.set(s.remotePort, s);
  });
  return sockets;
}

/** A raw connection that asks for the stream; the test decides when (and whether) to read. */
function rawStream(gw: TestGateway, token: string): Socket {
  const url = new URL(gw.url);
  const s = connect(Number(url.port), url.hostname);
  s.on('error', () => undefined);
  s.write(`GET /pay/events?id=${token} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
  return s;
}

interface Opened {
  res: IncomingMessage;
  body: () => Promise<string>;
  close: () => void;
  localPort: number;
}

/** Opens a stream over its own connection; its body is not read unless asked for. */
function openStream(gw: TestGateway, token: string): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const req = get(`${gw.url}/pay/events?id=${token}`, { agent: false }, (res) => {
      resolve({
        res,
        localPort: req.socket?.localPort ?? 0,
        body: async () => {
          let text = '';
          for await (const c of res) text += String(c);
          return text;
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', (err) => {
      if (!req.destroyed) reject(err);
    });
  });
}

/** Reads `data:` events off an opened stream, one per call (it reads the stream from then on). */
function events(o: Opened): () => Promise<any> {
  let buffer = '';
  let wake: (() => void) | null = null;
  o.res.setEncoding('utf8');
  o.res.on('data', (c: string) => {
    buffer += c;
    wake?.();
  });
  return async () => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block);
        if (data) return JSON.parse(data[1] as string);
        continue;
      }
      await new Promise<void>((r) => (wake = r));
    }
  };
}

const subscribers = (gw: TestGateway) => gw.services.events.orderSubscriberCount();

/**
 * Makes the order's state change `n` times with a large state each other time (a timeout URL
 * of `padBytes`), publishing an event each time, as payments and expiries would. Returns the
 * most the server had buffered for `socket` meanwhile.
 */
async function churn(
  gw: TestGateway,
  o: { order_id: number; token: string },
  n: number,
  socket: () => Socket,
) {
  let most = 0;
  for (let i = 0; i < n; i++) {
    await gw.services.db.kysely
      .updateTable('orders')
      .set({ status: i % 2 === 0 ? 'expired' : 'unpaid' })
      .where('id', '=', o.order_id)
      .execute();
    gw.services.events.publish({ kind: 'expired', orderId: o.order_id, token: o.token });
    await sleep(3);
    const s = socket();
    if (s.destroyed) break;
    most = Math.max(most, s.writableLength);
  }
  return most;
}

async function padTimeoutUrl(gw: TestGateway, site: MerchantSite, m: SeededMerchant, padBytes: number) {
  await gw.services.db.kysely
    .updateTable('merchants')
    .set({ timeout_url: `${site.url}/timeout?pad=${'x'.repeat(padBytes)}` })
    .where('id', '=', m.id)
    .execute();
}

describe('cashier live streams', () => {
  let site: MerchantSite;
  let gw: TestGateway;
  let m: SeededMerchant;
  let sockets: Map<number, Socket>;
  beforeAll(async () => {
    site = await startMerchantSite();
    gw = await startTestGateway({ env: { CASHIER_STREAMS_MAX: '8' } });
    sockets = trackSockets(gw);
    m = await seedMerchant(gw, site);
  });
  afterAll(async () => {
    await gw?.close();
    await site?.close();
  });

  it('gives back every subscription when clients leave at once, during the first read, or after the first state', async () => {
    const o = await createOrder(gw, m, { price: '3' });

    // At once: the request is sent and the connection dropped in the same moment.
    for (let i = 0; i < 5; i++) rawStream(gw, o.token).destroy();
    await until(() => subscribers(gw) === 0, 5000, 'streams left at once to unsubscribe');

    // During the first read: hold it until the client has gone.
    const orders = gw.services.orders;
    const read = orders.findByToken.bind(orders);
    let entered!: () => void;
    const inRead = new Promise<void>((r) => (entered = r));
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    orders.findByToken = async (token: string) => {
      entered();
      await gate;
      return read(token);
    };
    try {
      const s = rawStream(gw, o.token);
      await inRead;
      expect(subscribers(gw)).toBe(1);
      s.destroy();
      await until(() => subscribers(gw) === 0, 5000, 'a stream left during its first read to unsubscribe');
      open();
      await sleep(50);
    } finally {
      open();
      orders.findByToken = read;
    }
    expect(subscribers(gw)).toBe(0);

    // After its first state, and while idle.
    const after = await openStream(gw, o.token);
    expect((await events(after)()).phase).toBe('waiting');
    after.close();
    await until(() => subscribers(gw) === 0, 5000, 'a stream closed after its first state to unsubscribe');

    // Every place came back: the order still gets its full five streams.
    const five = await Promise.all(Array.from({ length: 5 }, () => openStream(gw, o.token)));
    expect(five.map((x) => x.res.statusCode)).toEqual([200, 200, 200, 200, 200]);
    for (const x of five) x.close();
    await until(() => subscribers(gw) === 0, 5000, 'unsubscribe');
  });

  it('sends a change that happened while its first read was under way', async () => {
    // A merchant whose notify endpoint never answers: no 'notified' event comes to help.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const quiet = await seedMerchant(gw, { ...site, url: silentUrl }, { name: 'quiet' });
    const o = await createOrder(gw, quiet, { price: '13' });
    const orders = gw.services.orders;
    const read = orders.findByToken.bind(orders);
    let entered!: () => void;
    const inRead = new Promise<void>((r) => (entered = r));
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    // The first read sees the order unpaid, then is held while the buyer's payment arrives.
    orders.findByToken = async (token: string) => {
      orders.findByToken = read;
      const before = await read(token);
      entered();
      await gate;
      return before;
    };
    let stream: Opened | undefined;
    try {
      const pending = openStream(gw, o.token);
      await inRead;
      await simulatePayment(gw, o.token);
      open();
      stream = await pending;
      const next = events(stream);
      expect((await next()).status).toBe('unpaid');
      const paid = await Promise.race([next(), sleep(3000).then(() => ({ status: 'no event in 3 s' }))]);
      expect(paid.status).toBe('paid');
    } finally {
      stream?.close();
      open();
      orders.findByToken = read;
      silent.closeAllConnections();
      silent.close();
    }
    await until(() => subscribers(gw) === 0, 5000, 'unsubscribe');
  });

  it('caps streams per order (429) and in all (503) with a short text, and frees a place when one leaves', async () => {
    const a = await createOrder(gw, m, { price: '4' });
    const others = await Promise.all([5, 6, 7].map((p) => createOrder(gw, m, { price: String(p) })));
    const onA = await Promise.all(Array.from({ length: 5 }, () => openStream(gw, a.token)));
    expect(onA.map((x) => x.res.statusCode)).toEqual([200, 200, 200, 200, 200]);

    const sixth = await openStream(gw, a.token);
    expect(sixth.res.statusCode).toBe(429);
    expect(sixth.res.headers['content-type']).toMatch(/^text\/plain/);
    expect(sixth.res.headers['retry-after']).toBe('10');
    expect(await sixth.body()).toBe('too many live streams for this order\n');

    // Other orders still get theirs, up to CASHIER_STREAMS_MAX (8) in all.
    const rest = await Promise.all([others[0], others[1], others[2]].map((o) => openStream(gw, o!.token)));
    expect(rest.map((x) => x.res.statusCode)).toEqual([200, 200, 200]);
    const ninth = await openStream(gw, (await createOrder(gw, m, { price: '8' })).token);
    expect(ninth.res.statusCode).toBe(503);
    expect(await ninth.body()).toBe('too many live streams; try again shortly\n');
    expect(subscribers(gw)).toBe(8);

    onA[0]!.close();
    await until(() => subscribers(gw) === 7, 5000, 'a place to free up');
    const again = await openStream(gw, a.token);
    expect(again.res.statusCode).toBe(200);
    expect((await events(again)()).order_id).toBe(a.order_id);

    for (const x of [...onA, ...rest, again]) x.close();
    await until(() => subscribers(gw) === 0, 5000, 'unsubscribe');
  });

  it('answers 404 for unknown orders, and 500 when the first read fails, without using up places', async () => {
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAA';
    // fetch keeps its connections alive: the places come back with the answer, not the socket.
    for (let i = 0; i < 7; i++) {
      const r = await fetch(`${gw.url}/pay/events?id=${unknown}`);
      expect([r.status, await r.json()]).toEqual([404, { code: 404, msg: 'order not found', data: null }]);
    }
    expect((await fetch(`${gw.url}/pay/events?id=bad`)).status).toBe(404);

    const o = await createOrder(gw, m, { price: '12' });
    const orders = gw.services.orders;
    const read = orders.findByToken.bind(orders);
    orders.findByToken = async () => {
      throw new Error('database went away');
    };
    try {
      for (let i = 0; i < 6; i++) {
        const r = await fetch(`${gw.url}/pay/events?id=${o.token}`);
        expect(r.status).toBe(500);
        expect(await r.text()).not.toContain('database went away');
      }
    } finally {
      orders.findByToken = read;
    }
    expect(subscribers(gw)).toBe(0);
    const ok = await openStream(gw, o.token);
    expect(ok.res.statusCode).toBe(200);
    ok.close();
    await until(() => subscribers(gw) === 0, 5000, 'unsubscribe');
  });

  it('reads the state once or twice for a burst of a thousand events, and sends the result', async () => {
    const o = await createOrder(gw, m, { price: '11' });
    const stream = await openStream(gw, o.token);
    const next = events(stream);
    expect((await next()).phase).toBe('waiting');
    const orders = gw.services.orders;
    const read = orders.findByToken.bind(orders);
    let reads = 0;
    orders.findByToken = (token: string) => {
      reads++;
      return read(token);
    };
    try {
      await gw.services.db.kysely
        .updateTable('orders')
        .set({ status: 'expired' })
        .where('id', '=', o.order_id)
        .execute();
      for (let i = 0; i < 1000; i++) {
        gw.services.events.publish({ kind: 'expired', orderId: o.order_id, token: o.token });
      }
      expect((await next()).phase).toBe('closed');
      await sleep(100);
    } finally {
      orders.findByToken = read;
    }
    expect(reads).toBeLessThanOrEqual(2);
    stream.close();
    await until(() => subscribers(gw) === 0, 5000, 'unsubscribe');
  });

  it('keeps what it buffers for a reader that stops reading bounded, and sends it the latest state once it reads', async () => {
    await padTimeoutUrl(gw, site, m, 120_000);
    const o = await createOrder(gw, m, { price: '9' });
    const slow = await openStream(gw, o.token);
    expect(slow.res.statusCode).toBe(200);
    const server = () => sockets.get(slow.localPort) as Socket;
    expect(server()).toBeDefined();

    // Never read: the client's buffers fill, then the kernel's, then the server's would.
    const most = await churn(gw, o, 200, server);
    // One state (~120 KB) beyond the 16 KiB high-water mark at most; unbounded would be megabytes.
    expect(most).toBeLessThan(200_000);
    expect(server().destroyed).toBe(false);

    // The state settles (unpaid: waiting); the reader catches up and is told exactly that.
    await gw.services.db.kysely
      .updateTable('orders')
      .set({ status: 'unpaid' })
      .where('id', '=', o.order_id)
      .execute();
    gw.services.events.publish({ kind: 'expired', orderId: o.order_id, token: o.token });
    let text = '';
    slow.res.on('data', (c) => (text += String(c)));
    await until(
      () => text.trimEnd().split('\n\n').at(-1)?.includes('"phase":"waiting"'),
      10_000,
      'latest state',
    );
    slow.close();
    await until(() => subscribers(gw) === 0, 5000, 'unsubscribe');
  });
});

describe('a cashier live stream whose reader stalls', () => {
  let site: MerchantSite;
  let gw: TestGateway;
  beforeAll(async () => {
    site = await startMerchantSite();
    gw = await startTestGateway({ env: { CASHIER_STREAM_HEARTBEAT_MS: '200' } });
  });
  afterAll(async () => {
    await gw?.close();
    await site?.close();
  });

  it('is dropped once its buffer has stayed full for a heartbeat interval', async () => {
    const sockets = trackSockets(gw);
    const m = await seedMerchant(gw, site);
    await padTimeoutUrl(gw, site, m, 120_000);
    const o = await createOrder(gw, m, { price: '2' });
    const slow = await openStream(gw, o.token);
    const server = () => sockets.get(slow.localPort) as Socket;
    await churn(gw, o, 400, server);
    await until(() => server().destroyed, 5000, 'the stalled stream to be dropped');
    await until(() => subscribers(gw) === 0, 5000, 'unsubscribe');
    slow.close();

    // A reader that keeps up is not dropped by the same heartbeats.
    const fine = await openStream(gw, o.token);
    let text = '';
    fine.res.on('data', (c) => (text += String(c)));
    await sleep(700);
    expect(text).toContain(': hb');
    expect(subscribers(gw)).toBe(1);
    fine.close();
    await until(() => subscribers(gw) === 0, 5000, 'unsubscribe');
  });
});

describe('a cashier live stream whose client left before the handler ran', () => {
  it('gives back its place and subscription (an async hook held the request meanwhile)', async () => {
    const site = await startMerchantSite();
    const gw = await startTestGateway();
    // The real route on its own server, behind a hook that awaits I/O as a rate limiter would.
    const app = Fastify();
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let arrived!: () => void;
    const inHook = new Promise<void>((r) => (arrived = r));
    app.addHook('onRequest', async () => {
      arrived();
      await gate;
    });
    payEventsRoute(app, gw.services, new CashierService(gw.services));
    try {
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const m = await seedMerchant(gw, site);
      const o = await createOrder(gw, m, { price: '1' });
      const port = Number(new URL(url).port);
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.write(`GET /pay/events?id=${o.token} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      await inHook;
      s.destroy();
      await sleep(100); // the server has seen the connection close
      open();
      await sleep(200);
      expect(subscribers(gw)).toBe(0);
    } finally {
      open();
      await app.close();
      await gw.close();
      await site.close();
    }
  });
});
