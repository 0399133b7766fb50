import { md5, signaturesEqual } from '../../domain/sign.js';

/**
 * The signature helper of the console's settings page: for a notification that was sent, the
 * exact text that was hashed, step by step, and a diagnosis of a sign the shop computed itself
 * ("sign mismatch" is the commonest support question). Pure: no IO, the secrets are passed in.
 */

/** The fields of the async notification's sign (spec §2), in the order they are concatenated. */
export const NOTIFY_SIGN_FIELDS = [
  'order_id',
  'out_order_id',
  'price',
  'realprice',
  'type',
  'paytime',
  'extend',
] as const;

export interface SignSteps {
  /** `appkey` then each signed field, with the value that was sent. */
  fields: Array<{ name: string; value: string }>;
  /** `appkey + order_id + … + extend`: the string whose md5 is taken first. */
  hashedString: string;
  /** md5 of `hashedString`. */
  innerMd5: string;
  /** md5(innerMd5 + appsecret): the sign. */
  sign: string;
}

export function notifySignSteps(
  appkey: string,
  params: Record<string, string>,
  appsecret: string,
): SignSteps {
  const fields = [
    { name: 'appkey', value: appkey },
    ...NOTIFY_SIGN_FIELDS.map((name) => ({ name, value: params[name] ?? '' })),
  ];
  const hashedString = fields.map((f) => f.value).join('');
  const innerMd5 = md5(hashedString);
  return { fields, hashedString, innerMd5, sign: md5(innerMd5 + appsecret) };
}

/** What a mismatching sign most likely got wrong. */
export type SignHint =
  | 'uppercase'
  | 'other_secret'
  | 'inner_md5_only'
  | 'single_md5'
  | 'missing_appkey'
  | 'missing_extend'
  | 'unknown';

export interface SignComparison {
  /** The pasted sign is exactly the expected one. */
  signMatches: boolean;
  /** Null when no string was pasted. */
  stringMatches: boolean | null;
  /** 0-based position of the first character where the pasted string differs; null when equal or none. */
  firstDifference: number | null;
  /** Null when the sign matches. */
  hint: SignHint | null;
}

/**
 * Compares a sign (and optionally the string) the shop computed with what Shouyin sent. `secret`
 * is the one the notification was signed with; `otherSecret` the merchant's other one during a
 * rotation (the shop may still use the old secret, or already the new one).
 */
export function compareSign(
  steps: SignSteps,
  secret: string,
  otherSecret: string | null,
  pasted: { sign: string; string?: string },
): SignComparison {
  const given = pasted.sign.trim();
  const stringMatches = pasted.string === undefined ? null : pasted.string === steps.hashedString;
  const firstDifference =
    pasted.string === undefined || stringMatches ? null : firstDiff(pasted.string, steps.hashedString);
  const base = { stringMatches, firstDifference };
  if (given === steps.sign) return { ...base, signMatches: true, hint: null };
  const values = steps.fields.map((f) => f.value);
  const withoutAppkey = values.slice(1).join('');
  const withoutExtend = values.slice(0, -1).join('');
  const candidates: Array<[SignHint, string | null]> = [
    ['uppercase', steps.sign],
    ['other_secret', otherSecret === null ? null : md5(steps.innerMd5 + otherSecret)],
    ['inner_md5_only', steps.innerMd5],
    ['single_md5', md5(steps.hashedString + secret)],
    ['missing_appkey', md5(md5(withoutAppkey) + secret)],
    ['missing_extend', md5(md5(withoutExtend) + secret)],
  ];
  for (const [hint, candidate] of candidates) {
    if (candidate !== null && signaturesEqual(given, candidate)) return { ...base, signMatches: false, hint };
  }
  return { ...base, signMatches: false, hint: 'unknown' };
}

function firstDiff(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}
