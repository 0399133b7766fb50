import net from 'node:net';

/**
 * What the proxy does with a new connection: pass it on, close it at once (a server that is
 * down), or accept it and never answer (a host that is unreachable or hung mid-failover).
 */
export type ProxyMode = 'forward' | 'refuse' | 'hold';

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** The server side is gone but the client has not been told (see `breakSilently`). */
  silent: boolean;
  /** A statement went to the server and nothing came back since. */
  unanswered: boolean;
}

/**
 * A TCP proxy on 127.0.0.1 for fault tests: the gateway connects to PostgreSQL through it, and the
 * test cuts, stalls or refuses connections without touching the shared server.
 */
export class TcpProxy {
  mode: ProxyMode = 'forward';
  /** When the server closes a connection, close the client side too; false leaves it open. */
  passOnServerClose = true;
  /** Reset every connection at its next statement (a Query or Parse message): a server that
   * accepts sessions and then kills each one. */
  killStatements = false;
  /** Statements that came in on a connection whose server side was already gone. */
  deadWrites = 0;
  private readonly pairs = new Set<Pair>();
  private readonly held = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    let proxy: TcpProxy | null = null;
    const server = net.createServer((socket) => proxy?.accept(socket, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  private accept(client: net.Socket, target: { host: string; port: number }) {
    client.on('error', () => {});
    if (this.mode === 'refuse') return client.destroy();
    if (this.mode === 'hold') {
      this.held.add(client);
      client.on('close', () => this.held.delete(client));
      return;
    }
    const upstream = net.connect(target.port, target.host);
    upstream.on('error', () => {});
    const pair: Pair = { client, upstream, silent: false, unanswered: false };
    this.pairs.add(pair);
    // Reset the client's connection on its next write, as a host that lost the connection's
    // state answers a packet it no longer knows.
    client.on('data', (d: Buffer) => {
      const statement = d[0] === 0x51 || d[0] === 0x50; // 'Q' or 'P'
      if (pair.silent && statement) this.deadWrites++;
      if (pair.silent || (this.killStatements && statement)) return client.resetAndDestroy();
      if (statement) pair.unanswered = true;
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      pair.unanswered = false;
      client.write(d);
    });
    upstream.on('close', () => {
      if (pair.silent) return;
      if (this.passOnServerClose) return client.destroy();
      // Leave the client unaware. A statement it sent after the server's last word went to a
      // connection that was already going: count it, and reset so it does not wait forever.
      pair.silent = true;
      if (pair.unanswered) {
        this.deadWrites++;
        client.resetAndDestroy();
      }
    });
    client.on('close', () => {
      upstream.destroy();
      this.pairs.delete(pair);
    });
  }

  /** Connections now open (forwarded or held). */
  get open(): number {
    return this.pairs.size + this.held.size;
  }

  /** Stops passing the server's answers on: statements in flight hang until `cut`. */
  stall(): void {
    for (const p of this.pairs) p.upstream.pause();
  }

  /** Closes every forwarded connection on both sides (held ones stay held). */
  cut(): void {
    for (const p of this.pairs) {
      p.upstream.destroy();
      p.client.destroy();
    }
  }

  /**
   * Drops the server side of every forwarded connection without telling the client, which finds
   * out (connection reset) the next time it sends: a failover that moved the address.
   */
  breakSilently(): void {
    for (const p of this.pairs) {
      p.silent = true;
      p.upstream.destroy();
    }
  }

  /** Back to passing everything through. */
  reset(): void {
    this.mode = 'forward';
    this.passOnServerClose = true;
    this.killStatements = false;
  }

  async close(): Promise<void> {
    this.cut();
    for (const s of this.held) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
