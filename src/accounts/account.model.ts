import type { Selectable } from 'kysely';
import type { AccountTable } from '../db/schema.js';
import type { PaymentType } from '../domain/order-state.js';
import type { AccountRules } from '../domain/rules.js';

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
    createdAt: Number(r.created_at),
  };
}

/** Online = a heartbeat within the last `offlineAfterSeconds`. */
export function isOnline(a: Account, now: number, offlineAfterSeconds: number): boolean {
  return a.lastHeartbeatAt !== null && now - a.lastHeartbeatAt <= offlineAfterSeconds * 1000;
}
