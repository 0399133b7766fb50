import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { gatepaySign } from './gatepay.js';

/**
 * A merchant's notify endpoint for the benchmark: a real node:http server on 127.0.0.1 (port 0)
 * in the bench process. `success` answers every notification at once with `success`; `hang`
 * reads the request and never answers (a merchant whose server is stuck). It notes when each
 * notification arrived (performance.now(), after the whole body was read), checks the md5 `sign`
 * of the merchants it trusts, and wakes whoever waits for a given `order_id`.
 * GET /return answers 200 so a cashier page that goes back to the shop lands somewhere.
 */
export type ReceiverMode = 'success' | 'hang';

export class NotifyReceiver {
  /** Notifications received (repeats included). */
  received = 0;
  /** Notifications whose order_id had been received before. */
  repeats = 0;
  /** Notifications of a trusted merchant whose md5 sign did not check out. */
  badSigns = 0;
  firstAt = Number.NaN;
  lastAt = Number.NaN;
  url = '';
  returnUrl = '';
  private readonly seen = new Map<string, number>();
  private readonly waiters = new Map<string, (at: number) => void>();
  private readonly secrets = new Map<string, string>();
  private readonly sockets = new Set<Socket>();
  private countWaiter: { n: number; resolve: () => void } | null = null;

  private constructor(
    private readonly server: Server,
    readonly mode: ReceiverMode,
  ) {}

  static async start(mode: ReceiverMode): Promise<NotifyReceiver> {
    const server = createServer({ keepAliveTimeout: 30_000 });
    const r = new NotifyReceiver(server, mode);
    server.on('connection', (s: Socket) => {
      r.sockets.add(s);
      s.on('close', () => r.sockets.delete(s));
    });
    server.on('request', (req, res) => r.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    r.url = `http://127.0.0.1:${port}/notify`;
    r.returnUrl = `http://127.0.0.1:${port}/return`;
    return r;
  }

  /** Checks the md5 sign of this merchant's notifications from now on. */
  trust(m: { appkey: string; appsecret: string }): this {
    this.secrets.set(m.appkey, m.appsecret);
    return this;
  }

  /** Distinct orders notified so far. */
  get distinct(): number {
    return this.seen.size;
  }

  /** When the notification of `orderId` arrived, if it did. */
  arrivedAt(orderId: number): number | undefined {
    return this.seen.get(String(orderId));
  }

  /** Calls `fn` with the arrival time of every distinct notification. */
  forEachArrival(fn: (at: number) => void): void {
    for (const at of this.seen.values()) fn(at);
  }

  /**
   * Resolves with the arrival time of `orderId`'s notification (at once if it already came), or
   * rejects after `timeoutMs`.
   */
  waitFor(orderId: number, timeoutMs: number): Promise<number> {
    const key = String(orderId);
    const already = this.seen.get(key);
    if (already !== undefined) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new Error(`no notification for order ${orderId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(key, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }

  /** Resolves true once `n` distinct orders were notified, false after `timeoutMs`. */
  async waitForDistinct(n: number, timeoutMs: number): Promise<boolean> {
    if (this.seen.size >= n) return true;
    let timer: NodeJS.Timeout | undefined;
    const reached = await new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      this.countWaiter = { n, resolve: () => resolve(true) };
    });
    clearTimeout(timer);
    this.countWaiter = null;
    return reached;
  }

  /** Resolves true once `n` requests arrived at all (hanging ones included), false after `timeoutMs`. */
  async waitForRequests(n: number, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.received < n) {
      if (performance.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const url = req.url ?? '/';
      if (!url.startsWith('/notify')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
        return;
      }
      const raw = req.method === 'GET' ? url.slice(url.indexOf('?') + 1) : Buffer.concat(chunks).toString();
      this.note(new URLSearchParams(raw), at);
      if (this.mode === 'hang') return; // close() cuts it
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('success');
    });
  }

  private note(p: URLSearchParams, at: number): void {
    this.received++;
    if (Number.isNaN(this.firstAt)) this.firstAt = at;
    this.lastAt = at;
    const secret = this.secrets.get(p.get('appkey') ?? '');
    if (secret !== undefined) {
      const fields = ['order_id', 'out_order_id', 'price', 'realprice', 'type', 'paytime', 'extend'].map(
        (k) => p.get(k) ?? '',
      );
      if (gatepaySign(p.get('appkey') ?? '', fields, secret) !== p.get('sign')) this.badSigns++;
    }
    const key = p.get('order_id') ?? '';
    if (this.seen.has(key)) {
      this.repeats++;
      return;
    }
    this.seen.set(key, at);
    const waiter = this.waiters.get(key);
    if (waiter) {
      this.waiters.delete(key);
      waiter(at);
    }
    if (this.countWaiter && this.seen.size >= this.countWaiter.n) this.countWaiter.resolve();
  }

  /** Forgets what arrived (between runs that reuse the receiver). */
  reset(): void {
    this.seen.clear();
    this.received = this.repeats = this.badSigns = 0;
    this.firstAt = this.lastAt = Number.NaN;
  }

  /** Cuts every connection (hanging requests too) and stops listening. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
