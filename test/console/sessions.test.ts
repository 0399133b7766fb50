import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DIALECT } from '../helpers/database.js';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import { ConsoleClient, OPERATOR, operatorClient, setupToken, signedInClient } from './client.js';

const DAY = 24 * 3600_000;

describe(`console sessions on ${TEST_DIALECT}`, () => {
  const clock = new TestClock();
  let gw: TestGateway;
  let op: ConsoleClient;
  const signIn = (ua: string) =>
    signedInClient(gw, OPERATOR.email, OPERATOR.password).then((c) => {
      (c.headers as Record<string, string>)['user-agent'] = ua;
      return c;
    });

  beforeAll(async () => {
    gw = await startTestGateway({ clock });
    op = await operatorClient(gw);
  });
  afterAll(() => gw?.close());

  it('lists the sessions, revokes one and all the others, and a revoked cookie gets 401 at once', async () => {
    const phone = await signIn('Phone browser');
    const laptop = await signIn('Laptop browser');
    await phone.get('/session');
    const listed = await op.get('/sessions');
    expect(listed.status).toBe(200);
    expect(listed.body.sessions).toHaveLength(3);
    expect(listed.body.sessions.filter((s: any) => s.current)).toHaveLength(1);
    const ids: string[] = listed.body.sessions.map((s: any) => s.id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{64}$/);
    // The id shown is the token's hash, never the cookie itself.
    expect(ids).not.toContain(phone.cookie);

    const phoneId = (await phone.get('/sessions')).body.sessions.find((s: any) => s.current).id;
    expect((await op.delete(`/sessions/${phoneId}`)).body).toEqual({ ok: true });
    expect((await phone.get('/session')).body.error).toBe('unauthenticated');
    expect((await phone.get('/session')).status).toBe(401);
    expect((await op.delete(`/sessions/${phoneId}`)).status).toBe(404);
    expect((await op.delete(`/sessions/${'0'.repeat(64)}`)).body.error).toBe('not_found');

    expect((await op.post('/sessions/revoke-others')).body).toEqual({ revoked: 1 });
    expect((await laptop.get('/session')).status).toBe(401);
    expect((await op.get('/session')).status).toBe(200);
    expect((await op.get('/sessions')).body.sessions).toHaveLength(1);
  });

  it('signs out: the cookie is cleared and the old token no longer works', async () => {
    const c = await signIn('Tablet');
    const token = c.cookie;
    const out = await c.post('/sign-out');
    expect(out.body).toEqual({ ok: true });
    expect(out.setCookies.join('\n')).toMatch(/shouyin_session=;.*Path=\/admin/);
    expect(c.cookie).toBeNull();
    c.cookie = token;
    expect((await c.get('/session')).status).toBe(401);
  });

  it('replaces the session a browser already had when it signs in again', async () => {
    const c = await signIn('Kiosk');
    const first = c.cookie;
    expect((await c.signIn(OPERATOR.email, OPERATOR.password)).status).toBe(200);
    expect(c.cookie).not.toBe(first);
    const old = new ConsoleClient(gw.url);
    old.cookie = first;
    expect((await old.get('/session')).status).toBe(401);
  });

  it('ends a session after 7 days unused or 30 days in all', async () => {
    const idle = await signIn('Idle');
    const busy = await signIn('Busy');
    for (let day = 1; day <= 29; day++) {
      clock.advance(DAY);
      if (day === 7) expect((await idle.get('/session')).status).toBe(401);
      expect((await busy.get('/session')).status, `day ${day}`).toBe(200);
    }
    clock.advance(DAY);
    expect((await busy.get('/session')).status).toBe(401);
    op = await signIn('Operator again');
  });

  it('sets the cookie HttpOnly, SameSite=Lax, on /admin, without Secure on http; answers are not cached', async () => {
    const c = new ConsoleClient(gw.url);
    const r = await c.signIn(OPERATOR.email, OPERATOR.password);
    const line = r.setCookies.find((l) => l.startsWith('shouyin_session='))!;
    const attrs = line.split(';').map((p) => p.trim().toLowerCase());
    expect(attrs).toEqual(
      expect.arrayContaining(['httponly', 'samesite=lax', 'path=/admin', 'max-age=2592000']),
    );
    expect(attrs).not.toContain('secure');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect((await c.get('/session')).headers.get('cache-control')).toBe('no-store');
  });

  it('sets the cookie Secure when PUBLIC_URL is https', async () => {
    const tls = await startTestGateway({ env: { PUBLIC_URL: 'https://pay.example.com' } });
    try {
      const c = new ConsoleClient(tls.url);
      const r = await c.post('/setup', { token: await setupToken(tls), ...OPERATOR });
      expect(r.status).toBe(200);
      const line = r.setCookies.find((l) => l.startsWith('shouyin_session='))!;
      expect(line.split(';').map((p) => p.trim().toLowerCase())).toEqual(
        expect.arrayContaining(['secure', 'httponly', 'samesite=lax']),
      );
    } finally {
      await tls.close();
    }
  });

  it('refuses state-changing calls with a missing or wrong CSRF token and changes nothing', async () => {
    const other = await signIn('Other');
    const otherId = (await other.get('/sessions')).body.sessions.find((s: any) => s.current).id;
    const csrfRefusal = {
      error: 'csrf',
      message: 'This request did not come from the console page. Reload the page and try again.',
    };
    const tries = [
      { csrf: null },
      { csrf: 'wrong' },
      { csrf: `${op.csrf!.slice(0, -1)}${op.csrf!.endsWith('A') ? 'B' : 'A'}` },
      { csrf: other.csrf },
    ];
    for (const t of tries) {
      const r = await op.post('/sessions/revoke-others', undefined, t);
      expect(r.status, JSON.stringify(t)).toBe(403);
      expect(r.body).toEqual(csrfRefusal);
      const d = await op.delete(`/sessions/${otherId}`, t);
      expect(d.status).toBe(403);
      expect((await op.post('/totp/setup', undefined, t)).status).toBe(403);
      expect((await op.post('/sign-out', undefined, t)).status).toBe(403);
    }
    expect((await other.get('/session')).status).toBe(200);
    expect((await op.get('/session')).status).toBe(200);
    const me = await gw.services.users.findByEmail(OPERATOR.email);
    const row = await gw.services.db.kysely
      .selectFrom('users')
      .select('totp_pending_secret')
      .where('id', '=', me!.id)
      .executeTakeFirstOrThrow();
    expect(row.totp_pending_secret).toBeNull();
    // With the right token the same call goes through.
    expect((await op.delete(`/sessions/${otherId}`)).body).toEqual({ ok: true });
    expect((await other.get('/session')).status).toBe(401);
  });

  it('re-authenticates a session for 5 minutes with the password', async () => {
    const wrong = await op.post('/reauth', { password: 'not it' });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toEqual({ error: 'bad_password', message: 'The password is wrong.' });
    const r = await op.post('/reauth', { password: OPERATOR.password });
    expect(r.status).toBe(200);
    expect(r.body.reauth_until).toBe(clock.nowMs + 5 * 60_000);
    const rows = await gw.services.db.kysely
      .selectFrom('sign_ins')
      .select('outcome')
      .orderBy('id', 'desc')
      .limit(2)
      .execute();
    expect(rows.map((x) => x.outcome)).toEqual(['reauth', 'reauth_failed']);
  });

  it('answers 401 to every signed-in route without a session, and 404 as JSON for unknown ones', async () => {
    const anon = new ConsoleClient(gw.url);
    for (const [method, path] of [
      ['GET', '/session'],
      ['GET', '/sessions'],
      ['DELETE', `/sessions/${'a'.repeat(64)}`],
      ['POST', '/sessions/revoke-others'],
      ['POST', '/sign-out'],
      ['POST', '/totp/setup'],
      ['POST', '/totp/enable'],
      ['POST', '/totp/disable'],
      ['POST', '/reauth'],
      ['GET', '/merchant'],
      ['GET', '/sign-ins'],
    ] as const) {
      const r = await anon.call(method, path, method === 'POST' ? {} : undefined);
      expect(r.status, `${method} ${path}`).toBe(401);
      expect(r.body.error).toBe('unauthenticated');
    }
    const garbage = new ConsoleClient(gw.url);
    garbage.cookie = 'not-a-token';
    expect((await garbage.get('/session')).status).toBe(401);
    for (const c of [op, anon]) {
      for (const method of ['GET', 'POST']) {
        const r = await c.call(method, '/no-such-thing', method === 'POST' ? {} : undefined);
        expect(r.status, method).toBe(404);
        expect(r.body.error).toBe('not_found');
      }
    }
  });
});
