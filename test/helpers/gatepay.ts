import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import jsQRModule from 'jsqr';
import { expect } from 'vitest';
import type { TestGateway } from './gateway.js';

/** md5 hex, written here independently of src/ so signature tests check the code, not themselves. */
export const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** md5(md5(appkey + fields…) + appsecret), as the spec defines every GatePay signature. */
export function sign(appkey: string, fields: string[], appsecret: string): string {
  return md5(md5(appkey + fields.join('')) + appsecret);
}

export interface MerchantCreds {
  appkey: string;
  appsecret: string;
}

/** Signed parameters of a create call, as a merchant's SDK builds them. */
export function createParams(
  m: MerchantCreds,
  p: {
    price?: string;
    product_id?: string;
    fields?: string;
    type: string;
    out_order_id: string;
    custom: string;
  },
): Record<string, string> {
  const first = p.price ?? p.product_id ?? p.fields ?? '';
  const firstName = p.price !== undefined ? 'price' : p.product_id !== undefined ? 'product_id' : 'fields';
  return {
    appkey: m.appkey,
    [firstName]: first,
    type: p.type,
    out_order_id: p.out_order_id,
    custom: p.custom,
    sign: sign(m.appkey, [first, p.type, p.out_order_id, p.custom], m.appsecret),
  };
}

/** Signed parameters of findOrder: sign = md5(md5(appkey + out_order_id) + appsecret). */
export function findOrderParams(m: MerchantCreds, outOrderId: string): Record<string, string> {
  return { appkey: m.appkey, out_order_id: outOrderId, sign: sign(m.appkey, [outOrderId], m.appsecret) };
}

/** Signed parameters of product/show: sign = md5(md5(appkey) + appsecret). */
export function productShowParams(m: MerchantCreds): Record<string, string> {
  return { appkey: m.appkey, sign: sign(m.appkey, [], m.appsecret) };
}

export interface Envelope {
  code: number;
  msg: string;
  time: string;
  data: any;
}

export async function postForm(url: string, params: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', body: new URLSearchParams(params) });
  return {
    status: res.status,
    body: (await res.json()) as Envelope,
  };
}

/** How a merchant's client sends its parameters: query string, form body or JSON body. */
export type Via = 'get' | 'form' | 'json';
export const VIAS: readonly Via[] = ['get', 'form', 'json'];

export interface Answer {
  status: number;
  contentType: string;
  /** The parsed JSON body, or null when the body was not JSON. */
  body: Envelope | null;
  text: string;
}

/**
 * Calls a GatePay endpoint over real HTTP. `params` may be a URLSearchParams (to repeat a key) for
 * `get`/`form`, or any JSON-able object for `json`.
 */
export async function call(
  baseUrl: string,
  path: string,
  params: Record<string, unknown> | URLSearchParams,
  via: Via = 'form',
): Promise<Answer> {
  let res: Response;
  const qs = () =>
    params instanceof URLSearchParams ? params : new URLSearchParams(params as Record<string, string>);
  if (via === 'get') {
    res = await fetch(`${baseUrl}${path}?${qs().toString()}`);
  } else if (via === 'form') {
    res = await fetch(`${baseUrl}${path}`, { method: 'POST', body: qs() });
  } else {
    res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params),
    });
  }
  const text = await res.text();
  let body: Envelope | null;
  try {
    body = JSON.parse(text) as Envelope;
  } catch {
    body = null;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body, text };
}

/** Rows in the tables a refused request must not touch. */
export async function countRows(gw: TestGateway) {
  const k = gw.services.db.kysely;
  const n = async (table: 'orders' | 'slots' | 'order_items' | 'payments' | 'notifications') =>
    Number((await k.selectFrom(table).select(k.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return {
    orders: await n('orders'),
    slots: await n('slots'),
    order_items: await n('order_items'),
    payments: await n('payments'),
    notifications: await n('notifications'),
  };
}

/**
 * Sends a request that must be refused: never a 5xx, the envelope with `code` and `data: null`
 * (HTTP 200 unless `status` says otherwise), and no row added to any order-related table.
 */
export async function expectRefused(
  gw: TestGateway,
  send: () => Promise<Answer>,
  code: number,
  opts: { status?: number; msg?: string | RegExp; label?: string } = {},
): Promise<Answer> {
  const before = await countRows(gw);
  const res = await send();
  const label = opts.label ?? `expected code ${code}`;
  expect(res.status, `${label}: ${res.text.slice(0, 200)}`).toBeLessThan(500);
  expect(res.status, label).toBe(opts.status ?? 200);
  expect(res.body, `${label}: ${res.text.slice(0, 200)}`).not.toBeNull();
  expect(res.body!.code, `${label}: ${res.body!.msg}`).toBe(code);
  expect(res.body!.data, label).toBeNull();
  expect(res.body!.time, label).toMatch(/^\d+$/);
  if (typeof opts.msg === 'string') expect(res.body!.msg, label).toBe(opts.msg);
  else if (opts.msg) expect(res.body!.msg, label).toMatch(opts.msg);
  expect(await countRows(gw), `${label}: nothing stored`).toEqual(before);
  return res;
}

/** A merchant with one receiving account per payment type, ready to take orders. */
export async function provisionMerchant(
  gw: TestGateway,
  opts: { name?: string; types?: Array<'alipay' | 'wechat'> } = {},
) {
  const merchant = await gw.services.merchants.add({
    name: opts.name ?? 'Test shop',
    notifyUrl: 'http://127.0.0.1:9/notify',
    returnUrl: 'http://127.0.0.1:9/return',
  });
  const accounts: Record<string, number> = {};
  for (const type of opts.types ?? ['alipay']) {
    const a = await gw.services.accounts.add({
      merchantId: merchant.id,
      type,
      name: `${type} account`,
      qrContent: `https://qr.example.com/${type}/${merchant.id}`,
    });
    accounts[type] = a.id;
  }
  return { merchant, accounts };
}

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The bytes of a `data:image/png;base64,…` URL; throws when it is not one. */
export function dataUrlBytes(dataUrl: string): Buffer {
  const prefix = 'data:image/png;base64,';
  if (!dataUrl.startsWith(prefix)) throw new Error(`not a PNG data URL: ${dataUrl.slice(0, 40)}`);
  return Buffer.from(dataUrl.slice(prefix.length), 'base64');
}

/**
 * Decodes a non-interlaced 8-bit-or-less grayscale PNG with filter type 0 (what a 1-bit QR writer
 * produces) into RGBA pixels, enough to hand to jsQR. Throws on anything else.
 */
export function decodeGrayPng(png: Buffer): { width: number; height: number; rgba: Uint8ClampedArray } {
  if (!PNG_SIGNATURE.every((b, i) => png[i] === b)) throw new Error('PNG signature missing');
  let pos = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('ascii', pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      depth = data[8] as number;
      if (data[9] !== 0 || data[12] !== 0) throw new Error('only non-interlaced grayscale is decoded');
    } else if (type === 'IDAT') idat.push(Buffer.from(data));
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rowBytes = Math.ceil((width * depth) / 8);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const rowStart = y * (rowBytes + 1);
    if (raw[rowStart] !== 0) throw new Error(`row ${y} uses filter ${raw[rowStart]}, only 0 is decoded`);
    for (let x = 0; x < width; x++) {
      const bitPos = x * depth;
      const byte = raw[rowStart + 1 + (bitPos >> 3)] as number;
      const max = (1 << depth) - 1;
      const value = (byte >> (8 - depth - (bitPos & 7))) & max;
      const gray = Math.round((value / max) * 255);
      rgba.set([gray, gray, gray, 255], (y * width + x) * 4);
    }
  }
  return { width, height, rgba };
}

// jsqr is CommonJS whose `module.exports` is the function itself, while its types declare an ES
// default export; take whichever the loader produced.
type JsQR = typeof jsQRModule.default;
const jsQR: JsQR = (jsQRModule as unknown as { default?: JsQR }).default ?? (jsQRModule as unknown as JsQR);

/** The text of the QR code drawn in a grayscale PNG (decoded with jsQR), or null when none is found. */
export function readQr(png: Buffer): string | null {
  const img = decodeGrayPng(png);
  return jsQR(img.rgba, img.width, img.height)?.data ?? null;
}
