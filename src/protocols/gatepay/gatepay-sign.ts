import { md5 } from '../../domain/sign.js';

/**
 * The GatePay signature: `md5(md5(appkey + f1 + f2 + …) + appsecret)`, plain concatenation of
 * the raw strings in the order the protocol lists them.
 */
export function gatepaySign(appkey: string, fields: readonly string[], appsecret: string): string {
  return md5(md5(appkey + fields.join('')) + appsecret);
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
