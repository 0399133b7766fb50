import type { Account } from '../accounts/account.model.js';
import { hmacHex, signaturesEqual } from '../domain/sign.js';
import { MonitorError } from './monitor.errors.js';

/** Requests more than this far from the server's clock are refused (replay window). */
export const MONITOR_WINDOW_SECONDS = 300;

export const HEADER_ACCOUNT = 'x-shouyin-account';
export const HEADER_TIMESTAMP = 'x-shouyin-timestamp';
export const HEADER_SIGNATURE = 'x-shouyin-signature';

/** What a monitor signs: `timestamp + "." + raw body`, HMAC-SHA256 with the account's key, hex. */
export function monitorSignature(key: string, timestamp: string, rawBody: Buffer | string): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  return hmacHex(key, Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), body]));
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' ? v.trim() : undefined;
}

/** A key that no account has: unknown accounts cost the same HMAC as known ones. */
const DUMMY_KEY = 'shouyin-no-such-account-0000000000';

/**
 * Authenticates one monitor API request: the account named in the headers, a timestamp within
 * ±5 minutes of `nowMs`, and a constant-time check of the signature over the raw body bytes.
 * Called before the body is parsed, so nothing unauthenticated is ever interpreted.
 */
export async function authenticateMonitor(
  headers: Record<string, string | string[] | undefined>,
  rawBody: Buffer,
  nowMs: number,
  findAccount: (id: number) => Promise<Account | null>,
): Promise<Account> {
  const accountText = header(headers, HEADER_ACCOUNT);
  const ts = header(headers, HEADER_TIMESTAMP);
  const signature = header(headers, HEADER_SIGNATURE);
  if (accountText === undefined || ts === undefined || signature === undefined) {
    throw new MonitorError('missing_auth');
  }
  if (!/^[1-9][0-9]{0,15}$/.test(accountText)) {
    throw new MonitorError('missing_auth', `${HEADER_ACCOUNT} must be an account id`);
  }
  if (!/^[0-9]{1,12}$/.test(ts)) {
    throw new MonitorError('missing_auth', `${HEADER_TIMESTAMP} must be unix seconds`);
  }
  const serverTime = Math.floor(nowMs / 1000);
  if (Math.abs(Number(ts) - serverTime) > MONITOR_WINDOW_SECONDS) {
    throw new MonitorError('stale_timestamp', undefined, { server_time: serverTime });
  }
  const account = await findAccount(Number(accountText));
  const expected = monitorSignature(account?.monitorKey ?? DUMMY_KEY, ts, rawBody);
  if (!signaturesEqual(signature, expected) || !account) throw new MonitorError('bad_signature');
  return account;
}
