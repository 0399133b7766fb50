import type { Selectable } from 'kysely';
import type { AccountTable } from '../db/schema.js';
import { formatCents } from '../domain/money.js';
import type { PaymentType } from '../domain/order-state.js';
import { type AccountRules, formatTimeOfDay } from '../domain/rules.js';

/** A receiving account: one personal Alipay or WeChat account buyers pay into. */
export interface Account {
  id: number;
  merchantId: number;
  type: PaymentType;
  name: string;
  qrContent: string;
  monitorKey: string;
  enabled: boolean;
  rules: AccountRules;
  lastHeartbeatAt: number | null;
  vmqEnabled: boolean;
  /** The account of the other type that takes this account's V免签 phone's other pushes. */
  vmqPeerId: number | null;
  createdAt: number;
}

export function accountFromRow(r: Selectable<AccountTable>): Account {
  return {
    id: Number(r.id),
    merchantId: Number(r.merchant_id),
    type: r.type as PaymentType,
    name: r.name,
    qrContent: r.qr_content,
    monitorKey: r.monitor_key,
    enabled: r.enabled === 1,
    rules: {
      windowStart: r.window_start,
      windowEnd: r.window_end,
      minCents: r.min_cents === null ? null : Number(r.min_cents),
      maxCents: r.max_cents === null ? null : Number(r.max_cents),
      dailyCapCents: r.daily_cap_cents === null ? null : Number(r.daily_cap_cents),
    },
    lastHeartbeatAt: r.last_heartbeat_at === null ? null : Number(r.last_heartbeat_at),
    vmqEnabled: r.vmq_enabled === 1,
    vmqPeerId: r.vmq_peer_id === null || r.vmq_peer_id === undefined ? null : Number(r.vmq_peer_id),
    createdAt: Number(r.created_at),
  };
}

/** Online = a heartbeat within the last `offlineAfterSeconds`. */
export function isOnline(a: Account, now: number, offlineAfterSeconds: number): boolean {
  return a.lastHeartbeatAt !== null && now - a.lastHeartbeatAt <= offlineAfterSeconds * 1000;
}

/** `"09:00-23:00"`, or null when the account takes orders all day. */
export function formatWindow(rules: AccountRules): string | null {
  if (rules.windowStart === null || rules.windowEnd === null || rules.windowStart === rules.windowEnd) {
    return null;
  }
  return `${formatTimeOfDay(rules.windowStart)}-${formatTimeOfDay(rules.windowEnd)}`;
}

/**
 * An account as operators see it (CLI `--json`, console): amounts as decimal strings, no monitor
 * key (`account pair` shows that on purpose).
 */
export function accountView(a: Account, now: number, offlineAfterSeconds: number, codes?: number) {
  const money = (c: number | null) => (c === null ? null : formatCents(c));
  return {
    id: a.id,
    merchant_id: a.merchantId,
    type: a.type,
    name: a.name,
    enabled: a.enabled,
    online: isOnline(a, now, offlineAfterSeconds),
    last_heartbeat_at: a.lastHeartbeatAt === null ? null : new Date(a.lastHeartbeatAt).toISOString(),
    window: formatWindow(a.rules),
    min: money(a.rules.minCents),
    max: money(a.rules.maxCents),
    daily_cap: money(a.rules.dailyCapCents),
    vmq: a.vmqEnabled,
    vmq_peer_id: a.vmqPeerId,
    qr: a.qrContent,
    ...(codes === undefined ? {} : { fixed_codes: codes }),
  };
}
