import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseLocation } from '../../src/console/system-status.js';
import { json, SLOW, shouyin } from '../cli/shouyin.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ConsoleClient, OPERATOR, operatorClient, signedInClient } from './client.js';

const SHOP_PASSWORD = 'shop password 1';
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

describe(`console operator pages on ${TEST_DIALECT}`, () => {
  let gw: TestGateway;
  let op: ConsoleClient;
  let shop: ConsoleClient;
  let tea: number;
  let shopUserId: number;
  let opId: number;

  const db = () => gw.services.db.kysely;
  /** Everything an operator page can change, to show a refused call changed nothing. */
  const snapshot = async () => ({
    merchants: await db().selectFrom('merchants').selectAll().orderBy('id').execute(),
    users: await db().selectFrom('users').selectAll().orderBy('id').execute(),
    sessions: await db().selectFrom('sessions').select(['id', 'revoked_at']).orderBy('id').execute(),
    audit: await db().selectFrom('audit_log').selectAll().orderBy('id').execute(),
  });
  const audit = (action: string) =>
    db().selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id', 'desc').execute();
  const patch = (c: ConsoleClient, path: string, body: unknown, opts: { csrf?: string | null } = {}) =>
    c.call('PATCH', path, body, opts);
  const sessionIdOf = async (userId: number) =>
    (
      await db()
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow()
    ).id;

  beforeAll(async () => {
    gw = await startTestGateway();
    op = await operatorClient(gw);
    opId = (await op.get('/session')).body.user.id;
    const m = await gw.services.merchants.add({
      name: 'tea house',
      notifyUrl: 'https://tea.example.com/n',
      returnUrl: 'https://tea.example.com/r',
    });
    tea = m.id;
    shopUserId = (
      await gw.services.users.add({
        email: 'owner@tea.example.com',
        password: SHOP_PASSWORD,
        role: 'merchant',
        merchantId: tea,
      })
    ).id;
    shop = await signedInClient(gw, 'owner@tea.example.com', SHOP_PASSWORD);
  });
  afterAll(() => gw?.close());

  /** Every operator endpoint, with a body that would be accepted from an operator. */
  const endpoints = async (): Promise<Array<[string, string, unknown?]>> => {
    const sid = await sessionIdOf(shopUserId);
    return [
      ['GET', '/merchants'],
      [
        'POST',
        '/merchants',
        { name: 'sneaky', notify_url: 'https://x.example.com/n', return_url: 'https://x.example.com/r' },
      ],
      ['PATCH', `/merchants/${tea}`, { enabled: false }],
      ['GET', '/users'],
      ['POST', '/users', { email: 'sneaky@example.com', password: 'sneaky password', role: 'operator' }],
      ['POST', `/users/${opId}/disable`],
      ['POST', `/users/${opId}/enable`],
      ['POST', `/users/${opId}/password`, { password: 'taken over 123' }],
      ['GET', `/users/${opId}/sessions`],
      ['DELETE', `/users/${shopUserId}/sessions/${sid}`],
      ['POST', `/users/${opId}/sessions/revoke-all`],
      ['GET', '/audit'],
      ['GET', '/system'],
    ];
  };

  it('answers a merchant user on every operator endpoint as if it did not exist, and changes nothing', async () => {
    const missing = await shop.get('/no-such-endpoint');
    expect(missing.status).toBe(404);
    const before = await snapshot();
    for (const [method, path, body] of await endpoints()) {
      const r = await shop.call(method, path, body);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body, `${method} ${path}`).toEqual(missing.body);
    }
    expect(await snapshot()).toEqual(before);
    expect((await shop.get('/session')).status).toBe(200);
  });

  it('refuses every state-changing operator call without the CSRF token, changing nothing', async () => {
    const before = await snapshot();
    for (const [method, path, body] of await endpoints()) {
      if (method === 'GET') continue;
      const r = await op.call(method, path, body, { csrf: null });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error, `${method} ${path}`).toBe('csrf');
      const wrong = await op.call(method, path, body, { csrf: 'x'.repeat(43) });
      expect(wrong.status, `${method} ${path}`).toBe(403);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses anybody signed out', async () => {
    const anonymous = new ConsoleClient(gw.url);
    for (const [method, path, body] of await endpoints()) {
      expect((await anonymous.call(method, path, body)).status, `${method} ${path}`).toBe(401);
    }
  });

  describe('merchants', () => {
    it('creates a merchant through the merchant service, audited, without showing its secret', async () => {
      const r = await op.post('/merchants', {
        name: '  noodle bar ',
        notify_url: 'https://noodles.example.com/notify',
        return_url: 'https://noodles.example.com/return',
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        name: 'noodle bar',
        enabled: true,
        api_enabled: true,
        alipay_enabled: true,
        wechat_enabled: true,
        daily_quota: null,
        api_orders_today: 0,
        notify_url: 'https://noodles.example.com/notify',
      });
      expect(r.body.appkey).toMatch(/^[0-9a-f]{32}$/);
      expect(JSON.stringify(r.body)).not.toContain((await gw.services.merchants.get(r.body.id)).appsecret);
      const [entry] = await audit('merchant.add');
      expect(entry).toMatchObject({ actor: `console:${OPERATOR.email}`, subject: `merchant:${r.body.id}` });
    });

    it('refuses a bad merchant with the reason, creating nothing', async () => {
      const before = await snapshot();
      for (const body of [
        { name: 'x', notify_url: 'ftp://x.example.com', return_url: 'https://x.example.com/r' },
        { name: 'x', notify_url: 'https://user:pw@x.example.com/n', return_url: 'https://x.example.com/r' },
        { name: '   ', notify_url: 'https://x.example.com/n', return_url: 'https://x.example.com/r' },
        { name: 'x', notify_url: 'https://x.example.com/n' },
      ]) {
        const r = await op.post('/merchants', body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error).toBe('invalid_input');
        expect(r.body.message).not.toMatch(/at .*\.ts/);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('lists merchants newest first in keyset pages, with a name filter', async () => {
      for (const name of ['Alpha tea', 'beta TEA', 'gamma']) {
        await gw.services.merchants.add({
          name,
          notifyUrl: 'https://m.example.com/n',
          returnUrl: 'https://m.example.com/r',
        });
      }
      const first = await op.get('/merchants?limit=2');
      expect(first.status).toBe(200);
      expect(first.body.merchants.map((m: any) => m.name)).toEqual(['gamma', 'beta TEA']);
      const second = await op.get(`/merchants?limit=2&cursor=${first.body.next_cursor}`);
      expect(second.body.merchants.map((m: any) => m.name)).toEqual(['Alpha tea', 'noodle bar']);
      const last = await op.get(`/merchants?limit=2&cursor=${second.body.next_cursor}`);
      expect(last.body.merchants.map((m: any) => m.name)).toEqual(['tea house']);
      expect(last.body.next_cursor).toBeNull();
      const teas = await op.get(`/merchants?search=${encodeURIComponent('TEA')}`);
      expect(teas.body.merchants.map((m: any) => m.name)).toEqual(['beta TEA', 'Alpha tea', 'tea house']);
      expect((await op.get('/merchants?search=%25')).body.merchants).toEqual([]);
      expect((await op.get('/merchants?cursor=not-a-cursor!')).status).toBe(400);
    });

    it('switches a merchant off and on, sets its daily quota and payment types, audited', async () => {
      let r = await patch(op, `/merchants/${tea}`, {
        enabled: false,
        daily_quota: 100,
        wechat_enabled: false,
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        id: tea,
        enabled: false,
        daily_quota: 100,
        wechat_enabled: false,
        alipay_enabled: true,
      });
      const m = await gw.services.merchants.get(tea);
      expect(m).toMatchObject({ enabled: false, dailyQuota: 100, wechatEnabled: false });
      const [entry] = await audit('merchant.set');
      expect(entry?.subject).toBe(`merchant:${tea}`);
      expect(JSON.parse(entry?.detail as string)).toEqual({
        enabled: false,
        dailyQuota: 100,
        wechatEnabled: false,
      });
      r = await patch(op, `/merchants/${tea}`, { enabled: true, daily_quota: null, wechat_enabled: true });
      expect(r.body).toMatchObject({ enabled: true, daily_quota: null, wechat_enabled: true });
    });

    it('refuses bad changes and unknown merchants, changing nothing', async () => {
      const before = await snapshot();
      for (const [path, body, status] of [
        [`/merchants/${tea}`, {}, 400],
        [`/merchants/${tea}`, { daily_quota: -1 }, 400],
        [`/merchants/${tea}`, { daily_quota: 1.5 }, 400],
        [`/merchants/${tea}`, { name: '' }, 400],
        [`/merchants/${tea}`, { notify_url: 'https://evil.example.com' }, 400],
        ['/merchants/99999', { enabled: false }, 404],
        ['/merchants/abc', { enabled: false }, 400],
      ] as const) {
        const r = await patch(op, path, body);
        expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(status);
      }
      expect(await snapshot()).toEqual(before);
    });

    it(
      'lists merchants from the shell too (`shouyin merchant list`), without secrets',
      async () => {
        const out = json(await shouyin(['merchant', 'list', '--json'], gw.env));
        const list = (Array.isArray(out) ? out : (out as { result: unknown[] }).result) as Array<
          Record<string, unknown>
        >;
        expect(list.map((m) => m.name)).toEqual([
          'gamma',
          'beta TEA',
          'Alpha tea',
          'noodle bar',
          'tea house',
        ]);
        expect(list[4]).toMatchObject({
          id: tea,
          enabled: true,
          alipay: true,
          wechat: true,
          daily_quota: null,
        });
        expect(JSON.stringify(list)).not.toContain((await gw.services.merchants.get(tea)).appsecret);
      },
      SLOW,
    );
  });

  describe('users', () => {
    let helper: ConsoleClient;
    let helperId: number;

    it('adds an operator and a merchant user, audited, and lists them with their last sign-in', async () => {
      let r = await op.post('/users', {
        email: 'Helper@Example.com',
        password: 'helper password',
        role: 'operator',
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        email: 'helper@example.com',
        role: 'operator',
        merchant_id: null,
        disabled: false,
      });
      helperId = r.body.id;
      helper = await signedInClient(gw, 'helper@example.com', 'helper password');
      r = await op.post('/users', {
        email: 'clerk@tea.example.com',
        password: 'clerk password',
        role: 'merchant',
        merchant_id: tea,
      });
      expect(r.body).toMatchObject({ role: 'merchant', merchant_id: tea });
      const entries = await audit('user.add');
      expect(entries.map((e) => e.subject)).toEqual([`user:${r.body.id}`, `user:${helperId}`]);
      expect(entries.map((e) => e.detail).join()).not.toContain('password');

      const list = (await op.get('/users')).body.users;
      const byEmail = new Map(list.map((u: any) => [u.email, u]));
      expect(byEmail.get('helper@example.com')).toMatchObject({ live_sessions: 1 });
      expect((byEmail.get('helper@example.com') as any).last_sign_in_at).toBeGreaterThan(0);
      expect(byEmail.get('clerk@tea.example.com')).toMatchObject({ live_sessions: 0, last_sign_in_at: null });
      expect(byEmail.get(OPERATOR.email)).toMatchObject({ role: 'operator', live_sessions: 1 });
      expect(JSON.stringify(list)).not.toMatch(/argon2|password_hash|totp_secret/);
    });

    it('refuses a bad user with the reason, adding nothing', async () => {
      const before = await snapshot();
      for (const [body, status] of [
        [{ email: 'x@example.com', password: 'long enough 1', role: 'admin' }, 400],
        [{ email: 'x@example.com', password: 'long enough 1', role: 'merchant' }, 400],
        [{ email: 'x@example.com', password: 'long enough 1', role: 'operator', merchant_id: tea }, 400],
        [{ email: 'x@example.com', password: 'long enough 1', role: 'merchant', merchant_id: 99999 }, 404],
        [{ email: 'not an email', password: 'long enough 1', role: 'operator' }, 400],
        [{ email: 'x@example.com', password: 'short', role: 'operator' }, 400],
        [{ email: 'HELPER@example.com', password: 'long enough 1', role: 'operator' }, 409],
      ] as const) {
        const r = await op.post('/users', body);
        expect(r.status, JSON.stringify(body)).toBe(status);
        expect(JSON.stringify(r.body)).not.toContain('long enough 1');
      }
      expect(await snapshot()).toEqual(before);
    });

    it("lists a user's sessions and revokes one, then all", async () => {
      const second = await signedInClient(gw, 'helper@example.com', 'helper password');
      const list = (await op.get(`/users/${helperId}/sessions`)).body.sessions;
      expect(list).toHaveLength(2);
      expect(list.every((s: any) => s.current === false && s.ip === '127.0.0.1')).toBe(true);
      const secondId = list[0].id;
      expect((await op.delete(`/users/${helperId}/sessions/${secondId}`)).body).toEqual({ revoked: 1 });
      expect((await second.get('/session')).status).toBe(401);
      expect((await helper.get('/session')).status).toBe(200);
      // Gone already, or another user's: not found.
      expect((await op.delete(`/users/${helperId}/sessions/${secondId}`)).status).toBe(404);
      const opSession = await sessionIdOf(opId);
      expect((await op.delete(`/users/${helperId}/sessions/${opSession}`)).status).toBe(404);
      expect((await op.get('/session')).status).toBe(200);
      expect((await op.delete(`/users/${helperId}/sessions/nothex`)).status).toBe(400);
      expect((await op.get('/users/99999/sessions')).status).toBe(404);

      const third = await signedInClient(gw, 'helper@example.com', 'helper password');
      expect((await op.post(`/users/${helperId}/sessions/revoke-all`)).body).toEqual({ revoked: 2 });
      expect((await helper.get('/session')).status).toBe(401);
      expect((await third.get('/session')).status).toBe(401);
      const entries = await audit('user.sessions_revoke');
      expect(entries.map((e) => JSON.parse(e.detail))).toEqual([
        { email: 'helper@example.com', revoked: 2, all: true },
        { email: 'helper@example.com', revoked: 1 },
      ]);
      helper = await signedInClient(gw, 'helper@example.com', 'helper password');
    });

    it('sets a new password: the old one and every session stop working', async () => {
      const clerk = await signedInClient(gw, 'clerk@tea.example.com', 'clerk password');
      const clerkId = (await clerk.get('/session')).body.user.id;
      const r = await op.post(`/users/${clerkId}/password`, { password: 'a brand new one' });
      expect(r.status).toBe(200);
      expect(r.body.sessions_revoked).toBe(1);
      expect((await clerk.get('/session')).status).toBe(401);
      expect((await new ConsoleClient(gw.url).signIn('clerk@tea.example.com', 'clerk password')).status).toBe(
        401,
      );
      await signedInClient(gw, 'clerk@tea.example.com', 'a brand new one');
      const [entry] = await audit('user.password_reset');
      expect(entry?.detail).not.toContain('brand new');
      const before = await snapshot();
      const short = await op.post(`/users/${clerkId}/password`, { password: 'short' });
      expect(short.status).toBe(400);
      expect((await op.post('/users/99999/password', { password: 'long enough 2' })).status).toBe(404);
      expect(await snapshot()).toEqual(before);
    });

    it('disables a user (signed out at once, cannot sign in) and enables it again', async () => {
      const r = await op.post(`/users/${helperId}/disable`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ disabled: true, live_sessions: 0 });
      expect((await helper.get('/session')).status).toBe(401);
      const again = await new ConsoleClient(gw.url).signIn('helper@example.com', 'helper password');
      expect(again.status).toBe(403);
      expect(again.body.error).toBe('disabled');
      expect((await op.post(`/users/${helperId}/enable`)).body).toMatchObject({ disabled: false });
      // Enabled again, but its old sessions stay revoked.
      expect((await helper.get('/session')).status).toBe(401);
      helper = await signedInClient(gw, 'helper@example.com', 'helper password');
      expect((await audit('user.disable'))[0]?.subject).toBe(`user:${helperId}`);
      expect((await audit('user.enable'))[0]?.subject).toBe(`user:${helperId}`);
      expect((await op.post('/users/99999/disable')).status).toBe(404);
    });

    it('never lets an operator disable itself or the last enabled operator', async () => {
      const before = await snapshot();
      const self = await op.post(`/users/${opId}/disable`);
      expect(self.status).toBe(400);
      expect(self.body.message).toMatch(/yourself/);
      expect(await snapshot()).toEqual(before);
      // Through the service (the console cannot get there: its caller is an enabled operator).
      await expect(
        gw.services.userAdmin.setDisabled(opId, true, { actor: 'cli:root', userId: 0 }),
      ).resolves.toMatchObject({ disabled: true });
      await expect(
        gw.services.userAdmin.setDisabled(helperId, true, { actor: 'cli:root', userId: 0 }),
      ).rejects.toThrow(/last enabled operator/);
      await gw.services.userAdmin.setDisabled(opId, false, { actor: 'cli:root', userId: 0 });
      op = await signedInClient(gw, OPERATOR.email, OPERATOR.password);
    });

    it('lets only one of two operators disabling each other at the same moment succeed', async () => {
      const [x, y] = await Promise.all([
        op.post(`/users/${helperId}/disable`),
        helper.post(`/users/${opId}/disable`),
      ]);
      const statuses = [x.status, y.status].sort();
      // The second, after the first: its caller is disabled (401) or it would be the last (409).
      expect(statuses[0]).toBe(200);
      expect([401, 409]).toContain(statuses[1]);
      const enabled = await db()
        .selectFrom('users')
        .select('id')
        .where('role', '=', 'operator')
        .where('disabled', '=', 0)
        .execute();
      expect(enabled).toHaveLength(1);
      const winner = x.status === 200 ? op : helper;
      const loserId = x.status === 200 ? helperId : opId;
      expect((await winner.post(`/users/${loserId}/enable`)).status).toBe(200);
      if (x.status !== 200) op = await signedInClient(gw, OPERATOR.email, OPERATOR.password);
    });
  });

  describe('audit log', () => {
    it('filters by actor, action and subject, newest first, in keyset pages', async () => {
      const all = await op.get('/audit?limit=200');
      expect(all.status).toBe(200);
      expect(all.body.actions).toContain('merchant.add');
      const ids = all.body.entries.map((e: any) => e.id);
      expect(ids).toEqual([...ids].sort((p: number, q: number) => q - p));

      const byAction = await op.get('/audit?action=user.add');
      expect(byAction.body.entries.every((e: any) => e.action === 'user.add')).toBe(true);
      expect(byAction.body.entries.length).toBe(2);
      const bySubject = await op.get(`/audit?subject=merchant:${tea}`);
      expect(bySubject.body.entries.map((e: any) => e.action)).toEqual(['merchant.set', 'merchant.set']);
      expect(bySubject.body.entries[1].detail).toEqual({
        enabled: false,
        dailyQuota: 100,
        wechatEnabled: false,
      });
      const byActor = await op.get(`/audit?actor=${encodeURIComponent('cli:root')}`);
      expect(byActor.body.entries.map((e: any) => e.action)).toEqual(['user.enable', 'user.disable']);
      const both = await op.get(
        `/audit?actor=${encodeURIComponent(`console:${OPERATOR.email}`)}&action=merchant.add`,
      );
      expect(both.body.entries).toHaveLength(1);
      expect((await op.get('/audit?subject=order:424242')).body).toMatchObject({
        entries: [],
        next_cursor: null,
      });

      const pages: number[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await op.get(`/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.body.entries.length).toBeLessThanOrEqual(3);
        pages.push(...page.body.entries.map((e: any) => e.id));
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(pages).toEqual(ids);
    });

    it('refuses an unknown action or a forged cursor', async () => {
      const action = await op.get('/audit?action=order.delete');
      expect(action.status).toBe(400);
      expect(action.body.message).toMatch(/no audit action/);
      expect((await op.get('/audit?cursor=AAAA.BBB')).status).toBe(400);
      expect((await op.get('/audit?limit=0')).status).toBe(400);
    });
  });

  describe('system status', () => {
    it('shows the version, the database without credentials, the queues and the monitors', async () => {
      const account = await gw.services.accounts.add({
        merchantId: tea,
        type: 'alipay',
        name: 'till',
        qrContent: 'https://qr.alipay.com/x',
      });
      await gw.services.accounts.heartbeat([account.id]);
      const r = await op.get('/system');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        version: VERSION,
        node: process.version,
        database: { dialect: TEST_DIALECT, pending_migrations: [] },
        open_orders: 0,
        notifications: {
          queue: 0,
          due: 0,
          failed: 0,
          oldest_pending_created_at: null,
          oldest_pending_age_ms: null,
        },
        monitors: { online: 1, total: 1 },
        unmatched_payments: 0,
        merchants: 5,
      });
      if (TEST_DIALECT === 'sqlite') expect(r.body.database.location).toBe(gw.dbPath);
      else expect(r.body.database.location).toMatch(/^127\.0\.0\.1:5432\/shouyin_test_/);
      expect(JSON.stringify(r.body)).not.toMatch(/shouyin:shouyin|password/);
    });

    it('counts open orders and the oldest pending notification', async () => {
      await gw.services.merchants.set(tea, { allowOffline: true });
      const m = await gw.services.merchants.get(tea);
      const { order } = await gw.services.orders.create({
        merchant: m,
        kind: 'anypay',
        type: 'alipay',
        pricing: { by: 'amount', priceCents: 100 },
        outOrderId: 'sys-1',
        custom: '',
        fingerprint: 'sys-1',
      });
      await db()
        .insertInto('notifications')
        .values({
          order_id: order.id,
          merchant_id: tea,
          protocol: 'gatepay',
          method: 'POST',
          url: 'https://tea.example.com/n',
          body: '',
          content_type: 'application/x-www-form-urlencoded',
          success_rule: 'trimmed-success',
          webhook_id: 'msg_sys',
          state: 'pending',
          next_attempt_at: Date.now() + 3600_000,
          created_at: Date.now() - 90_000,
        })
        .execute();
      const r = await op.get('/system');
      expect(r.body.open_orders).toBe(1);
      expect(r.body.notifications).toMatchObject({ queue: 1, due: 0 });
      expect(r.body.notifications.oldest_pending_age_ms).toBeGreaterThanOrEqual(90_000);
    });

    it('never shows database credentials', () => {
      expect(
        databaseLocation('postgres://admin:s3cret@db.internal:6543/pay?sslmode=require&password=other'),
      ).toEqual({
        dialect: 'postgres',
        location: 'db.internal:6543/pay',
      });
      expect(databaseLocation('postgresql://u:p@/shop?host=/var/run/postgresql').location).toBe(
        '/var/run/postgresql:5432/shop',
      );
      expect(databaseLocation('sqlite:data/x.db').location).toMatch(/\/data\/x\.db$/);
    });
  });
});
