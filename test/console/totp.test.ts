import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode, totpStep } from '../../src/users/totp.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import { ConsoleClient, OPERATOR, operatorClient, signIns } from './client.js';

/** RFC 6238 appendix B: the SHA-1 secret "12345678901234567890", in base32. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const STEP = 30_000;

describe('TOTP codes', () => {
  it('match the RFC 6238 test vectors (last 6 digits)', () => {
    expect(totpCode(RFC_SECRET, 59_000)).toBe('287082');
    expect(totpCode(RFC_SECRET, 1_111_111_109_000)).toBe('081804');
    expect(totpCode(RFC_SECRET, 1_234_567_890_000)).toBe('005924');
  });

  it('accept the previous, current and next 30-second step and nothing further', () => {
    const now = 1_234_567_890_000;
    const step = Math.floor(now / STEP);
    expect(totpStep(RFC_SECRET, totpCode(RFC_SECRET, now), now)).toBe(step);
    expect(totpStep(RFC_SECRET, totpCode(RFC_SECRET, now - STEP), now)).toBe(step - 1);
    expect(totpStep(RFC_SECRET, totpCode(RFC_SECRET, now + STEP), now)).toBe(step + 1);
    expect(totpStep(RFC_SECRET, totpCode(RFC_SECRET, now - 2 * STEP), now)).toBeNull();
    expect(totpStep(RFC_SECRET, totpCode(RFC_SECRET, now + 2 * STEP), now)).toBeNull();
    expect(totpStep(RFC_SECRET, '12345', now)).toBeNull();
    expect(totpStep(RFC_SECRET, 'abcdef', now)).toBeNull();
  });
});

describe(`console two-factor sign-in on ${TEST_DIALECT}`, () => {
  // Mid-step, so "now ± 30 s" stays in the neighbouring steps.
  const clock = new TestClock(Math.floor(Date.now() / STEP) * STEP + 15_000);
  let gw: TestGateway;
  let op: ConsoleClient;
  let secret: string;
  const code = (offsetMs = 0) => totpCode(secret, clock.nowMs + offsetMs);
  const signIn = (totp?: string) => new ConsoleClient(gw.url).signIn(OPERATOR.email, OPERATOR.password, totp);

  beforeAll(async () => {
    gw = await startTestGateway({ clock });
    op = await operatorClient(gw);
  });
  afterAll(() => gw?.close());

  it('turns two-factor on only after a code from the new secret is confirmed', async () => {
    const setup = await op.post('/totp/setup');
    expect(setup.status).toBe(200);
    secret = setup.body.secret;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.body.otpauth_uri).toMatch(
      /^otpauth:\/\/totp\/Shouyin:boss%40example\.com\?issuer=Shouyin&secret=[A-Z2-7]{32}&algorithm=SHA1&digits=6&period=30$/,
    );
    expect(setup.body.qr_svg).toMatch(/^<svg /);
    // Not yet on: signing in needs no code.
    expect((await signIn()).status).toBe(200);

    const wrong = await op.post('/totp/enable', { code: code() === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_input');
    expect((await op.get('/session')).body.user.totp_enabled).toBe(false);

    const on = await op.post('/totp/enable', { code: code(-STEP) });
    expect(on.status).toBe(200);
    expect(on.body.user.totp_enabled).toBe(true);
    expect((await op.post('/totp/setup')).status).toBe(409);
  });

  it('requires the code at sign-in, accepts the current and the next one, each once', async () => {
    const none = await signIn();
    expect(none.status).toBe(401);
    expect(none.body).toEqual({
      error: 'totp_required',
      message: 'Enter the 6-digit code from your authenticator app.',
    });
    const wrong = await signIn(code(2 * STEP));
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('totp_required');
    expect(wrong.body.message).toMatch(/wrong or was already used/);

    const c = new ConsoleClient(gw.url);
    const ok = await c.signIn(OPERATOR.email, OPERATOR.password, code().replace(/^(\d{3})/, '$1 '));
    expect(ok.status).toBe(200);
    expect(ok.body.user.totp_enabled).toBe(true);
    expect((await c.get('/session')).status).toBe(200);

    // The same code again, and a code older than the last accepted one: refused.
    expect((await signIn(code())).body.error).toBe('totp_required');
    expect((await signIn(code(-STEP))).body.error).toBe('totp_required');
    expect((await signIn(code(STEP))).status).toBe(200);

    const outcomes = (await signIns(gw)).slice(-6).map((r) => r.outcome);
    expect(outcomes).toEqual(['totp_required', 'bad_totp', 'ok', 'bad_totp', 'bad_totp', 'ok']);
  });

  it('counts wrong codes towards the lock, and a right password without a code does not reset them', async () => {
    clock.advance(10 * STEP);
    for (let i = 0; i < 4; i++) expect((await signIn('000001')).body.error).toBe('totp_required');
    expect((await signIn()).body.error).toBe('totp_required');
    const fifth = await signIn('000002');
    expect(fifth.status).toBe(429);
    expect(fifth.body.error).toBe('locked');
    expect((await signIn(code())).body.error).toBe('locked');
    clock.advance(15 * 60_000);
  });

  it('turns two-factor off only with the right password', async () => {
    const wrong = await op.post('/totp/disable', { password: 'not it' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error).toBe('bad_password');
    expect((await signIn()).body.error).toBe('totp_required');
    const off = await op.post('/totp/disable', { password: OPERATOR.password });
    expect(off.status).toBe(200);
    expect(off.body.user.totp_enabled).toBe(false);
    expect((await signIn()).status).toBe(200);
  });
});
