import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';
import type { AddressCategory } from '../domain/ssrf-address.js';
import { formatCents } from '../domain/money.js';
import { signaturesEqual } from '../domain/sign.js';
import type { Clock } from '../lib/clock.js';
import { appendQuery } from '../lib/urls.js';
import { checkTarget, refusedAddress, type ResolveAll } from '../notify/target-check.js';
import { sendTestNotification, type TestNotificationResult } from '../notify/test-notification.js';
import { AuthError } from '../users/user.errors.js';
import type { Merchant } from './merchant.model.js';
import type { MerchantService } from './merchant.service.js';
import { findLatestGatepayNotification } from './merchant-settings.repository.js';
import {
  compareSign,
  notifySignSteps,
  type SignComparison,
  type SignSteps,
} from '../protocols/gatepay/sign-helper.js';

export type UrlField = 'notify_url' | 'return_url' | 'timeout_url';

/**
 * A saved URL that will not work as the shop expects. A warning, not a refusal: LAN installs
 * and tests use such URLs on purpose (with ALLOW_PRIVATE_CALLBACKS=1).
 * - `refused_address`: the notify URL is (or resolves to) an internal address; the push
 *   network's SSRF guard will refuse every notification to it.
 * - `private_address`: a return or timeout URL on an internal address, which buyers' browsers
 *   outside that network cannot open.
 * - `unresolvable`: the host has no address (yet).
 */
export interface UrlWarning {
  field: UrlField;
  code: 'refused_address' | 'private_address' | 'unresolvable';
  host: string;
  address: string | null;
  category: AddressCategory | null;
  message: string;
}

/** The settings page (账户配置) of one merchant. */
export interface SettingsView {
  merchantId: number;
  name: string;
  appkey: string;
  notifyUrl: string;
  returnUrl: string;
  timeoutUrl: string | null;
  orderTtl: number;
  offsetDirection: string;
  /** Decimal string, "0.99". */
  maxOffset: string;
  rotation: string;
  notifyMethod: string;
  alipayEnabled: boolean;
  wechatEnabled: boolean;
  payToken: string;
  /** The quick collection page's link. */
  payLink: string;
  /** While a rotated-out secret still verifies requests: until when; null otherwise. */
  previousSecretUntil: number | null;
  warnings: UrlWarning[];
}

/** What the settings page saves: the URLs always, the rest when given. */
export interface SettingsInput {
  notifyUrl: string;
  returnUrl: string;
  timeoutUrl?: string | null;
  orderTtl?: number;
  offsetDirection?: string;
  maxOffset?: string;
  rotation?: string;
  notifyMethod?: string;
  alipayEnabled?: boolean;
  wechatEnabled?: boolean;
}

export interface SignatureHelp {
  notification: {
    id: number;
    orderId: number;
    outOrderId: string;
    method: string;
    createdAt: number;
  };
  steps: SignSteps;
  /** The sign the notification carried. */
  sentSign: string;
  /** Which of the merchant's secrets signed it ('other': one rotated out since). */
  signedWith: 'current' | 'previous' | 'other';
}

/** Test notifications per merchant per minute: enough to fix an endpoint, too few to flood one. */
export const TEST_NOTIFICATIONS_PER_MINUTE = 10;

/**
 * The console's settings page: the merchant's URLs (saved through `MerchantService.set`, the
 * rules the CLI applies), warnings about URLs that will not work, a test notification, the
 * signature helper, the secret and its rotation, the quick collection link.
 */
export class MerchantSettingsService {
  private readonly testsSent = new Map<number, number[]>();

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly merchants: MerchantService,
    /** DNS for the URL warnings; the system resolver by default (tests pass their own). */
    private readonly resolve?: ResolveAll,
  ) {}

  async view(merchantId: number): Promise<SettingsView> {
    return this.toView(await this.merchants.get(merchantId));
  }

  async save(merchantId: number, input: SettingsInput): Promise<SettingsView> {
    const m = await this.merchants.set(merchantId, {
      notifyUrl: input.notifyUrl,
      returnUrl: input.returnUrl,
      timeoutUrl: input.timeoutUrl,
      orderTtl: input.orderTtl,
      offsetDirection: input.offsetDirection,
      maxOffset: input.maxOffset,
      rotation: input.rotation,
      notifyMethod: input.notifyMethod,
      alipayEnabled: input.alipayEnabled,
      wechatEnabled: input.wechatEnabled,
    });
    return this.toView(m);
  }

  private async toView(m: Merchant): Promise<SettingsView> {
    const now = this.clock();
    return {
      merchantId: m.id,
      name: m.name,
      appkey: m.appkey,
      notifyUrl: m.notifyUrl,
      returnUrl: m.returnUrl,
      timeoutUrl: m.timeoutUrl,
      orderTtl: m.orderTtl,
      offsetDirection: m.offsetDirection,
      maxOffset: formatCents(m.maxOffsetCents),
      rotation: m.rotation,
      notifyMethod: m.notifyMethod,
      alipayEnabled: m.alipayEnabled,
      wechatEnabled: m.wechatEnabled,
      payToken: m.payToken,
      payLink: this.payLink(m),
      previousSecretUntil:
        m.previousSecretUntil !== null && m.previousSecretUntil > now ? m.previousSecretUntil : null,
      warnings: await this.warnings(m),
    };
  }

  private payLink(m: Merchant): string {
    return appendQuery(`${this.config.publicUrl}/pay/any`, { appkey: m.appkey, token: m.payToken });
  }

  /** Resolves each URL's host (in parallel, each bounded) and says what will not work. */
  async warnings(m: Pick<Merchant, 'notifyUrl' | 'returnUrl' | 'timeoutUrl'>): Promise<UrlWarning[]> {
    const urls: Array<[UrlField, string | null]> = [
      ['notify_url', m.notifyUrl],
      ['return_url', m.returnUrl],
      ['timeout_url', m.timeoutUrl],
    ];
    const found = await Promise.all(
      urls.map(async ([field, url]) => (url ? this.warningFor(field, url) : null)),
    );
    return found.filter((w): w is UrlWarning => w !== null);
  }

  private async warningFor(field: UrlField, url: string): Promise<UrlWarning | null> {
    let check;
    try {
      check = await checkTarget(url, this.resolve);
    } catch {
      return null; // not a URL: saving refused it already, an old row is shown as it is
    }
    const { host } = check;
    if (check.error !== null) {
      return {
        field,
        code: 'unresolvable',
        host,
        address: null,
        category: null,
        message: `${host} cannot be resolved (${check.error}): nothing can reach it until its DNS answers.`,
      };
    }
    if (this.config.allowPrivateCallbacks) return null;
    const refused = refusedAddress(check);
    if (refused === null) return null;
    const where = refused.address === host ? host : `${host} (${refused.address})`;
    return field === 'notify_url'
      ? {
          field,
          code: 'refused_address',
          host,
          ...refused,
          message: `${where} is a ${refused.category} address: this gateway refuses to send notifications there, so every notification will fail. Use a public address, or ask the operator to allow private callbacks.`,
        }
      : {
          field,
          code: 'private_address',
          host,
          ...refused,
          message: `${where} is a ${refused.category} address: buyers' browsers outside that network cannot open it.`,
        };
  }

  /**
   * "Send test notification": a signed sample to the saved notify URL, now (see
   * `sendTestNotification`). At most `TEST_NOTIFICATIONS_PER_MINUTE` per merchant, one at a time.
   */
  async sendTest(merchantId: number): Promise<TestNotificationResult> {
    const merchant = await this.merchants.get(merchantId);
    const now = this.clock();
    const recent = (this.testsSent.get(merchantId) ?? []).filter((at) => at > now - 60_000);
    if (recent.length >= TEST_NOTIFICATIONS_PER_MINUTE) {
      const wait = Math.max(1, Math.ceil(((recent[0] as number) + 60_000 - now) / 1000));
      throw new AuthError(
        'rate_limited',
        `Too many test notifications: wait ${wait} seconds and try again.`,
        wait,
      );
    }
    recent.push(now);
    this.testsSent.set(merchantId, recent);
    return sendTestNotification(merchant, this.config, now);
  }

  /** The signature helper for the merchant's newest notification; null before there is one. */
  async signatureHelp(merchantId: number): Promise<SignatureHelp | null> {
    const m = await this.merchants.get(merchantId);
    const row = await findLatestGatepayNotification(this.db.kysely, merchantId);
    if (!row) return null;
    const params = Object.fromEntries(
      new URLSearchParams(row.method === 'GET' ? new URL(row.url).search : row.body),
    );
    const sentSign = params.sign ?? '';
    const appkey = params.appkey ?? m.appkey;
    const current = notifySignSteps(appkey, params, m.appsecret);
    let steps = current;
    let signedWith: SignatureHelp['signedWith'] = signaturesEqual(sentSign, current.sign)
      ? 'current'
      : 'other';
    if (signedWith === 'other' && m.previousAppsecret !== null) {
      const previous = notifySignSteps(appkey, params, m.previousAppsecret);
      if (signaturesEqual(sentSign, previous.sign)) {
        steps = previous;
        signedWith = 'previous';
      }
    }
    return {
      notification: {
        id: Number(row.id),
        orderId: Number(row.order_id),
        outOrderId: row.out_order_id,
        method: row.method,
        createdAt: Number(row.created_at),
      },
      steps,
      sentSign,
      signedWith,
    };
  }

  /** Compares the sign (and string) the shop computed for the newest notification with the real one. */
  async checkSignature(
    merchantId: number,
    pasted: { sign: string; string?: string },
  ): Promise<{ help: SignatureHelp | null; comparison: SignComparison | null }> {
    const help = await this.signatureHelp(merchantId);
    if (help === null) return { help, comparison: null };
    const m = await this.merchants.get(merchantId);
    const [secret, other] =
      help.signedWith === 'previous'
        ? [m.previousAppsecret as string, m.appsecret]
        : [m.appsecret, m.previousAppsecret];
    return { help, comparison: compareSign(help.steps, secret, other, pasted) };
  }

  /** The appsecret, for the console's reveal (the route demands a fresh re-authentication). */
  async secret(merchantId: number): Promise<{ appsecret: string; previousSecretUntil: number | null }> {
    const m = await this.merchants.get(merchantId);
    const until =
      m.previousSecretUntil !== null && m.previousSecretUntil > this.clock() ? m.previousSecretUntil : null;
    return { appsecret: m.appsecret, previousSecretUntil: until };
  }

  async rotateSecret(merchantId: number, graceMs: number) {
    const m = await this.merchants.rotateSecret(merchantId, graceMs);
    return { appsecret: m.appsecret, previousSecretUntil: m.previousSecretUntil as number };
  }

  async regeneratePayToken(merchantId: number): Promise<SettingsView> {
    return this.toView(await this.merchants.regeneratePayToken(merchantId));
  }
}
