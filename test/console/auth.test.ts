import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DIALECT } from '../helpers/database.js';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import { ConsoleClient, OPERATOR, setupToken, signIns } from './client.js';

const MIN = 60_000;

async function userCount(gw: TestGateway): Promise<number> {
  return (await gw.services.db.kysely.selectFrom('users').select('id').execute()).length;
}

describe(`console setup link on ${TEST_DIALECT}`, () => {
  it('creates the operator once through the setup link and signs it in', async () => {
    const gw = await startTestGateway();
    try {
      const token = await setupToken(gw);
      const c = new ConsoleClient(gw.url);
      expect((await c.get(`/setup?token=${token}`)).body).toEqual({ valid: true });

      const r = await c.post('/setup', { token, email: '  Boss@Example.COM ', password: OPERATOR.password });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.user).toEqual({
        id: 1,
        email: 'boss@example.com',
        role: 'operator',
        merchant_id: null,
        totp_enabled: false,
      });
      const session = await c.get('/session');
      expect(session.status).toBe(200);
      expect(session.body).toEqual({ user: r.body.user, csrf_token: r.body.csrf_token });

      // The same link again, and any other link once a user exists: refused, nothing added.
      const again = await new ConsoleClient(gw.url).post('/setup', {
        token,
        email: 'second@example.com',
        password: 'another password',
      });
      expect(again.status).toBe(400);
      expect(again.body.error).toBe('setup_invalid');
      expect((await c.get(`/setup?token=${token}`)).body).toEqual({ valid: false });
      expect(await gw.services.users.openSetup(gw.config.publicUrl)).toBeNull();
      expect(await userCount(gw)).toBe(1);

      const row = await gw.services.db.kysely.selectFrom('users').selectAll().executeTakeFirstOrThrow();
      expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(row.password_hash).not.toContain(OPERATOR.password);
      expect((await signIns(gw)).map((s) => s.outcome)).toEqual(['setup']);
    } finally {
      await gw.close();
    }
  });

  it('closes the setup link once a user was added some other way (the CLI)', async () => {
    const gw = await startTestGateway();
    try {
      const token = await setupToken(gw);
      await gw.services.users.add({ email: 'cli@example.com', password: 'from the shell', role: 'operator' });
      const c = new ConsoleClient(gw.url);
      expect((await c.get(`/setup?token=${token}`)).body).toEqual({ valid: false });
      const r = await c.post('/setup', { token, ...OPERATOR });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('setup_invalid');
      expect(await userCount(gw)).toBe(1);
    } finally {
      await gw.close();
    }
  });

  it('refuses a setup link after its hour is over', async () => {
    const clock = new TestClock();
    const gw = await startTestGateway({ clock });
    try {
      const token = await setupToken(gw);
      const c = new ConsoleClient(gw.url);
      clock.advance(60 * MIN - 1);
      expect((await c.get(`/setup?token=${token}`)).body).toEqual({ valid: true });
      clock.advance(1);
      expect((await c.get(`/setup?token=${token}`)).body).toEqual({ valid: false });
      const r = await c.post('/setup', { token, ...OPERATOR });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('setup_invalid');
      expect(await userCount(gw)).toBe(0);
      expect(c.cookie).toBeNull();
    } finally {
      await gw.close();
    }
  });

  it('refuses an unknown setup token and bad input, and the link still works afterwards', async () => {
    const gw = await startTestGateway();
    try {
      const token = await setupToken(gw);
      const c = new ConsoleClient(gw.url);
      const wrong = await c.post('/setup', {
        token: token.replace(/^./, (x) => (x === 'A' ? 'B' : 'A')),
        ...OPERATOR,
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error).toBe('setup_invalid');
      const short = await c.post('/setup', { token, email: OPERATOR.email, password: 'short' });
      expect(short.status).toBe(400);
      expect(short.body).toEqual({
        error: 'invalid_input',
        message: 'The password must be at least 8 characters long.',
      });
      const email = await c.post('/setup', { token, email: 'not-an-email', password: OPERATOR.password });
      expect(email.status).toBe(400);
      expect(email.body.error).toBe('invalid_input');
      const missing = await c.post('/setup', { token, email: OPERATOR.email });
      expect(missing.status).toBe(400);
      expect(missing.body).toEqual({ error: 'invalid_input', message: 'The field "password" is required.' });
      expect(await userCount(gw)).toBe(0);
      expect((await c.get(`/setup?token=${token}`)).body).toEqual({ valid: true });
      expect((await c.post('/setup', { token, ...OPERATOR })).status).toBe(200);
    } finally {
      await gw.close();
    }
  });
});

describe(`console sign-in on ${TEST_DIALECT}`, () => {
  const clock = new TestClock();
  let gw: TestGateway;
  let n = 0;
  /** A client whose requests come from its own address (the gateway trusts 127.0.0.1 as a proxy). */
  const from = (ip: string) => new ConsoleClient(gw.url, { 'x-forwarded-for': ip });
  const freshAddress = () => `198.51.100.${++n}`;
  /** A new merchant user with its own email. */
  async function newUser(password = 'the right password') {
    const email = `user${++n}@example.com`;
    await gw.services.users.add({ email, password, role: 'merchant', merchantId: 1 });
    return { email, password };
  }

  beforeAll(async () => {
    gw = await startTestGateway({
      clock,
      env: { TRUST_PROXY: '127.0.0.1', SIGN_IN_FAILURES_PER_ADDRESS: '3' },
    });
    await gw.services.merchants.add({
      name: 'Tea shop',
      notifyUrl: 'https://tea.example.com/n',
      returnUrl: 'https://tea.example.com/r',
    });
  });
  afterAll(() => gw?.close());

  it('signs in with the right password, refuses a wrong one or an unknown email alike, and records each', async () => {
    const u = await newUser();
    const c = from(freshAddress());
    const wrong = await c.signIn(u.email, 'not the password');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: 'bad_credentials', message: 'The email or password is wrong.' });
    const unknown = await c.signIn('nobody@example.com', 'not the password');
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(c.cookie).toBeNull();

    const ok = await c.signIn(u.email.toUpperCase(), u.password);
    expect(ok.status).toBe(200);
    expect(ok.body.user).toMatchObject({ email: u.email, role: 'merchant', merchant_id: 1 });
    expect(c.cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await c.get('/session')).status).toBe(200);

    const rows = (await signIns(gw)).filter((r) => r.address === c.headers['x-forwarded-for']);
    expect(rows.map((r) => [r.email, r.outcome])).toEqual([
      [u.email, 'bad_password'],
      ['nobody@example.com', 'unknown_email'],
      [u.email, 'ok'],
    ]);
  });

  it('locks an account for 15 minutes after 5 wrong passwords in 15 minutes, from any addresses', async () => {
    const u = await newUser();
    for (let i = 1; i <= 4; i++) {
      const r = await from(freshAddress()).signIn(u.email, `wrong ${i}`);
      expect(r.body.error).toBe('bad_credentials');
    }
    const fifth = await from(freshAddress()).signIn(u.email, 'wrong 5');
    expect(fifth.status).toBe(429);
    expect(fifth.body.error).toBe('locked');
    expect(fifth.headers.get('retry-after')).toBe('900');

    // Locked: the right password is refused too, and a wrong one does not make it longer.
    clock.advance(10 * MIN);
    const right = await from(freshAddress()).signIn(u.email, u.password);
    expect(right.status).toBe(429);
    expect(right.body.error).toBe('locked');
    expect(right.headers.get('retry-after')).toBe('300');
    expect((await from(freshAddress()).signIn(u.email, 'wrong 6')).body.error).toBe('locked');
    // Refused before any password check: recorded as locked, not as a guess.
    const during = (await signIns(gw)).filter((r) => r.email === u.email).slice(-2);
    expect(during.map((r) => r.outcome)).toEqual(['locked', 'locked']);

    clock.advance(5 * MIN);
    expect((await from(freshAddress()).signIn(u.email, u.password)).status).toBe(200);
  });

  it('does not lock for wrong passwords spread over more than 15 minutes, or reset by a success', async () => {
    const spread = await newUser();
    for (let i = 0; i < 4; i++) await from(freshAddress()).signIn(spread.email, 'wrong');
    clock.advance(15 * MIN);
    expect((await from(freshAddress()).signIn(spread.email, 'wrong')).body.error).toBe('bad_credentials');
    expect((await from(freshAddress()).signIn(spread.email, spread.password)).status).toBe(200);

    const reset = await newUser();
    for (let i = 0; i < 4; i++) await from(freshAddress()).signIn(reset.email, 'wrong');
    expect((await from(freshAddress()).signIn(reset.email, reset.password)).status).toBe(200);
    for (let i = 0; i < 4; i++) {
      expect((await from(freshAddress()).signIn(reset.email, 'wrong')).body.error).toBe('bad_credentials');
    }
  });

  it('refuses an address after too many failed sign-ins, whatever account it tries, until the window passes', async () => {
    const u = await newUser();
    const address = freshAddress();
    for (let i = 0; i < 3; i++) {
      expect((await from(address).signIn(`guess${i}@example.com`, 'guess')).body.error).toBe(
        'bad_credentials',
      );
    }
    clock.advance(MIN);
    const limited = await from(address).signIn(u.email, u.password);
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe('rate_limited');
    expect(limited.headers.get('retry-after')).toBe('840');
    // The account itself is fine from elsewhere, and the address's refusals were not guesses.
    expect((await from(freshAddress()).signIn(u.email, u.password)).status).toBe(200);
    expect((await signIns(gw)).filter((r) => r.address === address).map((r) => r.outcome)).toEqual([
      'unknown_email',
      'unknown_email',
      'unknown_email',
      'rate_limited',
    ]);
    clock.advance(14 * MIN);
    expect((await from(address).signIn(u.email, u.password)).status).toBe(200);
  });

  it('counts an IPv6 address by its /64', async () => {
    const u = await newUser();
    for (let i = 1; i <= 3; i++) await from(`2001:db8:5:7::${i}`).signIn(`v6${i}@example.com`, 'guess');
    expect((await from('2001:db8:5:7::ff').signIn(u.email, u.password)).body.error).toBe('rate_limited');
    expect((await from('2001:db8:5:8::1').signIn(u.email, u.password)).status).toBe(200);
  });

  it('refuses a disabled user even with the right password, and ends its sessions', async () => {
    const u = await newUser();
    const before = from(freshAddress());
    expect((await before.signIn(u.email, u.password)).status).toBe(200);
    const user = await gw.services.users.findByEmail(u.email);
    await gw.services.db.kysely
      .updateTable('users')
      .set({ disabled: 1 })
      .where('id', '=', user!.id)
      .execute();
    const r = await from(freshAddress()).signIn(u.email, u.password);
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('disabled');
    expect((await before.get('/session')).status).toBe(401);
  });

  it('takes as long to refuse an unknown email as a wrong password (no user list by timing)', async () => {
    const u = await newUser();
    const time = async (email: string) => {
      const t = performance.now();
      await from(freshAddress()).signIn(email, 'wrong password');
      return performance.now() - t;
    };
    await time(u.email); // warm-up
    let known = 0;
    let unknown = 0;
    for (let i = 0; i < 3; i++) {
      known += await time(u.email);
      unknown += await time(`nobody${i}@example.com`);
    }
    // Without the decoy hash an unknown email answers in a few ms, a known one after ~50 ms of Argon2.
    expect(unknown).toBeGreaterThan(known * 0.4);
  });

  it('answers bad input with a clear error and no stack trace', async () => {
    const c = from(freshAddress());
    const missing = await c.post('/sign-in', { email: 'a@example.com' });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ error: 'invalid_input', message: 'The field "password" is required.' });
    const notJson = await c.call('POST', '/sign-in', '{"email":', {});
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toBe('bad_request');
    // A form on another site can post urlencoded bodies without asking: not accepted here.
    const form = await c.call('POST', '/sign-in', 'email=a%40example.com&password=x', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect(form.body.error).toBe('unsupported_media_type');
    const text = await c.call('POST', '/sign-in', '{"email":"a@example.com","password":"x"}', {
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    for (const r of [missing, notJson, form, text]) expect(JSON.stringify(r.body)).not.toMatch(/ at |\.ts:/);
    expect((await c.get('/session')).body).toEqual({
      error: 'unauthenticated',
      message: 'Sign in to continue.',
    });
  });
});
