import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { connectDatabase, type Db } from '../../src/db/connect.js';
import { DatabaseUnavailableError, transact } from '../../src/db/tx.js';
import { openServices } from '../../src/runtime.js';
import { createScratchPostgres, type ScratchDatabase } from '../helpers/database.js';
import { createParams, type Envelope, findOrderParams, type MerchantCreds } from '../helpers/gatepay.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/**
 * PostgreSQL faults under a running gateway: `src/main.ts` in its own process (so "stays up" means
 * the process really did), on a scratch database reached through a TCP proxy that the test can
 * cut. Runs in every suite pass: it makes its own PostgreSQL database whatever SHOUYIN_TEST_DB says.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The gateway's `connect_timeout` (seconds) in these tests. */
const CONNECT_TIMEOUT_S = 1;
/** No request may take longer than this, fault or not. */
const ANSWER_DEADLINE_MS = 8000;

interface Answer {
  status: number;
  retryAfter: string | null;
  body: Envelope | null;
  text: string;
  ms: number;
}

interface Gateway {
  proc: ChildProcess;
  url: string;
  stderr: string[];
  alive(): boolean;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Starts `src/main.ts` with `env` and waits until /healthz answers. */
async function startGateway(env: Record<string, string>): Promise<Gateway> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  createInterface({ input: proc.stderr! }).on('line', (l) => stderr.push(l));
  proc.stdout!.resume(); // request logs: read and dropped, so the pipe never fills
  const gw: Gateway = {
    proc,
    url: `http://127.0.0.1:${port}`,
    stderr,
    alive: () => proc.exitCode === null && proc.signalCode === null,
  };
  for (const started = Date.now(); Date.now() - started < 20_000; await sleep(100)) {
    if (!gw.alive()) throw new Error(`gateway exited: ${stderr.join('\n')}`);
    try {
      if ((await fetch(`${gw.url}/healthz`)).ok) return gw;
    } catch {
      // not listening yet
    }
  }
  throw new Error('gateway did not start');
}

async function stopGateway(gw: Gateway | undefined) {
  if (!gw?.alive()) return;
  const exited = new Promise((resolve) => gw.proc.once('exit', resolve));
  gw.proc.kill('SIGTERM');
  const timer = setTimeout(() => gw.proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** A GatePay call that must answer within the deadline: a hang fails the test. */
async function call(gw: Gateway, path: string, params: Record<string, string>): Promise<Answer> {
  const started = Date.now();
  const res = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    body: new URLSearchParams(params),
    signal: AbortSignal.timeout(ANSWER_DEADLINE_MS),
  });
  const text = await res.text();
  let body: Envelope | null = null;
  try {
    body = JSON.parse(text) as Envelope;
  } catch {
    // checked by the caller
  }
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body,
    text,
    ms: Date.now() - started,
  };
}

/** An answer that is neither success nor the clean 503 envelope fails here. */
function outcome(a: Answer): 'ok' | 'unavailable' {
  if (a.status === 200 && a.body?.code === 100) return 'ok';
  expect(a.status, a.text.slice(0, 300)).toBe(503);
  expect(a.retryAfter).toBe('1');
  expect(a.body, a.text.slice(0, 300)).toMatchObject({ code: 199, data: null });
  expect(a.body!.time).toMatch(/^\d+$/);
  expect(a.body!.msg).toMatch(/数据库暂时不可用/);
  expect(a.text).not.toMatch(/\bat .*\.[jt]s:\d+|stack/i);
  return 'unavailable';
}

describe('PostgreSQL faults under a running gateway', () => {
  let scratch: ScratchDatabase;
  let proxy: TcpProxy;
  let gw: Gateway | undefined;
  /** A direct connection to the scratch database, for killing backends and checking rows. */
  let admin: pg.Client;
  let merchant: MerchantCreds & { id: number };
  let seq = 0;

  const create = (outOrderId = `n${++seq}`) =>
    createParams(merchant, {
      // Spread over prices so a long run never runs out of realprice slots.
      price: String(10 + (seq % 20)),
      type: 'alipay',
      out_order_id: outOrderId,
      custom: '',
    });
  const find = (outOrderId: string) => findOrderParams(merchant, outOrderId);

  /** Ends every session on the scratch database but this one; how many there were. */
  const killBackends = async () =>
    (
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()`,
      )
    ).rowCount ?? 0;

  /** Runs `n` findOrder requests at once, so the pool holds several connections afterwards. */
  const warmPool = async (n = 8) => {
    const answers = await Promise.all(
      Array.from({ length: n }, () => call(gw!, '/api/find/findOrder', find('o1'))),
    );
    for (const a of answers) expect(a.body?.code, a.text).toBe(100);
    await sleep(50);
  };

  const expectServing = async () => {
    expect(gw!.alive(), gw!.stderr.join('\n')).toBe(true);
    const a = await call(gw!, '/api/anypay/create', create());
    expect(a.body?.code, a.text).toBe(100);
  };

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    const direct = new URL(scratch.url);
    // Provision through the services on a direct connection, then leave the database to the gateway.
    const { db, services } = await openServices(loadConfig({ DATABASE_URL: scratch.url }));
    const m = await services.merchants.add({
      name: 'Fault shop',
      notifyUrl: 'http://127.0.0.1:9/notify',
      returnUrl: 'http://127.0.0.1:9/return',
    });
    await services.accounts.add({
      merchantId: m.id,
      type: 'alipay',
      name: 'alipay account',
      qrContent: 'https://qr.example.com/alipay',
    });
    await db.close();
    merchant = { id: m.id, appkey: m.appkey, appsecret: m.appsecret };
    admin = new pg.Client({ connectionString: scratch.url });
    await admin.connect();

    proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(scratch.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    viaProxy.searchParams.set('connect_timeout', String(CONNECT_TIMEOUT_S));
    gw = await startGateway({ DATABASE_URL: viaProxy.toString(), LOG_LEVEL: 'warn' });
    const first = await call(gw, '/api/anypay/create', create('o1'));
    expect(first.body?.code, first.text).toBe(100);
  });

  afterAll(async () => {
    await stopGateway(gw);
    await proxy?.close();
    await admin?.end();
    await scratch?.drop();
  });

  it('stays up when idle pool connections are killed, and logs the burst once', async () => {
    await warmPool();
    const logged = () => gw!.stderr.filter((l) => l.includes('idle connection was lost')).length;
    const before = logged();
    expect(await killBackends(), 'idle connections to kill').toBeGreaterThanOrEqual(2);
    await sleep(300);
    expect(gw!.alive(), gw!.stderr.join('\n')).toBe(true);
    expect(logged() - before, gw!.stderr.join('\n')).toBe(1);
    await expectServing();
  });

  it('answers success or a clean 503 to a burst of orders while its sessions are terminated, and loses or doubles none', async () => {
    const N = 80;
    const CONCURRENCY = 16;
    const requests = Array.from({ length: N }, () => create());
    const answers: Answer[] = new Array(N);
    let next = 0;
    let done = false;
    let killed = 0;
    const killer = (async () => {
      while (!done) {
        killed += await killBackends();
        await sleep(50);
      }
    })();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < N; i = next++)
          answers[i] = await call(gw!, '/api/anypay/create', requests[i]!);
      }),
    );
    done = true;
    await killer;
    expect(killed, 'sessions terminated during the burst').toBeGreaterThan(0);
    const outcomes = answers.map(outcome);
    expect(gw!.alive(), gw!.stderr.join('\n')).toBe(true);
    await expectServing();

    // Every order answered as created exists, under its out_order_id, once.
    const outIds = requests.map((r) => r.out_order_id!);
    const rows = async () =>
      (
        await admin.query<{ id: number; out_order_id: string }>(
          'select id, out_order_id from orders where merchant_id = $1 and out_order_id = any($2)',
          [merchant.id, outIds],
        )
      ).rows;
    const stored = new Map<string, number[]>();
    for (const r of await rows()) stored.set(r.out_order_id, [...(stored.get(r.out_order_id) ?? []), r.id]);
    answers.forEach((a, i) => {
      if (outcomes[i] === 'ok') expect(stored.get(outIds[i]!)).toEqual([a.body!.data.order_id]);
    });
    // A merchant sends the refused ones again: each gets its order, still one per out_order_id.
    for (const [i, o] of outcomes.entries()) {
      if (o !== 'unavailable') continue;
      const again = await call(gw!, '/api/anypay/create', requests[i]!);
      expect(again.body?.code, again.text).toBe(100);
    }
    const after = await rows();
    expect(after.length).toBe(N);
    expect(new Set(after.map((r) => r.out_order_id)).size).toBe(N);
  });

  it('runs reads and new transactions again when the pooled connections died unnoticed', async () => {
    await warmPool();
    // Every pooled connection is now dead; the gateway learns it only on its next write.
    proxy.breakSilently();
    const read = await call(gw!, '/api/find/findOrder', find('o1'));
    expect(read.body?.code, read.text).toBe(100);
    await warmPool();
    proxy.breakSilently();
    const write = await call(gw!, '/api/anypay/create', create());
    expect(write.body?.code, write.text).toBe(100);
    expect(gw!.alive(), gw!.stderr.join('\n')).toBe(true);
  });

  it('answers 503 quickly while PostgreSQL is unreachable and serves again once it is back', async () => {
    await warmPool();
    // Statements in flight when the server goes away: their connections end under them.
    proxy.stall();
    const inFlight = [
      call(gw!, '/api/find/findOrder', find('o1')),
      call(gw!, '/api/anypay/create', create()),
      call(gw!, '/api/find/findOrder', find('o1')),
    ];
    await sleep(200);
    proxy.mode = 'refuse';
    proxy.cut();
    for (const a of await Promise.all(inFlight)) expect(outcome(a)).toBe('unavailable');

    // Down: every new connection is closed at once.
    for (let t = Date.now(); Date.now() - t < 700;) {
      const a = await call(gw!, '/api/anypay/create', create());
      expect(outcome(a)).toBe('unavailable');
      expect(a.ms).toBeLessThan(500);
    }
    // Unreachable: connections are accepted and never answered; the connect timeout bounds the wait.
    proxy.mode = 'hold';
    const held = await Promise.all([
      call(gw!, '/api/anypay/create', create()),
      call(gw!, '/api/find/findOrder', find('o1')),
      call(gw!, '/api/anypay/create', create()),
    ]);
    for (const a of held) {
      expect(outcome(a)).toBe('unavailable');
      expect(a.ms).toBeLessThan(CONNECT_TIMEOUT_S * 1000 + 1500);
    }
    expect(gw!.alive(), gw!.stderr.join('\n')).toBe(true);

    proxy.mode = 'forward';
    await expectServing();
    const read = await call(gw!, '/api/find/findOrder', find('o1'));
    expect(read.body?.code, read.text).toBe(100);
  });
});

describe('transactions and statements over a failing PostgreSQL connection', () => {
  const APP = 'shouyin-fault-probe';
  let scratch: ScratchDatabase;
  let proxy: TcpProxy;
  let admin: pg.Client;
  let url: string;
  let db: Db;
  const poolErrors: string[] = [];

  const connect = () => connectDatabase(url, { onConnectionError: (m) => poolErrors.push(m) });
  const rowsFor = async (note: string) =>
    Number((await admin.query('select count(*) as n from tx_probe where note = $1', [note])).rows[0].n);
  /** `n` statements at once, so the pool holds `n` connections, idle afterwards. */
  const warmPool = async (n = 6) => {
    await Promise.all(Array.from({ length: n }, () => sql`select pg_sleep(0.05)`.execute(db.kysely)));
  };
  const insert = (note: string) => sql`insert into tx_probe (note) values (${note})`;

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    admin = new pg.Client({ connectionString: scratch.url });
    await admin.connect();
    await admin.query('create table tx_probe (id serial primary key, note text not null)');
    const direct = new URL(scratch.url);
    proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(scratch.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    viaProxy.searchParams.set('connect_timeout', String(CONNECT_TIMEOUT_S));
    viaProxy.searchParams.set('application_name', APP);
    url = viaProxy.toString();
    db = await connect();
  });

  afterEach(() => proxy.reset());

  afterAll(async () => {
    await proxy?.close(); // first: ends connections still waiting on a held socket
    await db?.close();
    await admin?.end();
    await scratch?.drop();
  });

  it('runs a transaction once when every pooled connection died unnoticed: BEGIN moves to a live one', async () => {
    await warmPool();
    proxy.breakSilently();
    let runs = 0;
    const note = 'stale-begin';
    await transact(db, async (trx) => {
      runs++;
      await insert(note).execute(trx);
    });
    expect(runs).toBe(1);
    expect(await rowsFor(note)).toBe(1);
  });

  it('runs the whole transaction again, never just the statement, when its connection died before COMMIT', async () => {
    let runs = 0;
    const note = 'lost-mid-body';
    await transact(db, async (trx) => {
      if (++runs === 1) proxy.breakSilently();
      // A read inside a transaction is not repeated on another connection: that would run it,
      // and everything after it, outside the transaction.
      await sql`select 1`.execute(trx);
      await insert(note).execute(trx);
    });
    expect(runs).toBe(2);
    expect(await rowsFor(note)).toBe(1);
  });

  it('runs a transaction again when its connection was known dead before COMMIT was sent', async () => {
    let runs = 0;
    const note = 'commit-never-sent';
    await transact(db, async (trx) => {
      await insert(note).execute(trx);
      if (++runs === 1) {
        proxy.cut();
        await sleep(100); // the client sees the connection end; COMMIT is then never written
      }
    });
    expect(runs).toBe(2);
    expect(await rowsFor(note)).toBe(1);
  });

  it('never runs a transaction again once COMMIT was sent on a connection that then died', async () => {
    let runs = 0;
    const note = 'commit-sent';
    const attempt = transact(db, async (trx) => {
      runs++;
      await insert(note).execute(trx);
      proxy.breakSilently(); // COMMIT goes out and the connection is reset: outcome unknown
    });
    await expect(attempt).rejects.toMatchObject({ name: 'DatabaseUnavailableError', stage: 'sent' });
    expect(runs).toBe(1);
  });

  it('does not repeat a write outside a transaction whose connection died after it was sent', async () => {
    await warmPool();
    proxy.breakSilently();
    const note = 'autocommit-write';
    await expect(insert(note).execute(db.kysely)).rejects.toMatchObject({ stage: 'sent' });
    expect(proxy.deadWrites).toBeGreaterThan(0);
    expect(await rowsFor(note)).toBe(0);
  });

  it('gives up at once when even a brand-new connection fails, instead of retrying a read forever', async () => {
    proxy.killStatements = true;
    const read = sql`select 1`.execute(db.kysely);
    const bound = sleep(3000).then(() => 'still retrying');
    await expect(Promise.race([read, bound])).rejects.toBeInstanceOf(DatabaseUnavailableError);
  });

  it('fails at once after one connect timeout while no connection can be opened: no transaction retry, waiters too', async () => {
    proxy.cut(); // the pool's idle connections end: nothing left to reuse
    await sleep(100);
    proxy.mode = 'hold';
    let runs = 0;
    const started = Date.now();
    const attempt = transact(db, async () => {
      runs++;
    });
    // More than the pool's 10 connections: the rest wait for a slot, bounded by the same timeout.
    const reads = Promise.allSettled(Array.from({ length: 12 }, () => sql`select 1`.execute(db.kysely)));
    await expect(attempt).rejects.toMatchObject({ name: 'DatabaseUnavailableError', stage: 'connect' });
    for (const r of await reads) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toMatchObject({ stage: 'connect' });
    }
    expect(Date.now() - started).toBeLessThan(CONNECT_TIMEOUT_S * 1000 + 800);
    expect(runs).toBe(0);
  });

  it('refuses a DATABASE_URL whose connect_timeout is not whole seconds', async () => {
    const bad = new URL(url);
    bad.searchParams.set('connect_timeout', '1.5s');
    await expect(connectDatabase(bad.toString())).rejects.toThrow(/connect_timeout must be whole seconds/);
  });

  it('never hands a connection out again after the server ended it under a statement', async () => {
    // A new pool, so the statement below runs on a brand-new connection and is not repeated.
    const probe = await connect();
    try {
      // The client reads the server's FATAL goodbye but not yet the close that follows it: the
      // moment in which pg still counts the connection as usable.
      proxy.passOnServerClose = false;
      const sleeping = sql`select pg_sleep(5)`.execute(probe.kysely).then(
        () => null,
        (err: unknown) => err,
      );
      for (let i = 0; i < 50; i++) {
        const r = await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
            where application_name = $1 and state = 'active' and query like 'select pg_sleep(5)%'`,
          [APP],
        );
        if (r.rowCount) break;
        await sleep(20);
      }
      expect(await sleeping).toBeInstanceOf(DatabaseUnavailableError);
      // Handed that connection, a statement would wait for an answer that never comes.
      const next = sql`select 1`.execute(probe.kysely).then(
        () => 'answered',
        (err: unknown) => err,
      );
      expect(await Promise.race([next, sleep(2000).then(() => 'stuck on the dead connection')])).toBe(
        'answered',
      );
    } finally {
      proxy.cut(); // frees a statement stuck on a dead connection, so the pool can close
      await probe.close();
    }
  });
});
