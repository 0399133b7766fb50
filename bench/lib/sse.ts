import { type ClientRequest, request as httpRequest } from 'node:http';

/** The cashier state as `GET /pay/events` sends it (the fields the benchmark reads). */
export interface CashierEvent {
  order_id: number;
  status: string;
  phase: string;
}

/**
 * One buyer's live cashier stream, `GET /pay/events?id=<token>`, on its own connection. Notes
 * when each event arrived (performance.now(), as its chunk was read) and lets a caller wait for
 * the first event with a given order status.
 */
export class CashierStream {
  readonly events: Array<{ at: number; state: CashierEvent }> = [];
  private buffer = '';
  private waiter: { status: string; resolve: (at: number) => void } | null = null;
  private closed = false;

  private constructor(private readonly req: ClientRequest) {}

  /** Opens the stream and resolves once its first event (the current state) arrived. */
  static open(origin: URL, token: string, timeoutMs = 10_000): Promise<CashierStream> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        host: origin.hostname,
        port: origin.port,
        path: `/pay/events?id=${encodeURIComponent(token)}`,
        method: 'GET',
        agent: false,
        headers: { accept: 'text/event-stream' },
      });
      const stream = new CashierStream(req);
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error(`no first event on the stream of ${token} within ${timeoutMs} ms`));
      }, timeoutMs);
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          clearTimeout(timer);
          res.resume();
          reject(new Error(`GET /pay/events answered ${res.statusCode}`));
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          stream.take(chunk, performance.now());
          if (stream.events.length > 0) {
            clearTimeout(timer);
            resolve(stream);
          }
        });
        res.on('error', () => undefined);
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        if (!stream.closed) reject(err);
      });
      req.end();
    });
  }

  private take(chunk: string, at: number): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (data === '') continue; // `retry:` line, heartbeat comment
      let state: CashierEvent;
      try {
        state = JSON.parse(data) as CashierEvent;
      } catch {
        continue;
      }
      this.events.push({ at, state });
      if (this.waiter && state.status === this.waiter.status) {
        const { resolve } = this.waiter;
        this.waiter = null;
        resolve(at);
      }
    }
  }

  /**
   * Resolves with the arrival time of the first event whose order status is `status` (at once
   * if one came already), or rejects after `timeoutMs`.
   */
  until(status: string, timeoutMs: number): Promise<number> {
    const seen = this.events.find((e) => e.state.status === status);
    if (seen) return Promise.resolve(seen.at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no '${status}' event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        status,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
    });
  }

  close(): void {
    this.closed = true;
    this.req.destroy();
  }
}
