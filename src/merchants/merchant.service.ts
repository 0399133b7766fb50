import type { Kysely, Updateable } from 'kysely';
import { insertAudit } from '../audit/audit.repository.js';
import type { Actor, AuditAction } from '../audit/audit.model.js';
import type { Db } from '../db/connect.js';
import type { Database, MerchantTable } from '../db/schema.js';
import { transact } from '../db/tx.js';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import { parseCents } from '../domain/money.js';
import { ROTATIONS, type Rotation } from '../domain/rotation.js';
import { startOfLocalDay } from '../domain/rules.js';
import type { Clock } from '../lib/clock.js';
import { randomHex, randomToken } from '../lib/tokens.js';
import { hasCredentials, isHttpUrl } from '../lib/urls.js';
import { countApiOrdersSince } from '../orders/order.repository.js';
import { BUSINESS_UTC_OFFSET_MINUTES } from '../orders/order.service.js';
import type { Merchant } from './merchant.model.js';
import {
  findMerchantByAppkey,
  findMerchantById,
  insertMerchant,
  listMerchants,
  lockMerchantById,
  rotateMerchantSecret,
  updateMerchant,
} from './merchant.repository.js';

export interface AddMerchantInput {
  name: string;
  notifyUrl: string;
  returnUrl: string;
  timeoutUrl?: string | null;
}

export interface MerchantSettings {
  name?: string;
  notifyUrl?: string;
  returnUrl?: string;
  timeoutUrl?: string | null;
  orderTtl?: number;
  offsetDirection?: string;
  /** Decimal string, e.g. "0.99". */
  maxOffset?: string;
  rotation?: string;
  notifyMethod?: string;
  enabled?: boolean;
  apiEnabled?: boolean;
  alipayEnabled?: boolean;
  wechatEnabled?: boolean;
  dailyQuota?: number | null;
  allowOffline?: boolean;
}

/** How long the previous appsecret keeps verifying requests after a rotation: 1 h – 7 d, 24 h by default. */
export const SECRET_GRACE_MIN_MS = 3600_000;
export const SECRET_GRACE_MAX_MS = 7 * 24 * 3600_000;
export const SECRET_GRACE_DEFAULT_MS = 24 * 3600_000;

/** A grace period as the CLI takes it (`90m`, `24h`, `7d`), in ms; null when it does not read. */
export function parseGrace(text: string): number | null {
  const m = /^([1-9][0-9]{0,5})(m|h|d)$/.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * { m: 60_000, h: 3600_000, d: 24 * 3600_000 }[m[2] as 'm' | 'h' | 'd'];
}

/** How long a merchant looked up by appkey is reused (see `findByAppkey`). */
const MERCHANT_CACHE_MS = 1000;

function url(field: string, value: string): string {
  if (hasCredentials(value)) {
    throw new InvalidInputError(`${field} must not contain a user name or password (https://user:pass@…)`);
  }
  if (!isHttpUrl(value)) throw new InvalidInputError(`${field} must be an http(s) URL`);
  return value;
}

/** Merchants: tenants with appkey/appsecret, callback URLs and settings. */
export class MerchantService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** A new merchant (CLI `merchant add`, the console's merchants page); audited when `by` is given. */
  async add(input: AddMerchantInput, by?: Actor): Promise<Merchant> {
    const name = input.name.trim();
    if (name === '' || name.length > 100) throw new InvalidInputError('name must be 1–100 characters');
    const row = {
      name,
      appkey: randomHex(16),
      appsecret: randomHex(32),
      notify_url: url('notify-url', input.notifyUrl),
      return_url: url('return-url', input.returnUrl),
      timeout_url: input.timeoutUrl ? url('timeout-url', input.timeoutUrl) : null,
      pay_token: randomToken(12),
      // Until a monitor has paired, new merchants may take orders on accounts without a heartbeat.
      allow_offline: 1,
      created_at: this.clock(),
    };
    const id = await transact(this.db, async (trx) => {
      const id = await insertMerchant(trx, row);
      await this.audit(trx, by, 'merchant.add', id, { name });
      return id;
    });
    return this.get(id);
  }

  /** Merchants, newest first, a page at a time (`beforeId`: the last id of the previous page). */
  list(q: { beforeId?: number; limit?: number; search?: string } = {}): Promise<Merchant[]> {
    const limit = q.limit ?? 50;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
      throw new InvalidInputError('A page holds 1 to 1000 merchants.');
    }
    const search = q.search?.trim().slice(0, 100);
    return listMerchants(this.db.kysely, { beforeId: q.beforeId, limit, search: search || undefined });
  }

  /** Orders the merchant's API created today (business day): what its daily quota counts. */
  apiOrdersToday(id: number): Promise<number> {
    return countApiOrdersSince(
      this.db.kysely,
      id,
      startOfLocalDay(this.clock(), BUSINESS_UTC_OFFSET_MINUTES),
    );
  }

  async get(id: number): Promise<Merchant> {
    const m = await findMerchantById(this.db.kysely, id);
    if (!m) throw new NotFoundError(`merchant ${id} not found`);
    return m;
  }

  /**
   * The merchant a signed request names, on every merchant-API call. Kept for a second: a change
   * made in this process applies at once, one made by another process (the CLI) within a second.
   */
  async findByAppkey(appkey: string): Promise<Merchant | null> {
    const now = Date.now();
    const hit = this.byAppkey.get(appkey);
    if (hit && now - hit.at < MERCHANT_CACHE_MS) return hit.merchant;
    const merchant = await findMerchantByAppkey(this.db.kysely, appkey);
    if (merchant) {
      if (this.byAppkey.size >= 10_000) this.byAppkey.clear();
      this.byAppkey.set(appkey, { merchant, at: now });
    }
    return merchant;
  }

  private readonly byAppkey = new Map<string, { merchant: Merchant; at: number }>();

  /** Changes settings; audited (with what changed) when `by` is given. */
  async set(id: number, s: MerchantSettings, by?: Actor): Promise<Merchant> {
    const v: Updateable<MerchantTable> = {};
    if (s.name !== undefined) {
      if (s.name.trim() === '' || s.name.length > 100)
        throw new InvalidInputError('name must be 1–100 characters');
      v.name = s.name.trim();
    }
    if (s.notifyUrl !== undefined) v.notify_url = url('notify-url', s.notifyUrl);
    if (s.returnUrl !== undefined) v.return_url = url('return-url', s.returnUrl);
    if (s.timeoutUrl !== undefined) v.timeout_url = s.timeoutUrl ? url('timeout-url', s.timeoutUrl) : null;
    if (s.orderTtl !== undefined) {
      if (!Number.isInteger(s.orderTtl) || s.orderTtl < 60 || s.orderTtl > 3600) {
        throw new InvalidInputError('order-ttl must be 60–3600 seconds');
      }
      v.order_ttl = s.orderTtl;
    }
    if (s.offsetDirection !== undefined) {
      if (s.offsetDirection !== 'down' && s.offsetDirection !== 'up') {
        throw new InvalidInputError('offset-direction must be down or up');
      }
      v.offset_direction = s.offsetDirection;
    }
    if (s.maxOffset !== undefined) {
      const cents = parseCents(s.maxOffset);
      if (cents === null || cents > 99) throw new InvalidInputError('max-offset must be 0.00–0.99');
      v.max_offset_cents = cents;
    }
    if (s.rotation !== undefined) {
      if (!ROTATIONS.includes(s.rotation as Rotation))
        throw new InvalidInputError('rotation must be smart, even or random');
      v.rotation = s.rotation;
    }
    if (s.notifyMethod !== undefined) {
      const m = s.notifyMethod.toUpperCase();
      if (m !== 'POST' && m !== 'GET') throw new InvalidInputError('notify-method must be POST or GET');
      v.notify_method = m;
    }
    if (s.enabled !== undefined) v.enabled = s.enabled ? 1 : 0;
    if (s.apiEnabled !== undefined) v.api_enabled = s.apiEnabled ? 1 : 0;
    if (s.alipayEnabled !== undefined) v.alipay_enabled = s.alipayEnabled ? 1 : 0;
    if (s.wechatEnabled !== undefined) v.wechat_enabled = s.wechatEnabled ? 1 : 0;
    if (s.allowOffline !== undefined) v.allow_offline = s.allowOffline ? 1 : 0;
    if (s.dailyQuota !== undefined) {
      if (s.dailyQuota !== null && (!Number.isInteger(s.dailyQuota) || s.dailyQuota < 0)) {
        throw new InvalidInputError('daily-quota must be a whole number');
      }
      v.daily_quota = s.dailyQuota;
    }
    if (Object.keys(v).length > 0) {
      await transact(this.db, async (trx) => {
        if (!(await updateMerchant(trx, id, v))) throw new NotFoundError(`merchant ${id} not found`);
        await this.audit(trx, by, 'merchant.set', id, { ...s });
      });
    }
    const merchant = await this.get(id);
    this.byAppkey.delete(merchant.appkey);
    return merchant;
  }

  /**
   * A new appsecret (`shouyin merchant rotate-secret`, the console's settings page). The old one
   * keeps verifying merchant API requests for `graceMs` (1 h – 7 d) so the shop can deploy the
   * new one without refused orders; notifications and return redirects are signed with the new
   * one at once. A rotation during another's grace period ends that grace: only the secret
   * replaced now stays valid beside the new one.
   */
  async rotateSecret(id: number, graceMs: number = SECRET_GRACE_DEFAULT_MS): Promise<Merchant> {
    if (!Number.isInteger(graceMs) || graceMs < SECRET_GRACE_MIN_MS || graceMs > SECRET_GRACE_MAX_MS) {
      throw new InvalidInputError('grace must be between 1 hour and 7 days');
    }
    const rotated = await transact(this.db, async (trx) => {
      const m = await lockMerchantById(trx, id);
      if (!m) throw new NotFoundError(`merchant ${id} not found`);
      const next = { from: m.appsecret, to: randomHex(32), until: this.clock() + graceMs };
      await rotateMerchantSecret(trx, id, next);
      return { ...m, appsecret: next.to, previousAppsecret: next.from, previousSecretUntil: next.until };
    });
    this.byAppkey.delete(rotated.appkey);
    return rotated;
  }

  /** A new token for the quick collection page link: the old link stops working at once. */
  async regeneratePayToken(id: number): Promise<Merchant> {
    if (!(await updateMerchant(this.db.kysely, id, { pay_token: randomToken(12) }))) {
      throw new NotFoundError(`merchant ${id} not found`);
    }
    const merchant = await this.get(id);
    this.byAppkey.delete(merchant.appkey);
    return merchant;
  }

  private async audit(
    trx: Kysely<Database>,
    by: Actor | undefined,
    action: AuditAction,
    merchantId: number,
    detail: Record<string, unknown>,
  ): Promise<void> {
    if (!by) return;
    await insertAudit(trx, {
      at: this.clock(),
      actor: by.actor,
      action,
      subject: `merchant:${merchantId}`,
      detail: by.reason === undefined ? detail : { ...detail, reason: by.reason },
    });
  }
}
