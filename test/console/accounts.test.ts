import { execFile } from 'node:child_process';
import { crc32 } from 'node:zlib';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeQrImage } from '../../src/qrcode/decode.js';
import { qrPng } from '../../src/qrcode/png.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { MonitorClient } from '../monitor/monitor-client.js';
import { type ConsoleClient, OPERATOR, operatorClient, signedInClient } from './client.js';

const ALIPAY = 'https://qr.alipay.com/fkx19475h2qwxzqpe8d1e2';
const b64 = (bytes: Buffer) => bytes.toString('base64');
const dataUrl = (bytes: Buffer) => `data:image/png;base64,${b64(bytes)}`;
const decodeDataUrl = (url: string) =>
  decodeQrImage(Buffer.from(url.replace(/^data:image\/png;base64,/, ''), 'base64'));

/** A PNG with no QR code in it: soft noise. */
function noisePng(): Buffer {
  const png = new PNG({ width: 120, height: 120 });
  for (let i = 0; i < png.data.length; i += 4) {
    const v = (i * 7919) % 251;
    png.data[i] = png.data[i + 1] = png.data[i + 2] = v;
    png.data[i + 3] = 255;
  }
  return PNG.sync.write(png);
}

/** A QR PNG carrying `extra` bytes of a private ancillary chunk before IEND: a big upload that still decodes. */
function bigQrPng(text: string, extra: number): Buffer {
  const png = qrPng(text, 300);
  const data = Buffer.alloc(extra, 0x61);
  const chunk = Buffer.alloc(12 + extra);
  chunk.writeUInt32BE(extra, 0);
  chunk.write('ruSt', 4, 'ascii');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + extra)) >>> 0, 8 + extra);
  return Buffer.concat([png.subarray(0, png.length - 12), chunk, png.subarray(png.length - 12)]);
}

const patch = (c: ConsoleClient, path: string, body: unknown, opts: { csrf?: string | null } = {}) =>
  c.call('PATCH', path, body, opts);

describe(`console receiving accounts on ${TEST_DIALECT}`, () => {
  let gw: TestGateway;
  let op: ConsoleClient;
  let shopA: ConsoleClient;
  let shopB: ConsoleClient;
  let a: number;
  let b: number;
  const password = 'shop password 1';

  const countAccounts = async () =>
    Number(
      (
        await gw.services.db.kysely
          .selectFrom('accounts')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const audits = (action: string) =>
    gw.services.db.kysely
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', action)
      .orderBy('id')
      .execute();

  beforeAll(async () => {
    gw = await startTestGateway();
    op = await operatorClient(gw);
    const add = (name: string) =>
      gw.services.merchants.add({
        name,
        notifyUrl: `https://${name}.example.com/n`,
        returnUrl: `https://${name}.example.com/r`,
      });
    a = (await add('tea')).id;
    b = (await add('noodles')).id;
    await gw.services.users.add({ email: 'a@tea.example.com', password, role: 'merchant', merchantId: a });
    await gw.services.users.add({
      email: 'b@noodles.example.com',
      password,
      role: 'merchant',
      merchantId: b,
    });
    shopA = await signedInClient(gw, 'a@tea.example.com', password);
    shopB = await signedInClient(gw, 'b@noodles.example.com', password);
  });
  afterAll(() => gw?.close());

  it('decodes an uploaded QR image for a preview without storing anything', async () => {
    const before = await countAccounts();
    const r = await shopA.post('/accounts/decode-qr', { image: dataUrl(qrPng(ALIPAY)) });
    expect(r.status).toBe(200);
    expect(r.body.content).toBe(ALIPAY);
    expect(decodeDataUrl(r.body.qr_png)).toBe(ALIPAY);
    expect(await countAccounts()).toBe(before);
  });

  it('adds an account from an uploaded QR image, decoded on the server and audited', async () => {
    const r = await shopA.post('/accounts', {
      type: 'alipay',
      name: 'Counter',
      qr_image: b64(qrPng(ALIPAY)),
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      merchant_id: a,
      type: 'alipay',
      name: 'Counter',
      qr_content: ALIPAY,
      enabled: true,
    });
    expect(r.body.online).toBe(false);
    expect(r.body.today).toBe('0.00');
    expect(decodeDataUrl(r.body.qr_png)).toBe(ALIPAY);
    const stored = await gw.services.accounts.get(r.body.id);
    expect(stored.qrContent).toBe(ALIPAY);
    const audit = (await audits('account.add')).at(-1);
    expect(audit).toMatchObject({ actor: 'console:a@tea.example.com', subject: `account:${r.body.id}` });
  });

  it('takes uploads far above the 64 KiB body limit of the other routes', async () => {
    const big = bigQrPng('wxp://f2f0big', 300_000);
    expect(big.length).toBeGreaterThan(300_000);
    const r = await shopA.post('/accounts/decode-qr', { image: b64(big) });
    expect(r.status).toBe(200);
    expect(r.body.content).toBe('wxp://f2f0big');
  });

  it('refuses a bad image with a clear message and stores nothing', async () => {
    const before = await countAccounts();
    const cases: Array<[string, string]> = [
      [b64(noisePng()), 'no QR code found in the image'],
      [b64(Buffer.from('GIF89a not really')), 'the image must be a PNG or JPEG file'],
      [b64(qrPng(ALIPAY).subarray(0, 60)), 'the PNG image cannot be read'],
      ['%%% not base64 %%%', 'qr_image must be a PNG or JPEG file sent as base64'],
    ];
    for (const [image, message] of cases) {
      const r = await shopA.post('/accounts', { type: 'wechat', name: 'Bad', qr_image: image });
      expect(r.status, message).toBe(400);
      expect(r.body).toEqual({ error: 'invalid_input', message });
      expect(r.body.message).not.toMatch(/at |\.ts:/);
    }
    const preview = await shopA.post('/accounts/decode-qr', { image: b64(noisePng()) });
    expect(preview.body).toEqual({ error: 'invalid_input', message: 'no QR code found in the image' });
    const none = await shopA.post('/accounts', { type: 'wechat', name: 'No code' });
    expect(none.status).toBe(400);
    expect(none.body.message).toMatch(/Upload the receiving QR code image/);
    expect(await countAccounts()).toBe(before);
  });

  it('lists accounts with online state, last heartbeat, last payment and today’s real takings', async () => {
    const acc = await gw.services.accounts.add({
      merchantId: a,
      type: 'wechat',
      name: 'Stall',
      qrContent: 'wxp://stall',
    });
    const { key } = { key: (await gw.services.accounts.get(acc.id)).monitorKey };
    expect((await new MonitorClient(gw.url, acc.id, key, Date.now).heartbeat()).status).toBe(200);
    const paidAt = Date.now() - 1000;
    await gw.services.payments.record({
      accountId: acc.id,
      type: 'wechat',
      amountCents: 1234,
      paidAt,
      reporterId: 'real-1',
      source: 'monitor',
    });
    // A simulated payment is not money that arrived: left out of takings and "last payment".
    await gw.services.payments.record({
      accountId: acc.id,
      type: 'wechat',
      amountCents: 5000,
      paidAt: paidAt + 500,
      reporterId: 'sim-1',
      source: 'simulate',
    });
    const r = await shopA.get('/accounts');
    expect(r.status).toBe(200);
    const row = r.body.accounts.find((x: any) => x.id === acc.id);
    expect(row).toMatchObject({ online: true, today: '12.34', last_payment_at: paidAt, fixed_codes: 0 });
    expect(row.last_heartbeat_at).toBeGreaterThan(Date.now() - 10_000);
    expect(r.body.offline_after).toBe(90);
    expect(r.body.accounts.every((x: any) => x.merchant_id === a)).toBe(true);
  });

  it('edits rules, name and enabled state; a bad rule changes nothing', async () => {
    const acc = await gw.services.accounts.add({
      merchantId: a,
      type: 'alipay',
      name: 'Rules',
      qrContent: 'https://qr/r',
    });
    const r = await patch(shopA, `/accounts/${acc.id}`, {
      name: 'Night desk',
      window: '22:00-02:00',
      min: '1',
      max: '500.5',
      daily_cap: '3000',
      enabled: false,
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      name: 'Night desk',
      window: '22:00-02:00',
      min: '1.00',
      max: '500.50',
      daily_cap: '3000.00',
      enabled: false,
    });
    for (const [body, message] of [
      [{ window: '25:00-26:00' }, /window must look like 09:00-23:00/],
      [{ min: '600' }, /min must not be above max/],
      [{ daily_cap: '-1' }, /daily-cap must be a positive amount/],
      [{ name: '   ' }, /name must be 1–100 characters/],
    ] as const) {
      const bad = await patch(shopA, `/accounts/${acc.id}`, body);
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(message);
    }
    const after = await shopA.get(`/accounts/${acc.id}`);
    expect(after.body).toMatchObject({
      name: 'Night desk',
      window: '22:00-02:00',
      min: '1.00',
      max: '500.50',
    });
    const cleared = await patch(shopA, `/accounts/${acc.id}`, {
      window: null,
      min: '',
      max: null,
      enabled: true,
    });
    expect(cleared.body).toMatchObject({
      window: null,
      min: null,
      max: null,
      daily_cap: '3000.00',
      enabled: true,
    });
    expect((await audits('account.set')).at(-1)?.actor).toBe('console:a@tea.example.com');
  });

  it('links a V免签 peer of the other type and unlinks it with null', async () => {
    const ali = await gw.services.accounts.add({
      merchantId: a,
      type: 'alipay',
      name: 'Phone A',
      qrContent: 'https://qr/pa',
    });
    const wx = await gw.services.accounts.add({
      merchantId: a,
      type: 'wechat',
      name: 'Phone W',
      qrContent: 'wxp://pw',
    });
    const linked = await patch(shopA, `/accounts/${ali.id}`, { vmq: true, vmq_peer_id: wx.id });
    expect(linked.body).toMatchObject({ vmq: true, vmq_peer_id: wx.id });
    expect((await gw.services.accounts.get(wx.id)).vmqPeerId).toBe(ali.id);
    const unlinked = await patch(shopA, `/accounts/${ali.id}`, { vmq_peer_id: null });
    expect(unlinked.status).toBe(200);
    expect(unlinked.body.vmq_peer_id).toBeNull();
    expect((await gw.services.accounts.get(wx.id)).vmqPeerId).toBeNull();
  });

  it('replaces the QR code from an uploaded image on edit', async () => {
    const acc = await gw.services.accounts.add({
      merchantId: a,
      type: 'alipay',
      name: 'Swap',
      qrContent: 'https://qr/old',
    });
    const r = await patch(shopA, `/accounts/${acc.id}`, {
      qr_image: b64(qrPng('https://qr.alipay.com/new')),
    });
    expect(r.status).toBe(200);
    expect(r.body.qr_content).toBe('https://qr.alipay.com/new');
    const bad = await patch(shopA, `/accounts/${acc.id}`, { qr_image: b64(noisePng()), name: 'Renamed' });
    expect(bad.status).toBe(400);
    const after = await gw.services.accounts.get(acc.id);
    expect([after.qrContent, after.name]).toEqual(['https://qr.alipay.com/new', 'Swap']);
  });

  it('imports fixed-amount codes in bulk from a CSV and images, all or nothing', async () => {
    const acc = await gw.services.accounts.add({
      merchantId: a,
      type: 'alipay',
      name: 'Fixed',
      qrContent: 'https://qr/f',
    });
    const csv = Buffer.from('amount,content\n1,https://qr/f/1\n2.5,"https://qr/f/2?a=1,b=2"\n');
    const r = await shopA.post(`/accounts/${acc.id}/fixed-codes`, {
      files: [
        { name: 'codes.csv', data: b64(csv) },
        { name: '10.00.png', data: b64(qrPng('https://qr/f/10')) },
        { name: 'photo.png', data: b64(qrPng('https://qr/f/20')), amount: '20' },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ account_id: acc.id, imported: 4, amounts: ['1.00', '2.50', '10.00', '20.00'] });
    const d = await shopA.get(`/accounts/${acc.id}`);
    expect(d.body.fixed_codes).toBe(4);
    expect(d.body.codes).toEqual([
      { amount: '1.00', content: 'https://qr/f/1' },
      { amount: '2.50', content: 'https://qr/f/2?a=1,b=2' },
      { amount: '10.00', content: 'https://qr/f/10' },
      { amount: '20.00', content: 'https://qr/f/20' },
    ]);
    expect((await audits('account.codes_import')).at(-1)?.actor).toBe('console:a@tea.example.com');

    // One bad file among good ones: every problem named, nothing imported.
    const bad = await shopA.post(`/accounts/${acc.id}/fixed-codes`, {
      files: [
        { name: '30.00.png', data: b64(qrPng('https://qr/f/30')) },
        { name: 'noise.png', data: b64(noisePng()), amount: '40' },
        { name: 'nameless.png', data: b64(qrPng('https://qr/f/50')) },
        { name: 'bad.csv', data: b64(Buffer.from('abc,x\n')) },
        { name: 'notes.docx', data: b64(Buffer.from('x')) },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_input');
    for (const part of [
      'noise.png: no QR code found',
      'nameless.png: name the image by its amount',
      'bad.csv:1',
      'notes.docx',
    ]) {
      expect(bad.body.message).toContain(part);
    }
    const conflict = await shopA.post(`/accounts/${acc.id}/fixed-codes`, {
      files: [
        { name: '60.png', data: b64(qrPng('https://qr/f/60a')) },
        { name: 'also-60.png', data: b64(qrPng('https://qr/f/60b')), amount: '60.00' },
      ],
    });
    expect(conflict.status).toBe(400);
    expect(conflict.body.message).toMatch(/60.00 already has another code/);
    expect((await shopA.get(`/accounts/${acc.id}`)).body.fixed_codes).toBe(4);
  });

  it('shows the pairing string, its QR code and the monitor key after a fresh sign-in; the example works', async () => {
    const acc = await gw.services.accounts.add({
      merchantId: a,
      type: 'alipay',
      name: 'Paired',
      qrContent: 'https://qr/p',
    });
    await gw.services.accounts.set(acc.id, { vmqEnabled: true });
    const locked = await shopA.get(`/accounts/${acc.id}/pairing`);
    expect(locked.status).toBe(403);
    expect(locked.body.error).toBe('reauth_required');
    expect((await shopA.post('/reauth', { password })).status).toBe(200);

    const r = await shopA.get(`/accounts/${acc.id}/pairing`);
    expect(r.status).toBe(200);
    const key = (await gw.services.accounts.get(acc.id)).monitorKey;
    const host = new URL(gw.config.publicUrl).host;
    expect(r.body).toMatchObject({ account_id: acc.id, key, pairing: `${host}/${key}`, host, vmq: true });
    expect(decodeDataUrl(r.body.pairing_qr_png)).toBe(`${host}/${key}`);
    expect(r.body.warnings.join(' ')).toMatch(/this machine/);
    expect(r.body.monitor_api_url).toBe(`${gw.config.publicUrl}/monitor/v1`);

    // The copyable example, run as is, is a signed heartbeat that brings the account online.
    expect((await gw.services.accounts.get(acc.id)).lastHeartbeatAt).toBeNull();
    const { stdout } = await promisify(execFile)('bash', ['-c', r.body.example], { timeout: 10_000 });
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, account_id: acc.id });
    expect((await shopA.get('/accounts')).body.accounts.find((x: any) => x.id === acc.id).online).toBe(true);
  });

  it('rotates the monitor key: the old key is refused at once, the change audited', async () => {
    const acc = await gw.services.accounts.add({
      merchantId: a,
      type: 'wechat',
      name: 'Rotate',
      qrContent: 'wxp://r',
    });
    const oldKey = (await gw.services.accounts.get(acc.id)).monitorKey;
    const fresh = await signedInClient(gw, 'a@tea.example.com', password);
    const refused = await fresh.post(`/accounts/${acc.id}/rotate-key`);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('reauth_required');
    expect((await gw.services.accounts.get(acc.id)).monitorKey).toBe(oldKey);

    await fresh.post('/reauth', { password });
    const r = await fresh.post(`/accounts/${acc.id}/rotate-key`);
    expect(r.status).toBe(200);
    expect(r.body.key).not.toBe(oldKey);
    expect(r.body.key).toBe((await gw.services.accounts.get(acc.id)).monitorKey);
    expect(r.body.pairing.endsWith(`/${r.body.key}`)).toBe(true);
    expect((await new MonitorClient(gw.url, acc.id, oldKey, Date.now).heartbeat()).status).toBe(401);
    expect((await new MonitorClient(gw.url, acc.id, r.body.key, Date.now).heartbeat()).status).toBe(200);
    expect((await audits('account.rotate_key')).at(-1)).toMatchObject({
      actor: 'console:a@tea.example.com',
      subject: `account:${acc.id}`,
    });
  });

  it("answers a merchant user 404 for another merchant's accounts on every route, the same as for none", async () => {
    const theirs = await gw.services.accounts.add({
      merchantId: b,
      type: 'alipay',
      name: 'Theirs',
      qrContent: 'https://qr/b',
    });
    const ours = await gw.services.accounts.add({
      merchantId: a,
      type: 'wechat',
      name: 'Ours',
      qrContent: 'wxp://ours',
    });
    await shopA.post('/reauth', { password });
    const before = await gw.services.accounts.get(theirs.id);
    const missing = 999_999;
    const calls = (id: number) => [
      () => shopA.get(`/accounts/${id}`),
      () => patch(shopA, `/accounts/${id}`, { name: 'Mine now', enabled: false }),
      () => shopA.post(`/accounts/${id}/fixed-codes`, { files: [{ name: '1.png', data: b64(qrPng('x')) }] }),
      () => shopA.get(`/accounts/${id}/pairing`),
      () => shopA.post(`/accounts/${id}/rotate-key`),
    ];
    for (const [i, call] of calls(theirs.id).entries()) {
      const r = await call();
      expect(r.status, `route ${i}`).toBe(404);
      expect(r.body).toEqual({ error: 'not_found', message: 'Not found.' });
      expect((await calls(missing)[i]!()).body).toEqual(r.body);
    }
    const peer = await patch(shopA, `/accounts/${ours.id}`, { vmq_peer_id: theirs.id });
    expect(peer.status).toBe(404);
    expect(peer.body).toEqual({ error: 'not_found', message: 'Not found.' });
    const create = await shopA.post('/accounts', {
      merchant_id: b,
      type: 'alipay',
      name: 'Sneaky',
      qr_content: 'x',
    });
    expect(create.status).toBe(404);
    expect((await shopA.get(`/accounts?merchant_id=${b}`)).status).toBe(404);
    expect((await shopA.get('/accounts')).body.accounts.map((x: any) => x.id)).not.toContain(theirs.id);
    expect((await shopB.get('/accounts')).body.accounts.map((x: any) => x.id)).toEqual([theirs.id]);

    const after = await gw.services.accounts.get(theirs.id);
    expect(after).toEqual(before);
    expect(await gw.services.accounts.fixedCodes(theirs.id)).toEqual([]);
    expect((await gw.services.accounts.get(ours.id)).vmqPeerId).toBeNull();
  });

  it('lets the operator see every merchant’s accounts and add one for a chosen merchant', async () => {
    const all = await op.get('/accounts');
    const merchants = new Set(all.body.accounts.map((x: any) => x.merchant_id));
    expect([...merchants].sort()).toEqual([a, b].sort());
    expect(
      (await op.get(`/accounts?merchant_id=${b}`)).body.accounts.every((x: any) => x.merchant_id === b),
    ).toBe(true);
    const unpicked = await op.post('/accounts', {
      type: 'alipay',
      name: 'Where',
      qr_content: 'https://qr/w',
    });
    expect(unpicked.status).toBe(400);
    const r = await op.post('/accounts', {
      merchant_id: b,
      type: 'alipay',
      name: 'By operator',
      qr_content: 'https://qr/o',
    });
    expect(r.status).toBe(200);
    expect(r.body.merchant_id).toBe(b);
    expect((await audits('account.add')).at(-1)?.actor).toBe(`console:${OPERATOR.email}`);
  });

  it('refuses every state-changing account call without the CSRF token, changing nothing', async () => {
    const acc = await gw.services.accounts.add({
      merchantId: a,
      type: 'alipay',
      name: 'Csrf',
      qrContent: 'https://qr/c',
    });
    await shopA.post('/reauth', { password });
    const key = (await gw.services.accounts.get(acc.id)).monitorKey;
    const before = await countAccounts();
    for (const csrf of [null, 'forged']) {
      const answers = [
        await shopA.post('/accounts', { type: 'alipay', name: 'X', qr_image: b64(qrPng(ALIPAY)) }, { csrf }),
        await shopA.post('/accounts/decode-qr', { image: b64(qrPng(ALIPAY)) }, { csrf }),
        await patch(shopA, `/accounts/${acc.id}`, { name: 'Forged', enabled: false }, { csrf }),
        await shopA.post(
          `/accounts/${acc.id}/fixed-codes`,
          { files: [{ name: '1.png', data: b64(qrPng('y')) }] },
          { csrf },
        ),
        await shopA.post(`/accounts/${acc.id}/rotate-key`, {}, { csrf }),
      ];
      for (const r of answers) {
        expect(r.status).toBe(403);
        expect(r.body.error).toBe('csrf');
      }
    }
    expect(await countAccounts()).toBe(before);
    const after = await gw.services.accounts.get(acc.id);
    expect([after.name, after.enabled, after.monitorKey]).toEqual(['Csrf', true, key]);
    expect(await gw.services.accounts.fixedCodes(acc.id)).toEqual([]);
  });

  it('asks for a sign-in first', async () => {
    const anonymous = await fetch(`${gw.url}/admin/api/accounts`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: 'unauthenticated', message: 'Sign in to continue.' });
  });
});
