import { createHash } from 'node:crypto';

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

export async function postForm(url: string, params: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', body: new URLSearchParams(params) });
  return {
    status: res.status,
    body: (await res.json()) as { code: number; msg: string; time: string; data: any },
  };
}
