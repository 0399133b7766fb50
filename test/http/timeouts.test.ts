import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  createOrder,
  type MerchantSite,
  type SeededMerchant,
  seedMerchant,
  simulatePayment,
  startMerchantSite,
  until,
} from '../cashier/setup.js';

/** A raw connection to the gateway that records what it receives and when it is closed. */
async function rawSocket(url: string) {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  const state = { received: '', closedAt: 0 };
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (state.received += d));
  socket.on('close', () => (state.closedAt = Date.now()));
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, state };
}

/** Writes `text` one byte every `everyMs` until the socket closes or `maxMs` has passed. */
function trickle(socket: Socket, text: string, everyMs: number, maxMs: number): Promise<void> {
  const started = Date.now();
  let i = 0;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (socket.destroyed || Date.now() - started > maxMs || i >= text.length) {
        clearInterval(timer);
        resolve();
        return;
      }
      socket.write(text[i++] as string);
    }, everyMs);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('server timeouts and connection cap', () => {
  let gw: TestGateway;
  let site: MerchantSite;
  let m: SeededMerchant;
  beforeAll(async () => {
    site = await startMerchantSite();
    gw = await startTestGateway({
      env: {
        REQUEST_TIMEOUT_MS: '1000',
        HEADERS_TIMEOUT_MS: '500',
        KEEP_ALIVE_TIMEOUT_MS: '4000',
        CONNECTION_TIMEOUT_MS: '30000',
      },
    });
    m = await seedMerchant(gw, site);
  });
  afterAll(async () => {
    await gw?.close();
    await site?.close();
  });

  it('has sane defaults and refuses a headers timeout above the request timeout', () => {
    expect(loadConfig({})).toMatchObject({
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 72_000,
      connectionTimeoutMs: 60_000,
      maxConnections: 10_000,
    });
    expect(loadConfig({ REQUEST_TIMEOUT_MS: '5000' }).headersTimeoutMs).toBe(5000);
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '6000' })).toThrow(
      /HEADERS_TIMEOUT_MS/,
    );
    // Shorter than the event stream's 15 s heartbeat would cut every idle stream.
    expect(() => loadConfig({ CONNECTION_TIMEOUT_MS: '10000' })).toThrow(/CONNECTION_TIMEOUT_MS/);
    expect(() => loadConfig({ MAX_CONNECTIONS: '0' })).toThrow(/MAX_CONNECTIONS/);
  });

  it('applies the configured timeouts and cap to the HTTP server', () => {
    const s = gw.app.server;
    expect(s.requestTimeout).toBe(1000);
    expect(s.headersTimeout).toBe(500);
    expect(s.keepAliveTimeout).toBe(4000);
    expect(s.timeout).toBe(30_000);
    expect(s.maxConnections).toBe(10_000);
  });

  it('cuts a request body trickled in a byte at a time once REQUEST_TIMEOUT_MS has passed', async () => {
    const { socket, state } = await rawSocket(gw.url);
    const started = Date.now();
    socket.write(
      'POST /api/anypay/create HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n',
    );
    await trickle(socket, 'a'.repeat(200), 100, 4000);
    expect(state.closedAt, 'the connection was closed').toBeGreaterThan(0);
    const after = state.closedAt - started;
    expect(after).toBeGreaterThanOrEqual(900);
    expect(after).toBeLessThan(2500);
    expect(state.received).toMatch(/^HTTP\/1\.1 408 /);
    socket.destroy();
  });

  it('cuts headers trickled in a byte at a time once HEADERS_TIMEOUT_MS has passed', async () => {
    const { socket, state } = await rawSocket(gw.url);
    const started = Date.now();
    socket.write('GET /healthz HTTP/1.1\r\n');
    await trickle(socket, `X-Slow: ${'b'.repeat(100)}\r\n\r\n`, 50, 4000);
    expect(state.closedAt, 'the connection was closed').toBeGreaterThan(0);
    // Well before REQUEST_TIMEOUT_MS (1000), which would also cut it.
    expect(state.closedAt - started).toBeLessThan(950);
    socket.destroy();
  });

  it('keeps the cashier event stream open well past REQUEST_TIMEOUT_MS', async () => {
    const order = await createOrder(gw, m);
    const { socket, state } = await rawSocket(gw.url);
    socket.write(`GET /pay/events?id=${order.token} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    await until(() => state.received.includes('"phase":"waiting"'), 5000, 'the first state');
    await sleep(2500);
    expect(state.closedAt, 'the stream is still open').toBe(0);
    // Still live, not just open: the payment arrives on it.
    await simulatePayment(gw, order.token);
    await until(() => /"phase":"(paid|notifying|done)"/.test(state.received), 5000, 'the paid state');
    expect(state.received).toMatch(/^HTTP\/1\.1 200 /);
    socket.destroy();
  });
});

describe('connection cap', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { MAX_CONNECTIONS: '2' } });
  });
  afterAll(() => gw?.close());

  it('closes connections beyond MAX_CONNECTIONS on accept and takes new ones when a slot frees', async () => {
    const a = await rawSocket(gw.url);
    const b = await rawSocket(gw.url);
    await sleep(100);
    const c = await rawSocket(gw.url);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await until(() => c.state.closedAt > 0, 2000, 'the third connection to be closed');
    expect(c.state.received).toBe('');

    a.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await until(() => a.state.received.includes('"ok":true'), 2000, 'an answer on an accepted connection');
    a.socket.destroy();
    await sleep(100);
    const d = await rawSocket(gw.url);
    d.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    await until(() => d.state.received.includes('"ok":true'), 2000, 'an answer once a slot is free');
    b.socket.destroy();
    d.socket.destroy();
  });
});
