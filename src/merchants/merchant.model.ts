import type { Selectable } from 'kysely';
import type { MerchantTable } from '../db/schema.js';
import type { OffsetDirection } from '../domain/slots.js';
import type { Rotation } from '../domain/rotation.js';

export interface Merchant {
  id: number;
  name: string;
  appkey: string;
  appsecret: string;
  notifyUrl: string;
  returnUrl: string;
  timeoutUrl: string | null;
  orderTtl: number;
  offsetDirection: OffsetDirection;
  maxOffsetCents: number;
  rotation: Rotation;
  notifyMethod: 'POST' | 'GET';
  enabled: boolean;
  apiEnabled: boolean;
  alipayEnabled: boolean;
  wechatEnabled: boolean;
  dailyQuota: number | null;
  allowOffline: boolean;
  payToken: string;
  createdAt: number;
  /** The appsecret before the last rotation, and until when it still verifies requests. */
  previousAppsecret: string | null;
  previousSecretUntil: number | null;
}

export function merchantFromRow(r: Selectable<MerchantTable>): Merchant {
  return {
    id: Number(r.id),
    name: r.name,
    appkey: r.appkey,
    appsecret: r.appsecret,
    notifyUrl: r.notify_url,
    returnUrl: r.return_url,
    timeoutUrl: r.timeout_url,
    orderTtl: r.order_ttl,
    offsetDirection: r.offset_direction as OffsetDirection,
    maxOffsetCents: r.max_offset_cents,
    rotation: r.rotation as Rotation,
    notifyMethod: r.notify_method as 'POST' | 'GET',
    enabled: r.enabled === 1,
    apiEnabled: r.api_enabled === 1,
    alipayEnabled: r.alipay_enabled === 1,
    wechatEnabled: r.wechat_enabled === 1,
    dailyQuota: r.daily_quota,
    allowOffline: r.allow_offline === 1,
    payToken: r.pay_token,
    createdAt: Number(r.created_at),
    previousAppsecret: r.previous_appsecret,
    previousSecretUntil: r.previous_secret_until === null ? null : Number(r.previous_secret_until),
  };
}

/**
 * The secrets a signed merchant request may be signed with at `now`: the current appsecret, and
 * during a rotation's grace period the previous one too. Everything Shouyin signs itself
 * (notifications, return redirects) uses the current one alone.
 */
export function verifyingSecrets(m: Merchant, now: number): string[] {
  const inGrace =
    m.previousAppsecret !== null && m.previousSecretUntil !== null && now < m.previousSecretUntil;
  return inGrace ? [m.appsecret, m.previousAppsecret as string] : [m.appsecret];
}

/** What operators see: everything but the secrets. */
export function publicMerchant(m: Merchant) {
  const { appsecret: _secret, previousAppsecret: _previous, ...rest } = m;
  return rest;
}
