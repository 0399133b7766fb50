import type { Db } from '../db/connect.js';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import { formatCents, parsePositiveCents } from '../domain/money.js';
import {
  effectiveStatus,
  isPaymentType,
  ORDER_STATUSES,
  type OrderStatus,
  type PaymentType,
} from '../domain/order-state.js';
import { findAccountById } from '../accounts/account.repository.js';
import type { Clock } from '../lib/clock.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import {
  findAccountNames,
  findNotifyStates,
  listAttachedAtOtherAmount,
  listOrderSlice,
  listPaidAtAmount,
  type OrderListRow,
  type OrderSlice,
} from './order-list.repository.js';
import { BUSINESS_UTC_OFFSET_MINUTES } from './order.service.js';

/** What the console's and the CLI's order lists read from. */
export interface QueryDeps {
  db: Db;
  clock: Clock;
}

export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 50;

/**
 * The orders list's filters as a user gives them (query string, CLI flags): checked here, so
 * both surfaces refuse the same input with the same words.
 */
export interface OrderFilterInput {
  /** null: every merchant (operators only; routes and the CLI decide who may). */
  merchantId: number | null;
  /** The order's state as users see it: an unpaid order past its deadline is expired. */
  state?: string;
  type?: string;
  accountId?: number;
  outOrderId?: string;
  /**
   * "Who paid 9.99?": orders paid by a payment of exactly this amount. Only paid orders match;
   * an unpaid or expired order asking for 9.99 was not paid 9.99 (the payments inbox finds the
   * orders an unmatched payment could belong to).
   */
  paidAmount?: string;
  /** created_at ≥ this (unix ms). */
  createdFrom?: number;
  /** created_at < this (unix ms). */
  createdBefore?: number;
}

/** A checked filter, as the queries use it (exported for the query-plan tests). */
export interface OrderFilter {
  merchantId: number | null;
  state?: OrderStatus;
  type?: PaymentType;
  accountId?: number;
  /** The merchant of `accountId`. */
  accountMerchantId?: number;
  outOrderId?: string;
  paidCents?: number;
  createdFrom?: number;
  createdBefore?: number;
}

/** One row of the orders list (console JSON, CLI `--json`). Amounts as "9.99", times unix ms. */
export interface OrderListItem {
  id: number;
  out_order_id: string;
  merchant_id: number;
  account_id: number;
  account_name: string;
  type: string;
  kind: string;
  origin: string;
  title: string;
  custom: string;
  price: string;
  realprice: string;
  /** What the payment that paid it was (usually the realprice); null unless paid. */
  paid_amount: string | null;
  state: OrderStatus;
  late: boolean;
  oversold: boolean;
  created_at: number;
  expires_at: number;
  paid_at: number | null;
  /** Delivery of its newest merchant notification; null before there is one. */
  notify_state: string | null;
}

export interface OrderPage {
  orders: OrderListItem[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}

const TIME_MAX = 8_640_000_000_000_000;

function checkTime(ms: number | undefined, what: string): number | undefined {
  if (ms === undefined) return undefined;
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > TIME_MAX)
    throw new InvalidInputError(`${what} is not a valid time`);
  return ms;
}

/** Checks a filter and puts it in the form the queries use. */
async function resolveFilter(deps: QueryDeps, input: OrderFilterInput): Promise<OrderFilter> {
  const f: OrderFilter = { merchantId: input.merchantId };
  if (input.state !== undefined && input.state !== '') {
    if (!(ORDER_STATUSES as readonly string[]).includes(input.state)) {
      throw new InvalidInputError('The state must be unpaid, paid or expired.');
    }
    f.state = input.state as OrderStatus;
  }
  if (input.type !== undefined && input.type !== '') {
    if (!isPaymentType(input.type)) throw new InvalidInputError('The payment type must be alipay or wechat.');
    f.type = input.type;
  }
  if (input.outOrderId !== undefined && input.outOrderId !== '') {
    if (input.outOrderId.length > 200) throw new InvalidInputError('The shop order number is too long.');
    f.outOrderId = input.outOrderId;
  }
  if (input.paidAmount !== undefined && input.paidAmount !== '') {
    const cents = parsePositiveCents(input.paidAmount.trim());
    if (cents === null) throw new InvalidInputError('The paid amount must be an amount like 9.99.');
    f.paidCents = cents;
  }
  f.createdFrom = checkTime(input.createdFrom, 'The start of the date range');
  f.createdBefore = checkTime(input.createdBefore, 'The end of the date range');
  if (f.createdFrom !== undefined && f.createdBefore !== undefined && f.createdFrom >= f.createdBefore) {
    throw new InvalidInputError('The date range ends before it starts.');
  }
  if (input.accountId !== undefined) {
    const account = await findAccountById(deps.db.kysely, input.accountId);
    // Another merchant's account is answered like one that does not exist.
    if (!account || (f.merchantId !== null && account.merchantId !== f.merchantId)) {
      throw new NotFoundError('There is no such receiving account.');
    }
    f.accountId = account.id;
    f.accountMerchantId = account.merchantId;
  }
  return f;
}

/**
 * The index-friendly slices whose union is the filtered list. The state users see differs from
 * the stored one for unpaid orders past their deadline that the expirer has not reached yet.
 */
export function slicesOf(
  f: OrderFilter,
  now: number,
  after: OrderSlice['after'],
  limit: number,
): OrderSlice[] {
  const base: OrderSlice = {
    // An account belongs to one merchant (checked in resolveFilter): filtering by both would
    // let the planner pick the merchant's index and read all of its orders. A shop order number
    // or a paid amount is found faster in the merchant's own index, then checked for the account.
    merchantId:
      f.accountId === undefined
        ? f.merchantId
        : f.outOrderId === undefined && f.paidCents === undefined
          ? null
          : (f.accountMerchantId ?? f.merchantId),
    type: f.type,
    accountId: f.accountId,
    outOrderId: f.outOrderId,
    createdFrom: f.createdFrom,
    createdBefore: f.createdBefore,
    after,
    limit,
  };
  switch (f.state) {
    case undefined:
      return [base];
    case 'paid':
      return [{ ...base, status: 'paid' as const }];
    case 'unpaid':
      return [{ ...base, status: 'unpaid' as const, expiresAfter: now }];
    case 'expired':
      return [
        { ...base, status: 'expired' as const },
        { ...base, status: 'unpaid' as const, expiresBy: now },
      ];
  }
}

async function fetchRows(deps: QueryDeps, f: OrderFilter, after: OrderSlice['after'], limit: number) {
  const { kysely } = deps.db;
  const now = deps.clock();
  const parts: Array<Promise<OrderListRow[]>> = [];
  if (f.paidCents !== undefined) {
    if (f.state === undefined || f.state === 'paid') {
      const [slice] = slicesOf({ ...f, state: 'paid' }, now, after, limit) as [OrderSlice];
      parts.push(listPaidAtAmount(kysely, slice, f.paidCents));
      parts.push(listAttachedAtOtherAmount(kysely, slice, f.paidCents));
    }
  } else {
    for (const slice of slicesOf(f, now, after, limit)) parts.push(listOrderSlice(kysely, slice));
  }
  const rows = (await Promise.all(parts)).flat();
  rows.sort((a, b) => Number(b.created_at) - Number(a.created_at) || Number(b.id) - Number(a.id));
  return rows.slice(0, limit);
}

async function toItems(deps: QueryDeps, rows: OrderListRow[]): Promise<OrderListItem[]> {
  const { kysely } = deps.db;
  const now = deps.clock();
  const [accounts, notify] = await Promise.all([
    findAccountNames(kysely, [...new Set(rows.map((r) => Number(r.account_id)))]),
    findNotifyStates(
      kysely,
      rows.map((r) => Number(r.id)),
    ),
  ]);
  return rows.map((r) => ({
    id: Number(r.id),
    out_order_id: r.out_order_id,
    merchant_id: Number(r.merchant_id),
    account_id: Number(r.account_id),
    account_name: accounts.get(Number(r.account_id))?.name ?? '',
    type: r.type,
    kind: r.kind,
    origin: r.origin,
    title: r.title,
    custom: r.custom,
    price: formatCents(Number(r.price_cents)),
    realprice: formatCents(Number(r.realprice_cents)),
    paid_amount: r.status === 'paid' && r.paid_cents !== null ? formatCents(r.paid_cents) : null,
    state: effectiveStatus(r.status as OrderStatus, Number(r.expires_at), now),
    late: r.late === 1,
    oversold: r.oversold === 1,
    created_at: Number(r.created_at),
    expires_at: Number(r.expires_at),
    paid_at: r.paid_at === null ? null : Number(r.paid_at),
    notify_state: notify.get(Number(r.id)) ?? null,
  }));
}

function pageLimit(limit: number | undefined): number {
  const n = limit ?? DEFAULT_PAGE;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_PAGE) {
    throw new InvalidInputError(`A page holds 1 to ${MAX_PAGE} orders.`);
  }
  return n;
}

/**
 * One page of orders, newest first (`created_at desc, id desc`, keyset: no page is ever
 * computed by skipping rows). Called by the console's orders page and `shouyin order list`.
 */
export async function listOrders(
  deps: QueryDeps,
  input: OrderFilterInput,
  page: { cursor?: string; limit?: number } = {},
): Promise<OrderPage> {
  const limit = pageLimit(page.limit);
  const f = await resolveFilter(deps, input);
  const after = page.cursor ? keyOf(decodeCursor(page.cursor, 2)) : undefined;
  const rows = await fetchRows(deps, f, after, limit + 1);
  const more = rows.length > limit;
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    orders: await toItems(deps, shown),
    next_cursor: more && last ? encodeCursor([Number(last.created_at), Number(last.id)]) : null,
  };
}

function keyOf([createdAt, id]: number[]) {
  return { createdAt: createdAt as number, id: id as number };
}

// ---- CSV export ----

const CSV_BATCH = 500;

type Lang = 'zh-CN' | 'en';

/** Words for the coded columns, so a shop owner's spreadsheet reads without a legend. */
const CSV_WORDS: Record<Lang, Record<string, string>> = {
  'zh-CN': {
    unpaid: '未支付',
    paid: '已支付',
    expired: '已过期',
    alipay: '支付宝',
    wechat: '微信',
    pending: '发送中',
    delivered: '已送达',
    failed: '失败',
    yes: '是',
  },
  en: {
    unpaid: 'unpaid',
    paid: 'paid',
    expired: 'expired',
    alipay: 'Alipay',
    wechat: 'WeChat',
    pending: 'pending',
    delivered: 'delivered',
    failed: 'failed',
    yes: 'yes',
  },
};

const CSV_COLUMNS: Array<{
  en: string;
  zh: string;
  value: (o: OrderListItem, w: Record<string, string>) => string;
}> = [
  { en: 'Order ID', zh: '订单号', value: (o) => String(o.id) },
  { en: 'Shop order number', zh: '商户订单号', value: (o) => o.out_order_id },
  { en: 'Merchant ID', zh: '商户ID', value: (o) => String(o.merchant_id) },
  { en: 'State', zh: '状态', value: (o, w) => w[o.state] ?? o.state },
  { en: 'Type', zh: '支付方式', value: (o, w) => w[o.type] ?? o.type },
  { en: 'Price', zh: '订单金额', value: (o) => o.price },
  { en: 'Amount to pay', zh: '实付金额', value: (o) => o.realprice },
  { en: 'Paid amount', zh: '到账金额', value: (o) => o.paid_amount ?? '' },
  { en: 'Account', zh: '收款账户', value: (o) => o.account_name },
  { en: 'Account ID', zh: '收款账户ID', value: (o) => String(o.account_id) },
  { en: 'Created (UTC+8)', zh: '创建时间 (UTC+8)', value: (o) => chinaTime(o.created_at) },
  {
    en: 'Paid (UTC+8)',
    zh: '支付时间 (UTC+8)',
    value: (o) => (o.paid_at === null ? '' : chinaTime(o.paid_at)),
  },
  { en: 'Expires (UTC+8)', zh: '过期时间 (UTC+8)', value: (o) => chinaTime(o.expires_at) },
  { en: 'Late', zh: '超时到账', value: (o, w) => (o.late ? (w.yes as string) : '') },
  {
    en: 'Notification',
    zh: '通知状态',
    value: (o, w) => (o.notify_state === null ? '' : (w[o.notify_state] ?? o.notify_state)),
  },
  { en: 'Title', zh: '商品', value: (o) => o.title },
  { en: 'Custom', zh: '自定义参数', value: (o) => o.custom },
];

/** `2024-05-01 16:00:00`: China time, the business time zone (the header names it). */
export function chinaTime(ms: number): string {
  const iso = new Date(ms + BUSINESS_UTC_OFFSET_MINUTES * 60_000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/**
 * One CSV field. Quoted when it holds a separator, quote or line break; text that a spreadsheet
 * would run as a formula (`=`, `+`, `-`, `@`, tab, CR first: out_order_id and custom come from
 * buyers and shops) gets a leading `'` so opening the file never runs anything.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * The filtered list as CSV, every page, streamed in batches of 500 (memory stays flat for a
 * million rows). UTF-8 with a byte-order mark so Excel reads the Chinese right; header row in
 * the console's language. Input is checked before the first byte, so a bad filter is a clean 400.
 */
export async function exportOrdersCsv(
  deps: QueryDeps,
  input: OrderFilterInput,
  lang: Lang,
): Promise<AsyncIterable<string>> {
  const f = await resolveFilter(deps, input);
  const words = CSV_WORDS[lang];
  const header = CSV_COLUMNS.map((c) => csvField(lang === 'en' ? c.en : c.zh)).join(',');
  return (async function* () {
    yield `\uFEFF${header}\r\n`;
    let after: OrderSlice['after'];
    for (;;) {
      const rows = await fetchRows(deps, f, after, CSV_BATCH);
      if (rows.length === 0) return;
      const items = await toItems(deps, rows);
      yield items.map((o) => `${CSV_COLUMNS.map((c) => csvField(c.value(o, words))).join(',')}\r\n`).join('');
      if (rows.length < CSV_BATCH) return;
      const last = rows.at(-1) as OrderListRow;
      after = { createdAt: Number(last.created_at), id: Number(last.id) };
    }
  })();
}
