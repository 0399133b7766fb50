import { parsePositiveCents } from '../domain/money.js';
import { isPaymentType, type PaymentType } from '../domain/order-state.js';

/** Most payments in one request. */
export const MAX_BATCH = 500;
/** Largest request body, in bytes. */
export const MAX_BODY_BYTES = 256 * 1024;
/** How far in the future a payment's `paid_at` may lie (monitor clocks drift). */
const FUTURE_SLACK_SECONDS = 300;

/** One batch item that passed validation, ready to be recorded. */
export interface ValidItem {
  id: string;
  type: PaymentType;
  amountCents: number;
  paidAtMs: number;
  payer: string;
  memo: string;
}

export type ItemCheck = { ok: true; item: ValidItem } | { ok: false; id: string | null; reason: string };

const ID = /^[\x21-\x7e]{1,200}$/;

function idOf(raw: unknown): string | null {
  if (typeof raw === 'string' && ID.test(raw)) return raw;
  // Many monitors number their reports; 12 and "12" are the same report.
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return String(raw);
  return null;
}

function optionalText(v: unknown, max: number): string | null {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string' || v.length > max) return null;
  return v;
}

/**
 * Checks one item of `POST /monitor/v1/payments` against the account it is reported for. Pure:
 * called for each item in turn, so one bad item is refused alone and the others still count.
 */
export function checkItem(raw: unknown, accountType: PaymentType, nowMs: number): ItemCheck {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, id: null, reason: 'item must be an object' };
  }
  const o = raw as Record<string, unknown>;
  const id = idOf(o.id);
  const bad = (reason: string): ItemCheck => ({ ok: false, id, reason });
  if (id === null) return bad('id must be a string of 1–200 printable ASCII characters');
  if (typeof o.type !== 'string' || !isPaymentType(o.type)) return bad('type must be "alipay" or "wechat"');
  if (o.type !== accountType) return bad(`type is ${o.type} but this account is ${accountType}`);
  if (typeof o.amount !== 'string') return bad('amount must be a decimal string like "10.01"');
  const amountCents = parsePositiveCents(o.amount);
  if (amountCents === null)
    return bad('amount must be a positive amount with at most 2 decimals, like "10.01"');
  const paidAt = o.paid_at;
  if (typeof paidAt !== 'number' || !Number.isSafeInteger(paidAt) || paidAt <= 0) {
    return bad('paid_at must be unix seconds (a whole number)');
  }
  if (paidAt > 99_999_999_999) return bad('paid_at must be unix seconds, not milliseconds');
  if (paidAt > Math.floor(nowMs / 1000) + FUTURE_SLACK_SECONDS) return bad('paid_at is in the future');
  const payer = optionalText(o.payer, 200);
  if (payer === null) return bad('payer must be a string of at most 200 characters');
  const memo = optionalText(o.memo, 500);
  if (memo === null) return bad('memo must be a string of at most 500 characters');
  return { ok: true, item: { id, type: o.type, amountCents, paidAtMs: paidAt * 1000, payer, memo } };
}
