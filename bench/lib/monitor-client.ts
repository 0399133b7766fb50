import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Client } from 'undici';
import { md5 } from './gatepay.js';

/**
 * The monitor side of the benchmark: what a payment monitor sends, signed with code written here
 * independently of src/ (docs/monitor-api.md, spec/compat-vmq.md).
 */

export type PayType = 'alipay' | 'wechat';

/** A receiving account as a monitor knows it: its id, type and monitor key. */
export interface MonitorAccount {
  id: number;
  merchantId: number;
  type: PayType;
  key: string;
}

/** One item of `POST /monitor/v1/payments`. */
export interface PaymentItem {
  id: string;
  type: PayType;
  amount: string;
  paid_at: number;
}

/** `12.34` from 1234 cents: the monitor API's decimal string. */
export function decimal(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/** Java's `String.valueOf(double)` for a cents amount, as the V免签 app prints it: 10.01, 10.5, 100.0. */
export function javaPrice(cents: number): string {
  const whole = Math.floor(cents / 100);
  const frac = cents % 100;
  if (frac === 0) return `${whole}.0`;
  if (frac % 10 === 0) return `${whole}.${frac / 10}`;
  return `${whole}.${String(frac).padStart(2, '0')}`;
}

/** The three headers of a monitor API request: HMAC-SHA256 of `timestamp + "." + body`, hex. */
export function monitorHeaders(account: MonitorAccount, body: string, nowMs = Date.now()) {
  const ts = String(Math.floor(nowMs / 1000));
  return {
    'content-type': 'application/json',
    'x-shouyin-account': String(account.id),
    'x-shouyin-timestamp': ts,
    'x-shouyin-signature': createHmac('sha256', account.key).update(`${ts}.${body}`).digest('hex'),
  };
}

export const VMQ_TYPE: Record<PayType, string> = { wechat: '1', alipay: '2' };

/** `GET /appPush` path: sign = md5(type + price + t + key). */
export function vmqPushPath(key: string, type: PayType, price: string, t: number): string {
  const code = VMQ_TYPE[type];
  return `/appPush?t=${t}&type=${code}&price=${price}&sign=${md5(code + price + String(t) + key)}`;
}

/** `GET /appHeart` path: sign = md5(t + key). */
export function vmqHeartPath(key: string, t: number): string {
  return `/appHeart?t=${t}&sign=${md5(String(t) + key)}`;
}

export interface Answer {
  status: number;
  body: string;
}

/**
 * A monitor with one keep-alive connection to the gateway, as a long-running monitor process
 * would hold. Every request is bounded by `timeoutMs`.
 */
export class MonitorConnection {
  private readonly client: Client;

  constructor(
    origin: string,
    private readonly timeoutMs = 15_000,
  ) {
    this.client = new Client(origin, {
      keepAliveTimeout: 30_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  /** Reports `items` for `account`; the answer as text. */
  async report(account: MonitorAccount, items: readonly PaymentItem[]): Promise<Answer> {
    const body = JSON.stringify({ payments: items });
    const res = await this.client.request({
      method: 'POST',
      path: '/monitor/v1/payments',
      headers: monitorHeaders(account, body),
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    return { status: res.statusCode, body: await res.body.text() };
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/**
 * One GET on a fresh connection, closed afterwards, as the V免签 app sends every request.
 * `forwardedFor` sets X-Forwarded-For (the gateway trusts it) so that one bench process can play
 * many phones at different addresses; the packets still only go to 127.0.0.1.
 */
export function freshGet(
  origin: URL,
  path: string,
  forwardedFor: string | null,
  timeoutMs = 10_000,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: origin.hostname,
        port: origin.port,
        path,
        method: 'GET',
        agent: false,
        headers: forwardedFor === null ? {} : { 'x-forwarded-for': forwardedFor },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** An address of the benchmarking range 198.18.0.0/15 (RFC 2544) for phone number `i`. */
export function phoneAddress(i: number): string {
  return `198.${18 + ((i >> 16) & 1)}.${(i >> 8) & 255}.${i & 255}`;
}
