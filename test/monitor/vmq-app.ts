import { createHash } from 'node:crypto';
import { get } from 'node:http';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** Java's `String.valueOf(double)` for a money amount below 10,000,000: 10.01, 10.5, 100.0. */
export function javaPrice(cents: number): string {
  const whole = Math.floor(cents / 100);
  const frac = cents % 100;
  if (frac === 0) return `${whole}.0`;
  if (frac % 10 === 0) return `${whole}.${frac / 10}`;
  return `${whole}.${String(frac).padStart(2, '0')}`;
}

export interface VmqReply {
  status: number;
  body: { code: number; msg: string; data?: unknown };
}

/** One GET over a fresh connection, as the app sends it; resolves with the parsed JSON answer. */
export function appGet(url: string): Promise<VmqReply> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, headers: { 'user-agent': 'okhttp/3.12.0' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
  });
}

/**
 * The V免签 Android monitor app, as it behaves on a phone: configured with one `host/key` string
 * (split on `/`, exactly two parts), plain http, GET, 13-digit millisecond timestamps from its
 * own clock, prices as Java prints a double, sign over the strings as sent.
 */
export class VmqApp {
  readonly host: string;
  readonly key: string;

  constructor(
    config: string,
    private readonly clock: () => number,
  ) {
    const parts = config.split('/');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new Error(`the app refuses "${config}": it needs host/key`);
    }
    [this.host, this.key] = parts as [string, string];
  }

  heartbeatUrl(t = String(this.clock())): string {
    return `http://${this.host}/appHeart?t=${t}&sign=${md5(t + this.key)}`;
  }

  /** `type`: 1 = WeChat, 2 = Alipay. */
  pushUrl(type: 1 | 2, cents: number, t = String(this.clock())): string {
    const price = javaPrice(cents);
    return `http://${this.host}/appPush?t=${t}&type=${type}&price=${price}&sign=${md5(type + price + t + this.key)}`;
  }

  heartbeat(t?: string): Promise<VmqReply> {
    return appGet(this.heartbeatUrl(t));
  }

  push(type: 1 | 2, cents: number, t?: string): Promise<VmqReply> {
    return appGet(this.pushUrl(type, cents, t));
  }
}
