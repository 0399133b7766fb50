import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createScratchPostgres, type ScratchDatabase, TEST_DIALECT } from '../helpers/database.js';
import { call, createParams, findOrderParams, md5 } from '../helpers/gatepay.js';
import { startTestGateway, TestClock, type TestGateway } from '../helpers/gateway.js';
import { shouyin } from '../cli/shouyin.js';
import { paidOrder } from '../notify/fixtures.js';
import { Receiver } from '../notify/receiver.js';
import { ConsoleClient, operatorClient, signedInClient } from './client.js';

const PASSWORD = 'shop password 1';
/** A public address as an IP literal: URL warnings need no DNS for it. */
const PUBLIC_IP = '93.184.216.34';
const put = (c: ConsoleClient, path: string, body: unknown, opts?: { csrf?: string | null }) =>
  c.call('PUT', path, body, opts);

/** A merchant with a signed-in merchant user; URLs point at `notifyUrl`. */
async function shop(gw: TestGateway, name: string, notifyUrl: string) {
  const m = await gw.services.merchants.add({ name, notifyUrl, returnUrl: `https://${PUBLIC_IP}/${name}/r` });
  const email = `${name}@shops.example.com`;
  await gw.services.users.add({ email, password: PASSWORD, role: 'merchant', merchantId: m.id });
  return { merchant: m, client: await signedInClient(gw, email, PASSWORD) };
}

const merchantRow = (gw: TestGateway, id: number) =>
  gw.services.db.kysely.selectFrom('merchants').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

const notificationCount = async (gw: TestGateway) =>
  Number(
    (
      await gw.services.db.kysely
        .selectFrom('notifications')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe(`console settings on ${TEST_DIALECT}`, () => {
  let gw: TestGateway;
  let receiver: Receiver;
  let clock: TestClock;
  let op: ConsoleClient;
  let a: Awaited<ReturnType<typeof shop>>;
  let b: Awaited<ReturnType<typeof shop>>;

  beforeAll(async () => {
    receiver = await Receiver.start();
    clock = new TestClock();
    gw = await startTestGateway({ clock });
    op = await operatorClient(gw);
    a = await shop(gw, 'tea', receiver.url);
    b = await shop(gw, 'noodles', receiver.url);
    receiver.trust(a.merchant).trust(b.merchant);
  });
  afterAll(async () => {
    await gw?.close();
    await receiver?.close();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
    receiver.answer('success');
  });

  const validSettings = (over: Record<string, unknown> = {}) => ({
    notify_url: receiver.url,
    return_url: `https://${PUBLIC_IP}/thanks`,
    timeout_url: null,
    ...over,
  });

  it('shows the settings with the appkey and the quick collection link, never the appsecret', async () => {
    const r = await a.client.get('/settings');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      merchant_id: a.merchant.id,
      appkey: a.merchant.appkey,
      notify_url: receiver.url,
      order_ttl: a.merchant.orderTtl,
      max_offset: '0.99',
      notify_method: 'POST',
      pay_token: a.merchant.payToken,
      previous_secret_until: null,
      warnings: [],
    });
    expect(r.body.pay_link).toBe(
      `${gw.config.publicUrl}/pay/any?appkey=${a.merchant.appkey}&token=${a.merchant.payToken}`,
    );
    expect(JSON.stringify(r.body)).not.toContain(a.merchant.appsecret);
  });

  it('saves the URLs and settings through the same rules as the CLI', async () => {
    const r = await put(
      a.client,
      '/settings',
      validSettings({
        timeout_url: `https://${PUBLIC_IP}/late`,
        order_ttl: 600,
        offset_direction: 'up',
        max_offset: '0.5',
        rotation: 'even',
        notify_method: 'GET',
        wechat_enabled: false,
      }),
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      return_url: `https://${PUBLIC_IP}/thanks`,
      timeout_url: `https://${PUBLIC_IP}/late`,
      order_ttl: 600,
      offset_direction: 'up',
      max_offset: '0.50',
      rotation: 'even',
      notify_method: 'GET',
      wechat_enabled: false,
    });
    const row = await merchantRow(gw, a.merchant.id);
    expect(row).toMatchObject({
      timeout_url: `https://${PUBLIC_IP}/late`,
      max_offset_cents: 50,
      wechat_enabled: 0,
    });
    // An empty timeout URL clears it (it is optional).
    const cleared = await put(
      a.client,
      '/settings',
      validSettings({ timeout_url: '', notify_method: 'POST' }),
    );
    expect(cleared.body.timeout_url).toBeNull();
    await put(a.client, '/settings', validSettings({ wechat_enabled: true, offset_direction: 'down' }));
  });

  it.each([
    ['an empty async notify URL', { notify_url: '' }, /notify-url must be an http\(s\) URL/],
    ['an empty sync return URL', { return_url: '' }, /return-url must be an http\(s\) URL/],
    ['a notify URL that is not http(s)', { notify_url: 'ftp://tea.example.com/n' }, /notify-url/],
    ['credentials in a URL', { return_url: 'https://u:p@tea.example.com/r' }, /user name or password/],
    ['a timeout URL that is no URL', { timeout_url: 'later' }, /timeout-url/],
    ['an order lifetime under a minute', { order_ttl: 10 }, /order-ttl must be 60–3600/],
    ['a range above 0.99', { max_offset: '1.00' }, /max-offset/],
    ['an unknown rotation strategy', { rotation: 'roundrobin' }, /rotation/],
    ['an unknown notify method', { notify_method: 'PUT' }, /notify-method/],
  ])('refuses %s with invalid_input and changes nothing', async (_what, over, message) => {
    const before = await merchantRow(gw, a.merchant.id);
    const r = await put(a.client, '/settings', validSettings({ notify_url: before.notify_url, ...over }));
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_input');
    expect(r.body.message).toMatch(message);
    expect(await merchantRow(gw, a.merchant.id)).toEqual(before);
  });

  it('refuses a body without the required URLs or with unknown fields', async () => {
    const before = await merchantRow(gw, a.merchant.id);
    expect((await put(a.client, '/settings', { return_url: 'https://x.example.com/' })).status).toBe(400);
    expect(await merchantRow(gw, a.merchant.id)).toEqual(before);
    // Fields the page does not own are dropped by the schema, never saved.
    const extra = await put(a.client, '/settings', { ...validSettings(), appsecret: 'mine', daily_quota: 1 });
    expect(extra.status).toBe(200);
    const after = await merchantRow(gw, a.merchant.id);
    expect(after.appsecret).toBe(before.appsecret);
    expect(after.daily_quota).toBe(before.daily_quota);
  });

  it('sends a signed test notification to the notify URL and reports the answer, storing nothing', async () => {
    const before = await notificationCount(gw);
    const r = await a.client.post('/settings/test-notification');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      method: 'POST',
      url: receiver.url,
      status: 200,
      answer: 'success',
      success: true,
    });
    expect(r.body.error).toBeNull();
    expect(r.body.duration_ms).toBeGreaterThanOrEqual(0);
    expect(receiver.requests).toHaveLength(1);
    const got = receiver.requests[0]!;
    // Verified by the receiver's own code (test/notify/receiver.ts), not by src/.
    expect(got.signValid).toBe(true);
    expect(got.webhookValid).toBe(true);
    expect(got.params).toMatchObject({ order_id: '0', price: '0.01', realprice: '0.01', test: '1' });
    expect(got.params.out_order_id).toMatch(/^TEST-[0-9A-F]{12}$/);
    expect(got.params.extend).toMatch(/test notification/i);
    expect(got.headers['x-shouyin-test']).toBe('1');
    expect(r.body.params).toEqual(got.params);
    expect(await notificationCount(gw)).toBe(before);
  });

  it('reports an answer that does not count as success, with the first 2 KiB of it', async () => {
    receiver.next('fail');
    const failed = await a.client.post('/settings/test-notification');
    expect(failed.body).toMatchObject({ status: 200, answer: 'fail', success: false });
    expect(failed.body.error).toMatch(/not "success"/);
    receiver.next('http-500');
    const error = await a.client.post('/settings/test-notification');
    expect(error.body).toMatchObject({ status: 500, success: false, error: 'HTTP 500' });
    receiver.next({ status: 200, bytes: new TextEncoder().encode('x'.repeat(5000)) });
    const long = await a.client.post('/settings/test-notification');
    expect(long.body.answer).toHaveLength(2048);
  });

  it('sends the test notification as GET when the merchant chose GET', async () => {
    await gw.services.merchants.set(b.merchant.id, { notifyMethod: 'GET' });
    const r = await b.client.post('/settings/test-notification');
    expect(r.body).toMatchObject({ method: 'GET', success: true });
    const got = receiver.requests[0]!;
    expect(got.method).toBe('GET');
    expect(got.signValid).toBe(true);
    expect(got.params.test).toBe('1');
    await gw.services.merchants.set(b.merchant.id, { notifyMethod: 'POST' });
  });

  it('limits test notifications to 10 a minute per merchant', async () => {
    const { merchant, client } = await shop(gw, 'limits', receiver.url);
    receiver.trust(merchant);
    for (let i = 0; i < 10; i++) expect((await client.post('/settings/test-notification')).status).toBe(200);
    const refused = await client.post('/settings/test-notification');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(receiver.requests).toHaveLength(10);
    // Another merchant is not held back.
    expect((await a.client.post('/settings/test-notification')).status).toBe(200);
    clock.advance(61_000);
    expect((await client.post('/settings/test-notification')).status).toBe(200);
  });

  it('has no signature help before the first notification', async () => {
    const { client } = await shop(gw, 'quiet', receiver.url);
    expect((await client.get('/settings/signature')).body).toEqual({ notification: null });
    const check = await client.post('/settings/signature/check', { sign: 'abc' });
    expect(check.body).toEqual({ notification: null, comparison: null });
  });

  it('shows the exact string hashed for the last notification and the sign the shop received', async () => {
    await gw.services.accounts.add({
      merchantId: a.merchant.id,
      type: 'alipay',
      name: 'tea alipay',
      qrContent: 'https://qr.alipay.com/tea',
    });
    const order = await paidOrder(gw.services, a.merchant, 1234);
    await receiver.until(() => receiver.forOrder(order.id).length > 0, 10_000, 'the notification');
    const got = receiver.forOrder(order.id)[0]!;
    expect(got.signValid).toBe(true);

    const r = await a.client.get('/settings/signature');
    expect(r.status).toBe(200);
    const n = r.body.notification;
    const p = got.params;
    const expectedString = `${a.merchant.appkey}${p.order_id}${p.out_order_id}${p.price}${p.realprice}${p.type}${p.paytime}${p.extend}`;
    expect(n).toMatchObject({
      order_id: order.id,
      out_order_id: order.outOrderId,
      hashed_string: expectedString,
      inner_md5: md5(expectedString),
      sent_sign: p.sign,
      expected_sign: p.sign,
      signed_with: 'current',
    });
    expect(md5(md5(expectedString) + a.merchant.appsecret)).toBe(p.sign);
    expect(n.fields.map((f: { name: string }) => f.name)).toEqual([
      'appkey',
      'order_id',
      'out_order_id',
      'price',
      'realprice',
      'type',
      'paytime',
      'extend',
    ]);

    const ok = await a.client.post('/settings/signature/check', { sign: p.sign, string: expectedString });
    expect(ok.body.comparison).toEqual({
      sign_matches: true,
      string_matches: true,
      first_difference: null,
      hint: null,
    });

    const once = await a.client.post('/settings/signature/check', { sign: md5(expectedString) });
    expect(once.body.comparison).toMatchObject({
      sign_matches: false,
      hint: 'inner_md5_only',
      string_matches: null,
    });
    const upper = await a.client.post('/settings/signature/check', { sign: p.sign!.toUpperCase() });
    expect(upper.body.comparison).toMatchObject({ sign_matches: false, hint: 'uppercase' });
    const noAppkey = expectedString.slice(a.merchant.appkey.length);
    const missing = await a.client.post('/settings/signature/check', {
      sign: md5(md5(noAppkey) + a.merchant.appsecret),
      string: noAppkey,
    });
    // The first character where the shop's string (no appkey) parts from the real one.
    const parts = [...noAppkey].findIndex((ch, i) => ch !== expectedString[i]);
    expect(missing.body.comparison).toMatchObject({
      hint: 'missing_appkey',
      string_matches: false,
      first_difference: parts,
    });
    const priceAsInt = expectedString.replace('12.34', '12.3');
    const wrong = await a.client.post('/settings/signature/check', {
      sign: 'f'.repeat(32),
      string: priceAsInt,
    });
    expect(wrong.body.comparison).toMatchObject({
      hint: 'unknown',
      first_difference: expectedString.indexOf('12.34') + 4,
    });
  });

  it('reveals the appsecret only after a fresh re-authentication', async () => {
    const refused = await a.client.post('/settings/secret/reveal');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('reauth_required');
    expect(JSON.stringify(refused.body)).not.toContain(a.merchant.appsecret);
    expect((await a.client.post('/reauth', { password: 'wrong password' })).status).not.toBe(200);
    expect((await a.client.post('/settings/secret/reveal')).status).toBe(403);

    expect((await a.client.post('/reauth', { password: PASSWORD })).status).toBe(200);
    const shown = await a.client.post('/settings/secret/reveal');
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({ appsecret: a.merchant.appsecret, previous_secret_until: null });
    // The re-authentication lasts 5 minutes on that session only.
    clock.advance(5 * 60_000 + 1);
    expect((await a.client.post('/settings/secret/reveal')).status).toBe(403);
  });

  it('rotates the secret with a grace period in which both secrets verify API requests', async () => {
    const old = { appkey: a.merchant.appkey, appsecret: a.merchant.appsecret };
    const noReauth = await a.client.post('/settings/secret/rotate', { grace_hours: 2 });
    expect(noReauth.status).toBe(403);
    expect((await merchantRow(gw, a.merchant.id)).appsecret).toBe(old.appsecret);

    await a.client.post('/reauth', { password: PASSWORD });
    for (const grace_hours of [0, 169]) {
      const bad = await a.client.post('/settings/secret/rotate', { grace_hours });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe('invalid_input');
    }
    expect((await merchantRow(gw, a.merchant.id)).appsecret).toBe(old.appsecret);

    const r = await a.client.post('/settings/secret/rotate', { grace_hours: 2 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const fresh = { appkey: old.appkey, appsecret: r.body.appsecret as string };
    expect(fresh.appsecret).toMatch(/^[0-9a-f]{64}$/);
    expect(fresh.appsecret).not.toBe(old.appsecret);
    expect(r.body.previous_secret_until).toBe(clock.nowMs + 2 * 3600_000);
    expect((await a.client.get('/settings')).body.previous_secret_until).toBe(r.body.previous_secret_until);

    const find = async (creds: typeof old, outOrderId: string) =>
      (await call(gw.url, '/api/find/findOrder', findOrderParams(creds, outOrderId))).body!.code;
    const create = async (creds: typeof old, out: string) =>
      (
        await call(
          gw.url,
          '/api/anypay/create',
          createParams(creds, { price: '3.00', type: 'alipay', out_order_id: out, custom: '' }),
        )
      ).body!.code;
    // 201 "order not found" means the signature was accepted.
    expect(await find(old, 'nope')).toBe(201);
    expect(await find(fresh, 'nope')).toBe(201);
    expect(await create(old, 'rot-old-1')).toBe(100);
    expect(await create(fresh, 'rot-new-1')).toBe(100);

    // A notification sent now carries the new sign.
    receiver.trust(fresh);
    const order = await paidOrder(gw.services, await gw.services.merchants.get(a.merchant.id), 777);
    await receiver.until(() => receiver.forOrder(order.id).length > 0, 10_000, 'the notification');
    const got = receiver.forOrder(order.id)[0]!;
    expect(got.signValid).toBe(true);
    // The test clock is ahead of the receiver's, so the Standard Webhooks MAC is checked here.
    const ts = got.headers['webhook-timestamp'] as string;
    const mac = createHmac('sha256', fresh.appsecret).update(
      `${got.headers['webhook-id']}.${ts}.${got.rawBody}`,
    );
    expect(got.headers['webhook-signature']).toBe(`v1,${mac.digest('base64')}`);
    const p = got.params;
    const fields = [p.order_id, p.out_order_id, p.price, p.realprice, p.type, p.paytime, p.extend].join('');
    expect(p.sign).toBe(md5(md5(old.appkey + fields) + fresh.appsecret));
    expect(p.sign).not.toBe(md5(md5(old.appkey + fields) + old.appsecret));

    // Past the grace period the old secret is refused (104), the new one still works.
    clock.advance(2 * 3600_000 + 1000);
    expect(await find(old, 'nope')).toBe(104);
    expect(await create(old, 'rot-old-2')).toBe(104);
    expect(await find(fresh, 'nope')).toBe(201);
    expect((await a.client.get('/settings')).body.previous_secret_until).toBeNull();
    a.merchant = await gw.services.merchants.get(a.merchant.id);
  });

  it('runs rotations at once one after the other: the secret replaced last stays valid', async () => {
    const { merchant } = await shop(gw, 'race', receiver.url);
    const rotations = await Promise.all(
      [1, 2, 3].map(() => gw.services.merchants.rotateSecret(merchant.id, 3600_000)),
    );
    const row = await merchantRow(gw, merchant.id);
    const made = rotations.map((m) => m.appsecret);
    expect(new Set(made).size).toBe(3);
    expect(made).toContain(row.appsecret);
    // The previous secret is the one made just before the current one, never the original:
    // a rotation that read a stale secret would have dropped the one a shop just deployed.
    expect(made).toContain(row.previous_appsecret);
    expect(row.previous_appsecret).not.toBe(merchant.appsecret);
  });

  it('rotates from the CLI with --grace, through the same service', async () => {
    const { merchant } = await shop(gw, 'cli', receiver.url);
    const bad = await shouyin(['merchant', 'rotate-secret', String(merchant.id), '--grace', '30m'], gw.env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/between 1 hour and 7 days/);
    expect((await merchantRow(gw, merchant.id)).appsecret).toBe(merchant.appsecret);

    const before = Date.now();
    const r = await shouyin(
      ['merchant', 'rotate-secret', String(merchant.id), '--grace', '3h', '--json'],
      gw.env,
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const row = await merchantRow(gw, merchant.id);
    expect(out.appsecret).toBe(row.appsecret);
    expect(row.previous_appsecret).toBe(merchant.appsecret);
    // The CLI runs on the system clock.
    expect(Number(row.previous_secret_until)).toBeGreaterThanOrEqual(before + 3 * 3600_000);
    expect(Number(row.previous_secret_until)).toBeLessThan(Date.now() + 3 * 3600_000 + 1);
  });

  it('regenerates the quick collection token: the old link stops working', async () => {
    const before = (await b.client.get('/settings')).body;
    const r = await b.client.post('/settings/pay-token');
    expect(r.status).toBe(200);
    expect(r.body.pay_token).not.toBe(before.pay_token);
    expect(r.body.pay_link).toContain(`token=${r.body.pay_token}`);
    expect((await fetch(before.pay_link)).status).toBe(403);
    expect((await fetch(r.body.pay_link)).status).toBe(200);
  });

  it("answers 404 to a merchant user asking for another merchant's settings, and changes nothing", async () => {
    const other = `?merchant_id=${b.merchant.id}`;
    const before = await merchantRow(gw, b.merchant.id);
    await a.client.post('/reauth', { password: PASSWORD });
    const sent = receiver.requests.length;
    const answers = [
      await a.client.get(`/settings${other}`),
      await put(a.client, `/settings${other}`, validSettings({ notify_url: 'https://evil.example.com/' })),
      await a.client.post(`/settings/test-notification${other}`),
      await a.client.get(`/settings/signature${other}`),
      await a.client.post(`/settings/signature/check${other}`, { sign: 'x' }),
      await a.client.post(`/settings/secret/reveal${other}`),
      await a.client.post(`/settings/secret/rotate${other}`, { grace_hours: 1 }),
      await a.client.post(`/settings/pay-token${other}`),
      await a.client.get(`/checklist${other}`),
    ];
    for (const r of answers) {
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ error: 'not_found', message: 'Not found.' });
    }
    expect(await merchantRow(gw, b.merchant.id)).toEqual(before);
    expect(receiver.requests.length).toBe(sent);
    // The operator may act on any merchant it names, and must name one.
    expect((await op.get(`/settings${other}`)).body.merchant_id).toBe(b.merchant.id);
    expect((await op.get('/settings')).status).toBe(400);
    expect((await new ConsoleClient(gw.url).get('/settings')).status).toBe(401);
  });

  it('refuses every state-changing settings call without the CSRF token, changing nothing', async () => {
    await a.client.post('/reauth', { password: PASSWORD });
    const before = await merchantRow(gw, a.merchant.id);
    const sent = receiver.requests.length;
    const noCsrf = { csrf: null };
    const answers = [
      await put(a.client, '/settings', validSettings({ notify_url: 'https://evil.example.com/' }), noCsrf),
      await a.client.post('/settings/test-notification', undefined, noCsrf),
      await a.client.post('/settings/signature/check', { sign: 'x' }, noCsrf),
      await a.client.post('/settings/secret/reveal', undefined, noCsrf),
      await a.client.post('/settings/secret/rotate', { grace_hours: 1 }, noCsrf),
      await a.client.post('/settings/pay-token', undefined, noCsrf),
      await a.client.post('/settings/pay-token', undefined, { csrf: 'forged' }),
    ];
    for (const r of answers) {
      expect(r.status).toBe(403);
      expect(r.body.error).toBe('csrf');
      expect(JSON.stringify(r.body)).not.toContain(before.appsecret);
    }
    expect(await merchantRow(gw, a.merchant.id)).toEqual(before);
    expect(receiver.requests.length).toBe(sent);
  });
});

describe(`setup checklist on ${TEST_DIALECT}`, () => {
  let gw: TestGateway;
  let clock: TestClock;

  beforeAll(async () => {
    clock = new TestClock();
    gw = await startTestGateway({ clock });
  });
  afterAll(() => gw?.close());

  it('ticks callback URLs, an account, an online monitor and a paid order, in that order', async () => {
    const { merchant, client } = await shop(gw, 'steps', 'https://steps.example.com/n');
    const steps = async () => {
      const r = await client.get('/checklist');
      expect(r.status).toBe(200);
      return Object.fromEntries(
        (r.body.steps as Array<{ key: string; done: boolean }>).map((s) => [s.key, s.done]),
      );
    };
    const first = await client.get('/checklist');
    expect(first.body.steps.map((s: { key: string; link: string }) => [s.key, s.link])).toEqual([
      ['callbacks', '/settings'],
      ['account', '/accounts'],
      ['monitor', '/accounts'],
      ['test_payment', '/test-payment'],
    ]);
    expect(first.body).toMatchObject({ done: false, last_heartbeat_at: null });
    expect(await steps()).toEqual({ callbacks: true, account: false, monitor: false, test_payment: false });

    await gw.services.db.kysely
      .updateTable('merchants')
      .set({ notify_url: '' })
      .where('id', '=', merchant.id)
      .execute();
    expect((await steps()).callbacks).toBe(false);
    await gw.services.merchants.set(merchant.id, { notifyUrl: 'https://steps.example.com/n' });

    const account = await gw.services.accounts.add({
      merchantId: merchant.id,
      type: 'alipay',
      name: 'steps alipay',
      qrContent: 'https://qr.alipay.com/steps',
    });
    expect(await steps()).toEqual({ callbacks: true, account: true, monitor: false, test_payment: false });

    await gw.services.accounts.heartbeat([account.id], clock.nowMs);
    expect((await steps()).monitor).toBe(true);
    clock.advance((gw.config.monitorOfflineAfter + 1) * 1000);
    expect((await steps()).monitor).toBe(false);
    expect((await client.get('/checklist')).body.last_heartbeat_at).toBe(
      clock.nowMs - (gw.config.monitorOfflineAfter + 1) * 1000,
    );
    await gw.services.accounts.heartbeat([account.id], clock.nowMs);

    await paidOrder(gw.services, merchant, 100);
    const done = await client.get('/checklist');
    expect(done.body.done).toBe(true);
    expect(await steps()).toEqual({ callbacks: true, account: true, monitor: true, test_payment: true });
  });
});

describe(`settings warnings when private callbacks are refused, on ${TEST_DIALECT}`, () => {
  let gw: TestGateway;
  let receiver: Receiver;
  let a: Awaited<ReturnType<typeof shop>>;

  beforeAll(async () => {
    receiver = await Receiver.start();
    gw = await startTestGateway({ env: { ALLOW_PRIVATE_CALLBACKS: '0' } });
    a = await shop(gw, 'lan', 'https://93.184.216.34/n');
  });
  afterAll(async () => {
    await gw?.close();
    await receiver?.close();
  });

  it('saves a loopback notify URL with a warning that notifications to it will be refused', async () => {
    const r = await put(a.client, '/settings', {
      notify_url: receiver.url,
      return_url: 'http://192.168.1.20/thanks',
      timeout_url: 'http://localhost:8080/late',
    });
    expect(r.status).toBe(200);
    expect((await merchantRow(gw, a.merchant.id)).notify_url).toBe(receiver.url);
    const byField = Object.fromEntries(
      (r.body.warnings as Array<{ field: string; message: string }>).map((w) => [w.field, w]),
    );
    expect(byField.notify_url).toMatchObject({
      code: 'refused_address',
      host: '127.0.0.1',
      address: '127.0.0.1',
      category: 'loopback',
    });
    expect(byField.notify_url?.message).toMatch(/refuses to send notifications/);
    expect(byField.return_url).toMatchObject({ code: 'private_address', category: 'private' });
    // A name is resolved first, then classified.
    expect(byField.timeout_url).toMatchObject({
      code: 'private_address',
      host: 'localhost',
      category: 'loopback',
    });
    expect((await a.client.get('/settings')).body.warnings).toHaveLength(3);
  });

  it('sends the test notification through the SSRF guard, which refuses the loopback URL', async () => {
    const r = await a.client.post('/settings/test-notification');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: null, success: false, answer: '' });
    expect(r.body.error).toMatch(/refused: 127\.0\.0\.1 is a loopback address/);
    expect(receiver.requests).toHaveLength(0);
  });

  it('warns about a host that does not resolve, and not about a public address', async () => {
    const r = await put(a.client, '/settings', {
      notify_url: 'https://no-such-host.invalid/n',
      return_url: 'https://93.184.216.34/r',
      timeout_url: null,
    });
    expect(r.status).toBe(200);
    expect(r.body.warnings).toEqual([
      expect.objectContaining({ field: 'notify_url', code: 'unresolvable', host: 'no-such-host.invalid' }),
    ]);
  });
});

/**
 * An exact interleaving on PostgreSQL, whichever database the rest runs on: another connection
 * holds the merchant row and rotates its secret; a rotation that starts meanwhile must wait for
 * it and keep the secret it made as "previous", not the one it would have read before the lock.
 */
describe('secret rotation under a concurrent rotation on PostgreSQL', () => {
  let scratch: ScratchDatabase;
  let gw: TestGateway;

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    gw = await startTestGateway({ env: { DATABASE_URL: scratch.url } });
  });
  afterAll(async () => {
    await gw?.close();
    await scratch?.drop();
  });

  it('waits for the row lock and keeps the secret the other rotation made', async () => {
    const m = await gw.services.merchants.add({
      name: 'locks',
      notifyUrl: 'https://93.184.216.34/n',
      returnUrl: 'https://93.184.216.34/r',
    });
    const holder = new pg.Client({ connectionString: scratch.url });
    await holder.connect();
    await holder.query('begin');
    await holder.query('select id from merchants where id = $1 for update', [m.id]);
    await holder.query(
      `update merchants set appsecret = 'made-by-the-other', previous_appsecret = appsecret where id = $1`,
      [m.id],
    );
    const rotating = gw.services.merchants.rotateSecret(m.id, 3600_000);
    for (let i = 0; i < 200; i++) {
      const { rows } = await holder.query(
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
      );
      if (rows[0].n > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await holder.query('commit');
    await holder.end();
    const rotated = await rotating;
    const row = await merchantRow(gw, m.id);
    expect(row.previous_appsecret).toBe('made-by-the-other');
    expect(row.appsecret).toBe(rotated.appsecret);
  });
});
