import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Lowercase hex md5 of a UTF-8 string. */
export function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/**
 * The GatePay signature: `md5(md5(appkey + f1 + f2 + …) + appsecret)`, plain concatenation of
 * the raw strings in the order the protocol lists them.
 */
export function gatepaySign(appkey: string, fields: readonly string[], appsecret: string): string {
  return md5(md5(appkey + fields.join('')) + appsecret);
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

/** Signed fields of each create endpoint, after `appkey`, in order. */
export const CREATE_SIGNED_FIELDS = {
  anypay: ['price', 'type', 'out_order_id', 'custom'],
  cloudpay: ['price', 'type', 'out_order_id', 'custom'],
  stablepay: ['product_id', 'type', 'out_order_id', 'custom'],
  grouppay: ['fields', 'type', 'out_order_id', 'custom'],
} as const;

export type CreateKind = keyof typeof CREATE_SIGNED_FIELDS;

/** spec §2: the async notification's sign. */
export function notifySign(
  appkey: string,
  p: {
    order_id: string;
    out_order_id: string;
    price: string;
    realprice: string;
    type: string;
    paytime: string;
    extend: string;
  },
  appsecret: string,
): string {
  return gatepaySign(
    appkey,
    [p.order_id, p.out_order_id, p.price, p.realprice, p.type, p.paytime, p.extend],
    appsecret,
  );
}

/** spec §3: the browser return's sign. */
export function returnSign(
  appkey: string,
  p: { price: string; type: string; product_id: string; order_id: string; out_order_id: string },
  appsecret: string,
): string {
  return gatepaySign(appkey, [p.price, p.type, p.product_id, p.order_id, p.out_order_id], appsecret);
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
