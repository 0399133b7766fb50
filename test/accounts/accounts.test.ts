import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amountFromFileName, parseFixedCodesCsv } from '../../src/accounts/fixed-codes.js';
import { vmqPairing } from '../../src/accounts/pairing.js';
import { decodeQrImage } from '../../src/qrcode/decode.js';
import { qrPng } from '../../src/qrcode/png.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { addMerchant, cli, cliJson } from '../monitor/fixtures.js';

const ALIPAY = 'https://qr.alipay.com/fkx19475h2qwxzqpe8d1e2';

/** The QR code as a JPEG photo-like image (lossy), via jpeg-js. */
function qrJpeg(text: string): Buffer {
  const png = PNG.sync.read(qrPng(text, 300));
  return jpeg.encode({ width: png.width, height: png.height, data: png.data }, 75).data;
}

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

describe('QR images', () => {
  it('decodes a PNG and a JPEG of a receiving code', () => {
    expect(decodeQrImage(qrPng(ALIPAY))).toBe(ALIPAY);
    expect(decodeQrImage(qrJpeg('wxp://f2f0abcdefghijklmn'))).toBe('wxp://f2f0abcdefghijklmn');
  });

  it('says clearly when an image holds no QR code, or is no image', () => {
    expect(() => decodeQrImage(noisePng())).toThrow('no QR code found in the image');
    expect(() => decodeQrImage(Buffer.from('GIF89a....'))).toThrow('the image must be a PNG or JPEG file');
    expect(() => decodeQrImage(Buffer.alloc(0))).toThrow('the image is empty');
    expect(() => decodeQrImage(qrPng(ALIPAY).subarray(0, 60))).toThrow('the PNG image cannot be read');
  });
});

describe('fixed-amount code files', () => {
  it('reads amount,content lines with quotes, comments and a header', () => {
    const csv =
      'amount,content\n# ten\n10,https://qr.alipay.com/a\n\n10.5,"https://x/?a=1,b=2"\n0.99 , wxp://c\r\n';
    expect(parseFixedCodesCsv(csv, 'c.csv').map((e) => [e.amountCents, e.content, e.source])).toEqual([
      [1000, 'https://qr.alipay.com/a', 'c.csv:3'],
      [1050, 'https://x/?a=1,b=2', 'c.csv:5'],
      [99, 'wxp://c', 'c.csv:6'],
    ]);
  });

  it('reports every bad line at once', () => {
    expect(() => parseFixedCodesCsv('10\n-1,x\n1.234,y\n5,\n', 'bad.csv')).toThrow(
      /bad.csv:1.*\n.*bad.csv:2.*\n.*bad.csv:3.*\n.*bad.csv:4/,
    );
  });

  it('takes an image amount from its file name', () => {
    expect(
      ['10.00.png', 'codes/10.5.JPG', '7.jpeg', 'ten.png', '10.00.gif', '0.png'].map(amountFromFileName),
    ).toEqual([1000, 1050, 700, null, null, null]);
  });
});

describe('V免签 pairing string', () => {
  it('is host[:port]/key, without scheme or path, with warnings when the app cannot use the URL', () => {
    expect(vmqPairing('http://pay.example.com:8080', 'k1')).toEqual({
      text: 'pay.example.com:8080/k1',
      host: 'pay.example.com:8080',
      warnings: [],
    });
    const https = vmqPairing('https://pay.example.com/shouyin', 'k2');
    expect(https.text).toBe('pay.example.com/k2');
    expect(https.warnings.join('\n')).toMatch(/plain http[\s\S]*path/);
  });
});

describe('receiving accounts from the CLI', () => {
  let gw: TestGateway;
  let dir: string;
  let merchantId: number;

  beforeAll(async () => {
    gw = await startTestGateway();
    dir = mkdtempSync(join(gw.dir, 'files-'));
    merchantId = (await addMerchant(gw.services)).id;
  });
  afterAll(() => gw.close());

  it('adds an account from a QR image and refuses an image without a code', async () => {
    writeFileSync(join(dir, 'alipay.png'), qrPng(ALIPAY));
    writeFileSync(join(dir, 'cat.png'), noisePng());
    const add = (file: string) =>
      cliJson(gw.env, [
        'account',
        'add',
        '--merchant',
        String(merchantId),
        '--type',
        'alipay',
        '--name',
        'A',
        '--qr-image',
        join(dir, file),
      ]);
    const ok = await add('alipay.png');
    expect(ok.code).toBe(0);
    expect((await gw.services.accounts.get(ok.json.id)).qrContent).toBe(ALIPAY);
    const bad = await add('cat.png');
    expect(bad.code).toBe(1);
    expect(bad.json.message).toBe('no QR code found in the image');
    const missing = await add('nope.png');
    expect(missing.json.message).toMatch(/cannot read .*nope.png: ENOENT/);
  });

  it('sets rules, disables and enables, lists with online state, and audits each change', async () => {
    const a = await gw.services.accounts.add({ merchantId, type: 'wechat', name: 'W', qrContent: 'wxp://w' });
    const set = await cliJson(gw.env, [
      'account',
      'set',
      String(a.id),
      '--window',
      '09:00-23:00',
      '--min',
      '1',
      '--max',
      '500.5',
      '--daily-cap',
      '20000',
      '--name',
      'Counter',
    ]);
    expect(set.code).toBe(0);
    expect(set.json).toMatchObject({
      id: a.id,
      name: 'Counter',
      window: '09:00-23:00',
      min: '1.00',
      max: '500.50',
      daily_cap: '20000.00',
      enabled: true,
      online: false,
    });
    expect((await cliJson(gw.env, ['account', 'set', String(a.id), '--min', '600'])).json.message).toBe(
      'min must not be above max',
    );
    expect((await cliJson(gw.env, ['account', 'set', String(a.id), '--window', '9-5'])).json.message).toMatch(
      /09:00-23:00/,
    );
    const cleared = await cliJson(gw.env, ['account', 'set', String(a.id), '--window', '', '--max', '']);
    expect([cleared.json.window, cleared.json.max, cleared.json.min]).toEqual([null, null, '1.00']);

    expect((await cliJson(gw.env, ['account', 'disable', String(a.id)])).json.enabled).toBe(false);
    await gw.services.accounts.heartbeat([a.id]);
    const listed = await cliJson(gw.env, ['account', 'list', '--merchant', String(merchantId)]);
    expect(listed.json.find((x: any) => x.id === a.id)).toMatchObject({ enabled: false, online: true });
    expect(JSON.stringify(listed.json)).not.toContain(a.monitorKey);
    expect((await cliJson(gw.env, ['account', 'enable', String(a.id)])).json.enabled).toBe(true);

    const audit = await cliJson(gw.env, ['audit', 'list', '--subject', `account:${a.id}`]);
    expect(audit.json.map((e: any) => e.action)).toEqual([
      'account.enable',
      'account.disable',
      'account.set',
      'account.set',
    ]);
    expect(audit.json[0].actor).toMatch(/^cli:/);
    expect(audit.json[3].detail).toMatchObject({ window: '09:00-23:00', max: '500.50', name: 'Counter' });
  });

  it('imports fixed-amount codes from a CSV and from images named by amount, all or nothing', async () => {
    const a = await gw.services.accounts.add({ merchantId, type: 'alipay', name: 'F', qrContent: ALIPAY });
    writeFileSync(
      join(dir, 'codes.csv'),
      'amount,content\n10,https://qr.alipay.com/ten\n20.00,https://qr.alipay.com/twenty\n',
    );
    writeFileSync(join(dir, '9.99.png'), qrPng('https://qr.alipay.com/nine'));
    writeFileSync(join(dir, '15.5.jpg'), qrJpeg('https://qr.alipay.com/fifteen'));
    const ok = await cliJson(gw.env, [
      'account',
      'qr',
      'import',
      String(a.id),
      join(dir, 'codes.csv'),
      join(dir, '9.99.png'),
      join(dir, '15.5.jpg'),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.json).toEqual({ account_id: a.id, imported: 4, amounts: ['10.00', '20.00', '9.99', '15.50'] });

    writeFileSync(join(dir, 'more.csv'), '30,https://qr.alipay.com/thirty\nforty,https://x\n');
    writeFileSync(join(dir, '50.png'), noisePng());
    const bad = await cli(gw.env, [
      'account',
      'qr',
      'import',
      String(a.id),
      join(dir, 'more.csv'),
      join(dir, '50.png'),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/more.csv:2: "forty" is not a positive amount/);
    expect(bad.stderr).toMatch(/50.png: no QR code found in the image/);

    const shown = await cliJson(gw.env, ['account', 'show', String(a.id)]);
    expect(shown.json.codes).toEqual([
      { amount: '9.99', content: 'https://qr.alipay.com/nine' },
      { amount: '10.00', content: 'https://qr.alipay.com/ten' },
      { amount: '15.50', content: 'https://qr.alipay.com/fifteen' },
      { amount: '20.00', content: 'https://qr.alipay.com/twenty' },
    ]);
    expect(shown.json.fixed_codes).toBe(4);
  });

  it('prints the pairing string and a terminal QR code of it', async () => {
    const a = await gw.services.accounts.add({ merchantId, type: 'alipay', name: 'P', qrContent: ALIPAY });
    const host = new URL(gw.url).host;
    const text = await cli(gw.env, ['account', 'pair', String(a.id)]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^pairing +${host}/${a.monitorKey}$`, 'm'));
    expect(text.stdout).toMatch(/█/); // the QR code, drawn with block characters
    expect(text.stderr).toMatch(/warning: 127.0.0.1 is this machine/);
  });

  it('links a WeChat and an Alipay account of one phone, both ways, and only those', async () => {
    const ali = await gw.services.accounts.add({
      merchantId,
      type: 'alipay',
      name: 'phone-a',
      qrContent: ALIPAY,
    });
    const wx = await gw.services.accounts.add({
      merchantId,
      type: 'wechat',
      name: 'phone-w',
      qrContent: 'wxp://x',
    });
    const other = await gw.services.accounts.add({
      merchantId,
      type: 'alipay',
      name: 'other',
      qrContent: ALIPAY,
    });
    expect(
      (await cliJson(gw.env, ['account', 'set', String(wx.id), '--vmq-peer', String(ali.id)])).json
        .vmq_peer_id,
    ).toBe(ali.id);
    expect((await gw.services.accounts.get(ali.id)).vmqPeerId).toBe(wx.id);
    const same = await cliJson(gw.env, ['account', 'set', String(other.id), '--vmq-peer', String(ali.id)]);
    expect(same.json.message).toMatch(/other type/);
    await cliJson(gw.env, ['account', 'set', String(ali.id), '--vmq-peer', '']);
    expect((await gw.services.accounts.get(wx.id)).vmqPeerId).toBeNull();
  });
});
