import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/domain/errors.js';
import { fitsInQr } from '../../src/qrcode/png.js';
import { call, provisionMerchant, readQr } from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** 777 CJK characters (2,331 UTF-8 bytes) are the most a version-40, medium-ECC code holds. */
const FITS = '码'.repeat(777);
const TOO_LONG = '码'.repeat(778);

describe('fitsInQr', () => {
  it('tells text a QR code holds from text it does not', () => {
    expect(fitsInQr(FITS)).toBe(true);
    expect(fitsInQr(TOO_LONG)).toBe(false);
    expect(fitsInQr('a'.repeat(2331))).toBe(true);
    expect(fitsInQr('a'.repeat(2332))).toBe(false);
    expect(fitsInQr('1'.repeat(5596))).toBe(true);
  });
});

describe('QR text beyond a QR code’s capacity', () => {
  let gw: TestGateway;
  let merchantId: number;
  let accountId: number;
  beforeAll(async () => {
    gw = await startTestGateway();
    const p = await provisionMerchant(gw);
    merchantId = p.merchant.id;
    accountId = p.accounts.alipay!;
  });
  afterAll(() => gw?.close());

  const build = (text: string) => call(gw.url, '/qrcode/build', { size: '200', text }, 'get');

  it('answers /qrcode/build with 105, not 500', async () => {
    for (const text of [TOO_LONG, '码'.repeat(780), '码'.repeat(1000)]) {
      const res = await build(text);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 105, data: null });
      expect(res.body!.msg).toBe('参数缺失: text too long for a QR code');
    }
  });

  it('still draws the longest text that fits', async () => {
    const res = await fetch(`${gw.url}/qrcode/build?${new URLSearchParams({ size: '400', text: FITS })}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(readQr(Buffer.from(await res.arrayBuffer()))).toBe(FITS);
  });

  it('refuses an account QR content that cannot be drawn, and keeps the old one', async () => {
    const add = gw.services.accounts.add({ merchantId, type: 'wechat', name: 'W', qrContent: TOO_LONG });
    await expect(add).rejects.toThrow(InvalidInputError);
    await expect(add).rejects.toThrow(/too long to draw as a QR code \(2334 bytes/);
    expect((await gw.services.accounts.list(merchantId)).filter((a) => a.type === 'wechat')).toEqual([]);

    const before = (await gw.services.accounts.get(accountId)).qrContent;
    await expect(gw.services.accounts.set(accountId, { qrContent: TOO_LONG })).rejects.toThrow(
      /too long to draw as a QR code/,
    );
    expect((await gw.services.accounts.get(accountId)).qrContent).toBe(before);
    await gw.services.accounts.set(accountId, { qrContent: FITS });
    expect((await gw.services.accounts.get(accountId)).qrContent).toBe(FITS);
  });

  it('refuses a fixed-amount code that cannot be drawn, naming it, and imports none of the batch', async () => {
    const entries = [
      { amountCents: 1000, content: 'https://qr.example.com/10', source: 'codes.csv:1' },
      { amountCents: 2000, content: TOO_LONG, source: 'codes.csv:2' },
    ];
    const imported = gw.services.accounts.importFixedCodes(accountId, entries);
    await expect(imported).rejects.toThrow(InvalidInputError);
    await expect(imported).rejects.toThrow(/^codes\.csv:2: the QR content is too long to draw as a QR code/);
    expect(await gw.services.accounts.fixedCodes(accountId)).toEqual([]);
  });
});
