import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { eventually, merchantWithAccount, outbox, paidOrder } from './fixtures.js';
import { Receiver } from './receiver.js';

/** One retry, a minute after the first failure (±20 %): nothing is retried during a test. */
const ENV = {
  NOTIFY_RETRY_SCHEDULE: '60',
  NOTIFY_CONNECT_TIMEOUT_MS: '300',
  NOTIFY_TOTAL_TIMEOUT_MS: '500',
};

const FFFD = '\uFFFD';

/**
 * Merchant answers that PostgreSQL `text` cannot hold (NUL) or that are not UTF-8 are stored
 * sanitised; an attempt is recorded and counted whatever the merchant answered, on both databases.
 */
describe('push network: answers the database cannot store as sent', () => {
  let gw: TestGateway;
  const receivers: Receiver[] = [];

  async function merchantAnswering(...answers: Array<{ status: number; bytes: Uint8Array } | 'fail'>) {
    const r = await Receiver.start();
    receivers.push(r);
    r.next(...answers);
    const { merchant } = await merchantWithAccount(gw.services, r.url);
    r.trust(merchant);
    return { r, merchant };
  }

  /**
   * The outbox row once its first attempt is recorded. `outbox` reads the row before its attempts,
   * so waiting on the row's count sees both sides of the recording transaction.
   */
  function firstAttempt(orderId: number) {
    return eventually(
      () => outbox(gw.services, orderId),
      (o) => o.n.attempts >= 1,
      5000,
      'the attempt row',
    );
  }

  function expectRetryScheduled(n: { next_attempt_at: number }, startedAt: number) {
    expect(Number(n.next_attempt_at)).toBeGreaterThanOrEqual(startedAt + 48_000);
    expect(Number(n.next_attempt_at)).toBeLessThanOrEqual(Date.now() + 72_000);
  }

  beforeAll(async () => {
    gw = await startTestGateway({ env: ENV });
  });
  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.close();
  });
  afterAll(() => gw.close());

  it('stores an answer with NUL bytes and invalid UTF-8 sanitised, as one counted attempt, and schedules the retry', async () => {
    const bytes = Buffer.concat([Buffer.from('fail\0x'), Buffer.from([0xff, 0xfe]), Buffer.from('成')]);
    const { r, merchant } = await merchantAnswering({ status: 200, bytes });
    const order = await paidOrder(gw.services, merchant);
    const { n, attempts } = await firstAttempt(order.id);
    const shown = `fail${FFFD}x${FFFD}${FFFD}成`;
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({
      status_code: 200,
      response_snippet: shown,
      error: `answer "${shown}" is not "success"`,
      trigger: 'scheduled',
    });
    expect(n).toMatchObject({
      state: 'pending',
      attempts: 1,
      last_error: `answer "${shown}" is not "success"`,
    });
    expect(Number(n.lease_until)).toBe(0);
    expectRetryScheduled(n, Number(attempts[0]!.started_at));
    expect(r.requests).toHaveLength(1);
  });

  it('delivers "success\\0" (NUL trimmed as PHP trims it) and stores the answer sanitised', async () => {
    const { merchant } = await merchantAnswering({ status: 200, bytes: Buffer.from('success\0') });
    const order = await paidOrder(gw.services, merchant);
    const { n, attempts } = await eventually(
      () => outbox(gw.services, order.id),
      (o) => o.n.state === 'delivered',
      5000,
      'delivery',
    );
    expect(n.attempts).toBe(1);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ status_code: 200, response_snippet: `success${FFFD}`, error: '' });
  });

  it('keeps the snippet of an all-invalid answer within 2 KiB although each byte became a 3-byte U+FFFD', async () => {
    const { merchant } = await merchantAnswering({ status: 500, bytes: Buffer.alloc(3000, 0xff) });
    const order = await paidOrder(gw.services, merchant);
    const { n, attempts } = await firstAttempt(order.id);
    const snippet = attempts[0]!.response_snippet;
    expect(snippet).toBe(FFFD.repeat(682));
    expect(Buffer.byteLength(snippet)).toBeLessThanOrEqual(2048);
    expect(attempts[0]!.error).toBe('HTTP 500');
    expect(n.attempts).toBe(1);
    expectRetryScheduled(n, Number(attempts[0]!.started_at));
  });

  it('records the attempt without the answer when storing the answer fails anyway, and still schedules the retry', async () => {
    const db = gw.services.db.kysely;
    // Stands in for whatever might make an attempt row unstorable despite sanitising.
    if (gw.services.db.dialect === 'postgres') {
      await sql`create function refuse_snippets() returns trigger language plpgsql as $$
        begin
          if new.response_snippet <> '' then raise exception 'snippet refused'; end if;
          return new;
        end $$`.execute(db);
      await sql`create trigger refuse_snippets before insert on notify_attempts
        for each row execute function refuse_snippets()`.execute(db);
    } else {
      await sql`create trigger refuse_snippets before insert on notify_attempts
        when new.response_snippet <> '' begin select raise(abort, 'snippet refused'); end`.execute(db);
    }
    try {
      const { r, merchant } = await merchantAnswering('fail');
      const order = await paidOrder(gw.services, merchant);
      const { n, attempts } = await firstAttempt(order.id);
      expect(attempts).toHaveLength(1);
      expect(attempts[0]).toMatchObject({ status_code: 200, response_snippet: '', trigger: 'scheduled' });
      expect(attempts[0]!.error).toMatch(/^answer not stored: .*snippet refused/);
      expect(n).toMatchObject({ state: 'pending', attempts: 1, last_error: attempts[0]!.error });
      expect(Number(n.lease_until)).toBe(0);
      expectRetryScheduled(n, Number(attempts[0]!.started_at));
      expect(r.requests).toHaveLength(1);
    } finally {
      await sql`drop trigger refuse_snippets${sql.raw(gw.services.db.dialect === 'postgres' ? ' on notify_attempts' : '')}`.execute(
        db,
      );
    }
  });
});
