import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Lowercase hex md5 of a UTF-8 string. */
export function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** Compares two signatures in constant time (case-insensitive hex). */
export function signaturesEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given.toLowerCase(), 'utf8');
  const b = Buffer.from(expected.toLowerCase(), 'utf8');
  if (a.length !== b.length) {
    // Still spend the comparison so the length is the only thing timing can reveal.
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

/**
 * Standard Webhooks signature: `v1,` + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)).
 * Shouyin keys it with the merchant's appsecret (its UTF-8 bytes).
 */
export function webhookSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** HMAC-SHA256 hex, as the monitor API signs `timestamp + "." + body`. */
export function hmacHex(secret: string, text: string | Buffer): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}
