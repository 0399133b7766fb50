import type { Account } from '../../accounts/account.model.js';
import { findAccountById, listVmqKeys } from '../../accounts/account.repository.js';
import { formatCentsPhp, parseJavaDoubleCents } from '../../domain/money.js';
import type { PaymentType } from '../../domain/order-state.js';
import { md5 } from '../../domain/sign.js';
import type { RawParams } from '../../http/params.js';
import { takesPayments } from '../../monitor/payment-gate.js';
import type { Services } from '../../services.js';
import { VmqKeyIndex } from './vmq-key-index.js';

/** What the app shows; it never retries, whatever the answer. */
export type VmqAnswer = { code: 1; msg: '成功'; data: null } | { code: -1; msg: string };

export const VMQ_OK: VmqAnswer = { code: 1, msg: '成功', data: null };
/** The original server's messages where it has one (spec/compat-vmq.md). */
export const VMQ_BAD_SIGN: VmqAnswer = { code: -1, msg: '签名校验不通过' };
export const VMQ_STALE: VmqAnswer = { code: -1, msg: '客户端时间错误' };
export const VMQ_REPLAY: VmqAnswer = { code: -1, msg: '重复推送' };
/** The account is disabled and has no order open or in grace (src/monitor/payment-gate.ts). */
export const VMQ_DISABLED: VmqAnswer = { code: -1, msg: '收款账户已停用，且没有待支付的订单' };
const refuse = (msg: string): VmqAnswer => ({ code: -1, msg });

/**
 * The amount as the app prints it, Java's `String.valueOf(double)` (`10.5`, `100.0`, `10.01`),
 * whatever spelling was sent: one price, one replay key, and the key the app's pushes always had.
 */
function replayPrice(cents: number): string {
  const php = formatCentsPhp(cents);
  return php.includes('.') ? php : `${php}.0`;
}

/** A request whose `t` is further than this from the server's clock is refused (replay window). */
export const VMQ_WINDOW_MS = 5 * 60_000;

/** A push refreshes the account's heartbeat only when the last one is older than this. */
const PUSH_HEARTBEAT_SLACK_MS = 10_000;

const VMQ_TYPES: Record<string, PaymentType> = { '1': 'wechat', '2': 'alipay' };

function param(params: RawParams, name: string): string | undefined {
  const v = params[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The V免签 Android monitor app's side of the protocol (spec/compat-vmq.md "Monitor app"):
 * heartbeats and payment pushes, signed with md5 over the fields and the account's key. The key
 * is found by `VmqKeyIndex`; a replay of a push within the time window maps to the same
 * `reporter_id`, which the payments table's unique constraint turns into a no-op.
 */
export class VmqMonitor {
  readonly index: VmqKeyIndex;

  constructor(
    private readonly services: Services,
    private readonly log: { warn(obj: unknown, msg: string): void },
    index?: VmqKeyIndex,
  ) {
    this.index = index ?? new VmqKeyIndex({ load: () => listVmqKeys(services.db.kysely) });
    services.accounts.onChange((id) => {
      this.index.markStale();
      this.index.forget(id);
    });
  }

  /** `GET /appHeart?t=&sign=`, sign = md5(t + key). Marks the account (and its peer) online. */
  async heartbeat(params: RawParams, address: string): Promise<VmqAnswer> {
    const t = param(params, 't');
    const sign = param(params, 'sign');
    if (t === undefined || sign === undefined) return refuse('参数错误: t, sign');
    const problem = this.checkTime(t) ?? this.checkSign(sign);
    if (problem) return problem;
    const account = await this.signer(address, t, sign.toLowerCase());
    if (!account) return VMQ_BAD_SIGN;
    await this.services.accounts.heartbeat(this.withPeer(account), this.services.clock());
    return VMQ_OK;
  }

  /** `GET /appPush?t=&type=&price=&sign=`, sign = md5(type + price + t + key). */
  async push(params: RawParams, address: string): Promise<VmqAnswer> {
    const t = param(params, 't');
    const typeCode = param(params, 'type');
    const price = param(params, 'price');
    const sign = param(params, 'sign');
    if (t === undefined || typeCode === undefined || price === undefined || sign === undefined) {
      return refuse('参数错误: t, type, price, sign');
    }
    const problem = this.checkTime(t) ?? this.checkSign(sign);
    if (problem) return problem;
    const type = VMQ_TYPES[typeCode];
    if (type === undefined) return refuse('参数错误: type 只能是 1(微信) 或 2(支付宝)');
    // Checked before the key lookup; the signature is over the string as received.
    const cents = parseJavaDoubleCents(price);
    if (cents === null || cents <= 0) return refuse('金额格式错误');
    const account = await this.signer(address, typeCode + price + t, sign.toLowerCase());
    if (!account) return VMQ_BAD_SIGN;

    const target = await this.accountFor(account, type);
    const now = this.services.clock();
    // A push proves the phone is alive too; skip the write when a heartbeat just said so.
    if (account.lastHeartbeatAt === null || now - account.lastHeartbeatAt > PUSH_HEARTBEAT_SLACK_MS) {
      await this.services.accounts.heartbeat(this.withPeer(account), now);
    }
    if (!(await takesPayments(this.services, target, now))) return VMQ_DISABLED;
    const r = await this.services.payments.record({
      accountId: target.id,
      type,
      amountCents: cents,
      paidAt: Number(t),
      // By amount, not by the string: `10.5` and `10.50` are one price, so one replay key.
      reporterId: `vmq:${t}:${typeCode}:${replayPrice(cents)}`,
      source: 'vmq',
    });
    return r.outcome === 'duplicate' ? VMQ_REPLAY : VMQ_OK;
  }

  private checkTime(t: string): VmqAnswer | null {
    if (!/^[0-9]{13}$/.test(t)) return refuse('参数错误: t 应为 13 位毫秒时间戳');
    return Math.abs(Number(t) - this.services.clock()) > VMQ_WINDOW_MS ? VMQ_STALE : null;
  }

  private checkSign(sign: string): VmqAnswer | null {
    return /^[0-9a-fA-F]{32}$/.test(sign) ? null : VMQ_BAD_SIGN;
  }

  /**
   * The account whose key produced `sign`, confirmed against its current row (the index may be a
   * moment behind a change made by another process); null when nobody's key does.
   */
  private async signer(address: string, prefix: string, sign: string): Promise<Account | null> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const id = await this.index.find(address, prefix, sign);
      if (id === null) return null;
      const account = await findAccountById(this.services.db.kysely, id);
      if (account && account.vmqEnabled && md5(prefix + account.monitorKey) === sign) return account;
      this.index.forget(id);
      this.index.markStale();
    }
    return null;
  }

  /**
   * One phone reports both Alipay and WeChat but is paired with one account's key: a push of the
   * other type goes to that account's peer. Without a suitable peer it stays on the signer's
   * account, where it is kept unmatched for an operator (never dropped).
   */
  private async accountFor(account: Account, type: PaymentType): Promise<Account> {
    if (account.type === type) return account;
    if (account.vmqPeerId !== null) {
      const peer = await findAccountById(this.services.db.kysely, account.vmqPeerId);
      if (peer && peer.type === type && peer.merchantId === account.merchantId) return peer;
    }
    this.log.warn(
      { accountId: account.id, type },
      `V免签 push of type ${type} for ${account.type} account ${account.id} without a ${type} peer: kept unmatched`,
    );
    return account;
  }

  private withPeer(account: Account): number[] {
    return account.vmqPeerId === null ? [account.id] : [account.id, account.vmqPeerId];
  }
}
