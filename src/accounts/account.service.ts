import { EventEmitter } from 'node:events';
import type { Kysely, Updateable } from 'kysely';
import type { Actor, AuditAction } from '../audit/audit.model.js';
import { insertAudit } from '../audit/audit.repository.js';
import type { Db } from '../db/connect.js';
import { transact } from '../db/tx.js';
import type { AccountTable, Database } from '../db/schema.js';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import { formatCents, parsePositiveCents } from '../domain/money.js';
import { isPaymentType } from '../domain/order-state.js';
import { parseTimeOfDay, startOfLocalDay } from '../domain/rules.js';
import type { Clock } from '../lib/clock.js';
import { randomHex } from '../lib/tokens.js';
import { findMerchantById } from '../merchants/merchant.repository.js';
import { BUSINESS_UTC_OFFSET_MINUTES } from '../orders/order.service.js';
import { decodeQrImage } from '../qrcode/decode.js';
import { fitsInQr } from '../qrcode/png.js';
import type { Account } from './account.model.js';
import {
  accountActivity,
  countFixedCodes,
  findAccountById,
  insertAccount,
  linkVmqPeers,
  listAccounts,
  listFixedCodes,
  recordHeartbeat,
  updateAccount,
  upsertFixedCode,
} from './account.repository.js';
import {
  checkDrawable,
  checkNoConflicts,
  type FixedCodeEntry,
  FixedCodeParseError,
  type FixedCodeUpload,
  fixedCodesFromUploads,
  qrTooLongMessage,
} from './fixed-codes.js';
import { type Pairing, vmqPairing } from './pairing.js';

export interface AddAccountInput {
  merchantId: number;
  type: string;
  name: string;
  /** The receiving QR code's content, or… */
  qrContent?: string;
  /** …an uploaded PNG/JPEG of the code, decoded here. */
  qrImage?: Buffer;
}

/** Changes to an account; absent fields stay as they are, `null` (or `''`) clears a rule. */
export interface AccountSettings {
  name?: string;
  qrContent?: string;
  qrImage?: Buffer;
  /** `"09:00-23:00"` (may wrap midnight: `"22:00-02:00"`); null or `''` = all day. */
  window?: string | null;
  /** Decimal amounts (`"10"`, `"9.90"`); null or `''` = no limit. */
  min?: string | null;
  max?: string | null;
  dailyCap?: string | null;
  vmqEnabled?: boolean;
  /** Account of the other type that takes the V免签 phone's other pushes; null unlinks. */
  vmqPeerId?: number | null;
  enabled?: boolean;
}

const MAX_QR_LENGTH = 2000;

function qrText(content: string | undefined, image: Buffer | undefined): string {
  if (content !== undefined && image !== undefined) {
    throw new InvalidInputError('give the QR code as content or as an image, not both');
  }
  const qr = (image !== undefined ? decodeQrImage(image) : (content ?? '')).trim();
  if (qr === '' || qr.length > MAX_QR_LENGTH) {
    throw new InvalidInputError(`qr must be the receiving QR code content (1–${MAX_QR_LENGTH} characters)`);
  }
  if (!fitsInQr(qr)) throw new InvalidInputError(qrTooLongMessage('the qr content', qr));
  return qr;
}

function optionalAmount(text: string | null, what: string): number | null {
  if (text === null || text.trim() === '') return null;
  const cents = parsePositiveCents(text.trim());
  if (cents === null)
    throw new InvalidInputError(`${what} must be a positive amount with at most 2 decimals`);
  return cents;
}

/** `"09:00-23:00"` → [540, 1380]; null/'' → [null, null]. */
function parseWindow(text: string | null): [number | null, number | null] {
  if (text === null || text.trim() === '') return [null, null];
  const m = /^\s*([0-9]{1,2}:[0-9]{2})\s*-\s*([0-9]{1,2}:[0-9]{2})\s*$/.exec(text);
  const start = m ? parseTimeOfDay(m[1] as string) : null;
  const end = m ? parseTimeOfDay(m[2] as string) : null;
  if (start === null || end === null) {
    throw new InvalidInputError('window must look like 09:00-23:00 (or "" for all day)');
  }
  if (start === end) throw new InvalidInputError('window start and end are equal; use "" for all day');
  return [start, end];
}

/**
 * Receiving accounts of merchants: their QR codes, rules, enabled flag, monitor key and
 * heartbeat. Every change made on an operator's behalf (an `Actor` is given) is audited in the
 * same transaction. Listeners of `onChange` hear about changes made in this process; other
 * processes (the CLI beside a running server) are caught by the readers' own refreshes.
 */
export class AccountService {
  private readonly changes = new EventEmitter();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    this.changes.setMaxListeners(0);
  }

  /** Called after any account's key, protocol flags or existence changed in this process. */
  onChange(fn: (accountId: number) => void): () => void {
    this.changes.on('change', fn);
    return () => this.changes.off('change', fn);
  }

  private changed(id: number) {
    this.changes.emit('change', id);
  }

  async add(input: AddAccountInput, by?: Actor): Promise<Account> {
    if (!isPaymentType(input.type)) throw new InvalidInputError('type must be alipay or wechat');
    const name = input.name.trim();
    if (name === '' || name.length > 100) throw new InvalidInputError('name must be 1–100 characters');
    const qr = qrText(input.qrContent, input.qrImage);
    if (!(await findMerchantById(this.db.kysely, input.merchantId))) {
      throw new NotFoundError(`merchant ${input.merchantId} not found`);
    }
    const now = this.clock();
    const id = await transact(this.db, async (trx) => {
      const id = await insertAccount(trx, {
        merchant_id: input.merchantId,
        type: input.type,
        name,
        qr_content: qr,
        monitor_key: randomHex(16),
        created_at: now,
      });
      await this.audit(trx, by, 'account.add', id, { merchant_id: input.merchantId, type: input.type, name });
      return id;
    });
    this.changed(id);
    return this.get(id);
  }

  async get(id: number): Promise<Account> {
    const a = await findAccountById(this.db.kysely, id);
    if (!a) throw new NotFoundError(`account ${id} not found`);
    return a;
  }

  list(merchantId?: number): Promise<Account[]> {
    return listAccounts(this.db.kysely, merchantId);
  }

  /** How many fixed-amount codes each account has (accounts without any are absent). */
  fixedCodeCounts(): Promise<Map<number, number>> {
    return countFixedCodes(this.db.kysely);
  }

  async fixedCodes(id: number) {
    await this.get(id);
    return listFixedCodes(this.db.kysely, id);
  }

  /**
   * Per account (of one merchant, or all): its newest real payment and today's takings (since
   * 00:00 China time); simulated payments left out. For the console's account list.
   */
  activity(merchantId?: number) {
    const dayStart = startOfLocalDay(this.clock(), BUSINESS_UTC_OFFSET_MINUTES);
    return accountActivity(this.db.kysely, merchantId, dayStart);
  }

  /**
   * The content of an uploaded receiving-code image, checked as `add` and `set` would check it:
   * what the console shows before anything is saved.
   */
  decodeQr(image: Buffer): string {
    return qrText(undefined, image);
  }

  async set(id: number, s: AccountSettings, by?: Actor): Promise<Account> {
    const current = await this.get(id);
    const v: Updateable<AccountTable> = {};
    const detail: Record<string, unknown> = {};
    if (s.name !== undefined) {
      const name = s.name.trim();
      if (name === '' || name.length > 100) throw new InvalidInputError('name must be 1–100 characters');
      v.name = detail.name = name;
    }
    if (s.qrContent !== undefined || s.qrImage !== undefined) {
      v.qr_content = detail.qr = qrText(s.qrContent, s.qrImage);
    }
    if (s.window !== undefined) {
      [v.window_start, v.window_end] = parseWindow(s.window);
      detail.window = s.window === null || s.window.trim() === '' ? null : s.window.trim();
    }
    if (s.min !== undefined) v.min_cents = optionalAmount(s.min, 'min');
    if (s.max !== undefined) v.max_cents = optionalAmount(s.max, 'max');
    if (s.dailyCap !== undefined) v.daily_cap_cents = optionalAmount(s.dailyCap, 'daily-cap');
    for (const [key, col] of [
      ['min', 'min_cents'],
      ['max', 'max_cents'],
      ['daily_cap', 'daily_cap_cents'],
    ] as const) {
      const cents = v[col];
      if (cents !== undefined) detail[key] = cents === null ? null : formatCents(Number(cents));
    }
    const min = v.min_cents !== undefined ? v.min_cents : current.rules.minCents;
    const max = v.max_cents !== undefined ? v.max_cents : current.rules.maxCents;
    if (min !== null && max !== null && Number(min) > Number(max)) {
      throw new InvalidInputError('min must not be above max');
    }
    if (s.vmqEnabled !== undefined) {
      v.vmq_enabled = s.vmqEnabled ? 1 : 0;
      detail.vmq = s.vmqEnabled;
    }
    if (s.enabled !== undefined) {
      v.enabled = s.enabled ? 1 : 0;
      detail.enabled = s.enabled;
    }
    if (s.vmqPeerId !== undefined) {
      detail.vmq_peer_id = s.vmqPeerId;
      await this.checkPeer(current, s.vmqPeerId);
    }
    if (Object.keys(detail).length === 0) return current;
    const action: AuditAction =
      Object.keys(detail).length === 1 && s.enabled !== undefined
        ? s.enabled
          ? 'account.enable'
          : 'account.disable'
        : 'account.set';
    await transact(this.db, async (trx) => {
      if (Object.keys(v).length > 0) await updateAccount(trx, id, v);
      // Both ways, unlinking former peers: a phone belongs to one pair.
      if (s.vmqPeerId !== undefined) await linkVmqPeers(trx, id, s.vmqPeerId);
      await this.audit(trx, by, action, id, detail);
    });
    this.changed(id);
    return this.get(id);
  }

  /** Takes the account out of (or back into) the choice for new orders; payments still count. */
  setEnabled(id: number, enabled: boolean, by?: Actor): Promise<Account> {
    return this.set(id, { enabled }, by);
  }

  private async checkPeer(account: Account, peerId: number | null) {
    if (peerId === null) return;
    if (peerId === account.id) throw new InvalidInputError('an account cannot be its own peer');
    const peer = await findAccountById(this.db.kysely, peerId);
    if (!peer) throw new NotFoundError(`account ${peerId} not found`);
    if (peer.merchantId !== account.merchantId) {
      throw new InvalidInputError('the peer account must belong to the same merchant');
    }
    if (peer.type === account.type) {
      throw new InvalidInputError(`the peer account must be of the other type (this one is ${account.type})`);
    }
  }

  /**
   * Adds or replaces fixed-amount QR codes, all or none. Entries come from a CSV or from images
   * (see `fixed-codes.ts`); images are decoded by the caller through `decodeQrImage`.
   */
  async importFixedCodes(
    id: number,
    entries: readonly FixedCodeEntry[],
    by?: Actor,
  ): Promise<{ account_id: number; imported: number; amounts: string[] }> {
    await this.get(id);
    if (entries.length === 0) throw new InvalidInputError('nothing to import');
    checkNoConflicts(entries);
    checkDrawable(entries);
    await transact(this.db, async (trx) => {
      for (const e of entries) await upsertFixedCode(trx, id, e.amountCents, e.content);
      await this.audit(trx, by, 'account.codes_import', id, {
        amounts: entries.map((e) => formatCents(e.amountCents)),
      });
    });
    return {
      account_id: id,
      imported: entries.length,
      amounts: entries.map((e) => formatCents(e.amountCents)),
    };
  }

  /** `importFixedCodes` from uploaded files (console): CSV files and QR images, all or none. */
  async importFixedCodeUploads(id: number, uploads: readonly FixedCodeUpload[], by?: Actor) {
    await this.get(id);
    const entries = fixedCodesFromUploads(uploads);
    try {
      return await this.importFixedCodes(id, entries, by);
    } catch (err) {
      // Two different codes for one amount: the operator's mistake, said like the others.
      if (err instanceof FixedCodeParseError) {
        throw new InvalidInputError(`nothing imported: ${err.problems.join('; ')}`);
      }
      throw err;
    }
  }

  /**
   * Issues a new monitor key. Every monitor path reads the key from the database (the V免签 index
   * re-checks its match against the row), so the old key is refused at once, in every process.
   */
  async rotateKey(id: number, by?: Actor): Promise<Account> {
    await this.get(id);
    await transact(this.db, async (trx) => {
      const updated = await updateAccount(trx, id, { monitor_key: randomHex(16) });
      if (!updated) throw new NotFoundError(`account ${id} not found`);
      await this.audit(trx, by, 'account.rotate_key', id, {});
    });
    this.changed(id);
    return this.get(id);
  }

  /** The `host/key` string a V免签 app is configured with, and what would keep it from working. */
  async pairing(id: number, publicUrl: string): Promise<{ account: Account; pairing: Pairing }> {
    const account = await this.get(id);
    const pairing = vmqPairing(publicUrl, account.monitorKey);
    if (!account.vmqEnabled) {
      pairing.warnings.unshift(
        `the V免签 protocol is off for this account: shouyin account set ${id} --vmq 1`,
      );
    }
    return { account, pairing };
  }

  /** A monitor proved it is alive for these accounts (called on every authenticated report). */
  heartbeat(accountIds: readonly number[], at = this.clock()): Promise<void> {
    return recordHeartbeat(this.db.kysely, accountIds, at);
  }

  private async audit(
    trx: Kysely<Database>,
    by: Actor | undefined,
    action: AuditAction,
    accountId: number,
    detail: Record<string, unknown>,
  ) {
    if (!by) return;
    await insertAudit(trx, {
      at: this.clock(),
      actor: by.actor,
      action,
      subject: `account:${accountId}`,
      detail: by.reason === undefined ? detail : { ...detail, reason: by.reason },
    });
  }
}
