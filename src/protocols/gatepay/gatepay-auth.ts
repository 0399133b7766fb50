import { GatewayError, specialError } from '../../domain/errors.js';
import { signaturesEqual } from '../../domain/sign.js';
import { gatepaySign } from './gatepay-sign.js';
import type { RawParams } from '../../http/params.js';
import { type Merchant, verifyingSecrets } from '../../merchants/merchant.model.js';

/** Longest value accepted for any signed field; longer is refused before hashing. */
export const MAX_FIELD_LENGTH: Record<string, number> = {
  appkey: 64,
  sign: 64,
  out_order_id: 128,
  custom: 1024,
  price: 16,
  type: 16,
  product_id: 20,
  fields: 2000,
};

/** A required string parameter: 105 when absent, malformed, or too long. */
export function requireField(params: RawParams, name: string, allowEmpty = false): string {
  const v = params[name];
  if (v === undefined) throw new GatewayError(105, name);
  if (typeof v !== 'string') throw new GatewayError(105, `${name} ${v.invalid}`);
  if (!allowEmpty && v === '') throw new GatewayError(105, name);
  const max = MAX_FIELD_LENGTH[name] ?? 1024;
  if (v.length > max) throw new GatewayError(105, `${name} longer than ${max} characters`);
  return v;
}

/**
 * Checks a GatePay request's appkey and signature, in the upstream order of codes:
 * 101 appkey missing, 103 sign missing, 102 unknown appkey, 103 merchant disabled,
 * 105 a signed field missing, 104 wrong sign (by the current appsecret, or the previous one
 * during a rotation's grace period). Returns the merchant and the signed values.
 */
export async function authenticateGatepay(
  params: RawParams,
  signedFields: readonly string[],
  findMerchant: (appkey: string) => Promise<Merchant | null>,
  /** The gateway clock's now: decides whether a rotated-out secret is still in its grace period. */
  now: number,
): Promise<{ merchant: Merchant; values: Record<string, string> }> {
  const appkeyRaw = params.appkey;
  if (appkeyRaw === undefined || appkeyRaw === '') throw new GatewayError(101);
  const signRaw = params.sign;
  if (signRaw === undefined || signRaw === '') throw new GatewayError(103);
  const appkey = requireField(params, 'appkey');
  const sign = requireField(params, 'sign');
  const merchant = await findMerchant(appkey);
  if (!merchant) throw new GatewayError(102);
  if (!merchant.enabled) throw specialError('merchantDisabled');
  const values: Record<string, string> = {};
  for (const f of signedFields) values[f] = requireField(params, f, f === 'custom');
  const fields = signedFields.map((f) => values[f] as string);
  // During a rotation's grace period the previous secret verifies too. Every secret is compared
  // (no early exit), each in constant time, so timing does not tell which one matched.
  let valid = false;
  for (const secret of verifyingSecrets(merchant, now)) {
    if (signaturesEqual(sign, gatepaySign(appkey, fields, secret))) valid = true;
  }
  if (!valid) throw new GatewayError(104);
  return { merchant, values: { appkey, ...values, sign } };
}
