import type { Updateable } from 'kysely';
import type { Db } from '../db/connect.js';
import type { MerchantTable } from '../db/schema.js';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import { parseCents } from '../domain/money.js';
import { ROTATIONS, type Rotation } from '../domain/rotation.js';
import type { Clock } from '../lib/clock.js';
import { randomHex, randomToken } from '../lib/tokens.js';
import { hasCredentials, isHttpUrl } from '../lib/urls.js';
import type { Merchant } from './merchant.model.js';
import {
  findMerchantByAppkey,
  findMerchantById,
  insertMerchant,
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

  async add(input: AddMerchantInput): Promise<Merchant> {
    const name = input.name.trim();
    if (name === '' || name.length > 100) throw new InvalidInputError('name must be 1–100 characters');
    const id = await insertMerchant(this.db.kysely, {
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
    });
    return this.get(id);
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

  async set(id: number, s: MerchantSettings): Promise<Merchant> {
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
    if (Object.keys(v).length > 0 && !(await updateMerchant(this.db.kysely, id, v))) {
      throw new NotFoundError(`merchant ${id} not found`);
    }
    const merchant = await this.get(id);
    this.byAppkey.delete(merchant.appkey);
    return merchant;
  }
}
