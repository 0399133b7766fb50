import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A merchant's notify endpoint for tests: a real HTTP server on 127.0.0.1, port 0. It checks
 * both signatures of every request with code written here (not imported from src/), records
 * everything, and answers as it is told, one behaviour per request.
 */

export type Behaviour =
  | 'success'
  | 'success-padded' // " SUCCESS\n"
  | 'fail'
  | 'http-500'
  | 'redirect'
  | 'huge' // 100 KiB that would read as success if the gateway read it all
  | 'hang'
  | 'reset'
  | { delayMs: number; then: Behaviour }
  | { status: number; bytes: Uint8Array }; // exactly these bytes, e.g. NUL or invalid UTF-8

export interface Received {
  at: number;
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  rawBody: string;
  /** Form body (POST) or query string (GET). */
  params: Record<string, string>;
  /** md5 `sign` of spec §2, checked against the merchant's appsecret. */
  signValid: boolean;
  /** Standard Webhooks `webhook-signature`, checked against the same secret. */
  webhookValid: boolean;
  behaviour: Behaviour;
}

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** spec §2 sign, as a merchant's PHP would compute it. */
export function notifySignOf(p: Record<string, string>, appkey: string, appsecret: string): string {
  const f = ['order_id', 'out_order_id', 'price', 'realprice', 'type', 'paytime', 'extend'].map(
    (k) => p[k] ?? '',
  );
  return md5(md5(appkey + f.join('')) + appsecret);
}

/** Standard Webhooks verification: HMAC-SHA256 of `id.timestamp.body`, base64, any `v1,` entry. */
export function webhookValidOf(headers: IncomingMessage['headers'], body: string, secret: string): boolean {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sig = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof ts !== 'string' || typeof sig !== 'string') return false;
  if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${id}.${ts}.${body}`).digest();
  return sig.split(' ').some((part) => {
    const [version, value] = part.split(',');
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export class Receiver {
  readonly requests: Received[] = [];
  /** appkey → appsecret of the merchants that notify this receiver. */
  readonly secrets = new Map<string, string>();
  private readonly queue: Behaviour[] = [];
  private fallback: Behaviour = 'success';
  private readonly sockets = new Set<Socket>();
  private waiters: Array<() => void> = [];
  url = '';

  private constructor(private readonly server: Server) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    const r = new Receiver(server);
    server.on('connection', (s) => {
      r.sockets.add(s);
      s.on('close', () => r.sockets.delete(s));
    });
    server.on('request', (req, res) => r.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    r.url = `http://127.0.0.1:${port}/notify`;
    return r;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  trust(m: { appkey: string; appsecret: string }): this {
    this.secrets.set(m.appkey, m.appsecret);
    return this;
  }

  /** Answers the next requests with these behaviours, in order, then with the default. */
  next(...behaviours: Behaviour[]): this {
    this.queue.push(...behaviours);
    return this;
  }

  /** How every request without a planned behaviour is answered. */
  answer(b: Behaviour): this {
    this.fallback = b;
    return this;
  }

  /** Requests for one order (`order_id` parameter). */
  forOrder(orderId: number): Received[] {
    return this.requests.filter((r) => r.params.order_id === String(orderId));
  }

  /** Resolves once `predicate` holds (checked after each request), or throws after `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`receiver: timed out waiting for ${what} (${this.requests.length} requests)`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://receiver');
      const params = Object.fromEntries(
        new URLSearchParams(req.method === 'GET' ? url.search : rawBody).entries(),
      );
      const secret = this.secrets.get(params.appkey ?? '') ?? '';
      const behaviour = url.pathname === '/notify' ? (this.queue.shift() ?? this.fallback) : 'success';
      this.requests.push({
        at: Date.now(),
        method: req.method ?? '',
        path: url.pathname,
        headers: req.headers,
        rawBody,
        params,
        signValid: secret !== '' && notifySignOf(params, params.appkey ?? '', secret) === params.sign,
        webhookValid: secret !== '' && webhookValidOf(req.headers, rawBody, secret),
        behaviour,
      });
      this.act(behaviour, req, res);
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    });
  }

  private act(b: Behaviour, req: IncomingMessage, res: ServerResponse): void {
    if (typeof b === 'object' && 'bytes' in b) {
      res.writeHead(b.status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(b.bytes);
      return;
    }
    if (typeof b === 'object') {
      setTimeout(() => this.act(b.then, req, res), b.delayMs);
      return;
    }
    const text = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
      res.end(body);
    };
    switch (b) {
      case 'success':
        return text(200, 'success');
      case 'success-padded':
        return text(200, ' SUCCESS\n');
      case 'fail':
        return text(200, 'fail');
      case 'http-500':
        return text(500, 'Internal Server Error: <b>boom</b>');
      case 'redirect':
        return text(302, 'success', { location: '/elsewhere' });
      case 'huge':
        return text(200, `success${' '.repeat(100 * 1024)}`);
      case 'hang':
        return; // never answers; close() cuts it
      case 'reset':
        req.socket.resetAndDestroy();
        return;
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
