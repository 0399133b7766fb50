import { createHmac } from 'node:crypto';

export interface MonitorReply {
  status: number;
  body: any;
}

/**
 * A Shouyin monitor API client written from docs/monitor-api.md (independently of src/): signs
 * `timestamp + "." + body` with HMAC-SHA256 (hex) under the account's monitor key.
 */
export class MonitorClient {
  constructor(
    readonly baseUrl: string,
    readonly accountId: number,
    readonly key: string,
    private readonly clock: () => number,
  ) {}

  async send(
    path: string,
    body: string,
    opts: { timestamp?: number; key?: string; headers?: Record<string, string>; contentType?: string } = {},
  ): Promise<MonitorReply> {
    const ts = String(opts.timestamp ?? Math.floor(this.clock() / 1000));
    const sig = createHmac('sha256', opts.key ?? this.key)
      .update(`${ts}.${body}`)
      .digest('hex');
    const res = await fetch(`${this.baseUrl}/monitor/v1${path}`, {
      method: 'POST',
      headers: {
        'content-type': opts.contentType ?? 'application/json',
        'x-shouyin-account': String(this.accountId),
        'x-shouyin-timestamp': ts,
        'x-shouyin-signature': sig,
        ...opts.headers,
      },
      body,
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed };
  }

  heartbeat(): Promise<MonitorReply> {
    return this.send('/heartbeat', '');
  }

  payments(items: unknown[]): Promise<MonitorReply> {
    return this.send('/payments', JSON.stringify({ payments: items }));
  }
}
