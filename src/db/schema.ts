import type { Generated } from 'kysely';

/**
 * Row types of every table, as Kysely sees them. Times are unix milliseconds, amounts integer
 * cents, flags 0/1 integers: the same on SQLite and PostgreSQL.
 */
export interface MerchantTable {
  id: Generated<number>;
  name: string;
  appkey: string;
  appsecret: string;
  notify_url: string;
  return_url: string;
  timeout_url: string | null;
  order_ttl: Generated<number>;
  offset_direction: Generated<string>;
  max_offset_cents: Generated<number>;
  rotation: Generated<string>;
  notify_method: Generated<string>;
  enabled: Generated<number>;
  api_enabled: Generated<number>;
  alipay_enabled: Generated<number>;
  wechat_enabled: Generated<number>;
  daily_quota: number | null;
  allow_offline: Generated<number>;
  pay_token: string;
  created_at: number;
  /** The appsecret before the last rotation; it still verifies requests until `previous_secret_until`. */
  previous_appsecret: string | null;
  previous_secret_until: number | null;
}

export interface AccountTable {
  id: Generated<number>;
  merchant_id: number;
  type: string;
  name: string;
  qr_content: string;
  monitor_key: string;
  enabled: Generated<number>;
  window_start: number | null;
  window_end: number | null;
  min_cents: number | null;
  max_cents: number | null;
  daily_cap_cents: number | null;
  last_heartbeat_at: number | null;
  vmq_enabled: Generated<number>;
  /** The account of the other type that takes this account's V免签 phone's other pushes. */
  vmq_peer_id: number | null;
  created_at: number;
}

export interface AccountCodeTable {
  account_id: number;
  amount_cents: number;
  content: string;
}

export interface CategoryTable {
  id: Generated<number>;
  merchant_id: number;
  name: string;
  sort: number;
}

export interface ProductTable {
  id: Generated<number>;
  merchant_id: number;
  category_id: number | null;
  name: string;
  description: Generated<string>;
  image: Generated<string>;
  price_cents: number;
  stock: number | null;
  enabled: Generated<number>;
  created_at: number;
}

export interface OrderTable {
  id: Generated<number>;
  merchant_id: number;
  account_id: number;
  token: string;
  out_order_id: string;
  kind: string;
  type: string;
  price_cents: number;
  realprice_cents: number;
  product_id: string;
  title: string;
  custom: string;
  fingerprint: string;
  status: string;
  late: Generated<number>;
  created_at: number;
  expires_at: number;
  paid_at: number | null;
  payment_id: number | null;
  /** End of this order's hold on its slot: `expires_at + grace`, or when it was paid if sooner. */
  hold_until: Generated<number>;
  /** Where the order came from: 'api' (a merchant's signed request), 'quick' (the quick collection page). */
  origin: Generated<string>;
  /** The buyer's address, kept for quick-collection orders (per-address limits). */
  client_address: Generated<string>;
  /** 1 when a late payment paid it after its stock was sold to others. */
  oversold: Generated<number>;
  /** The merchant protocol that created it: 'gatepay', 'epay', 'epay2', 'vmq'. */
  protocol: Generated<string>;
  /** Per-order notify URL of a compatibility protocol; '' = the merchant's setting. */
  notify_url: Generated<string>;
  /** Per-order browser return URL of a compatibility protocol; '' = the merchant's setting. */
  return_url: Generated<string>;
  /** JSON object of strings the protocol echoes back (e.g. 易支付 `name`, `param`). */
  protocol_data: Generated<string>;
}

export interface OrderItemTable {
  order_id: number;
  product_id: number;
  quantity: number;
  price_cents: number;
}

export interface SlotTable {
  account_id: number;
  type: string;
  amount_cents: number;
  order_token: string;
  hold_until: number;
}

export interface PaymentTable {
  id: Generated<number>;
  account_id: number;
  type: string;
  amount_cents: number;
  paid_at: number;
  reporter_id: string;
  source: string;
  payer: Generated<string>;
  memo: Generated<string>;
  order_id: number | null;
  late: Generated<number>;
  created_at: number;
  /** Why it is unmatched: 'no_order', 'ambiguous', 'order_paid' ('' when matched). */
  match_note: Generated<string>;
}

export interface NotificationTable {
  id: Generated<number>;
  order_id: number;
  merchant_id: number;
  protocol: string;
  method: string;
  url: string;
  body: string;
  content_type: string;
  success_rule: string;
  webhook_id: string;
  /** `host[:port]` of `url`, lowercase: the unit of per-merchant concurrency. */
  target_host: Generated<string>;
  state: string;
  attempts: Generated<number>;
  next_attempt_at: number;
  lease_until: Generated<number>;
  last_error: Generated<string>;
  created_at: number;
  delivered_at: number | null;
}

export interface NotifyAttemptTable {
  id: Generated<number>;
  notification_id: number;
  started_at: number;
  duration_ms: number;
  status_code: number | null;
  response_snippet: string;
  error: string;
  trigger: string;
}

export interface AuditTable {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  subject: string;
  detail: string;
}

export interface UserTable {
  id: Generated<number>;
  /** Lowercase. */
  email: string;
  password_hash: string;
  role: string;
  merchant_id: number | null;
  totp_secret: string | null;
  totp_pending_secret: string | null;
  totp_last_step: number | null;
  failed_count: Generated<number>;
  failed_since: number | null;
  locked_until: number | null;
  created_at: number;
  disabled: Generated<number>;
}

export interface SessionTable {
  /** SHA-256 (hex) of the cookie's token. */
  id: string;
  user_id: number;
  csrf_secret: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  ip: string;
  user_agent: string;
  revoked_at: number | null;
  reauth_until: number | null;
}

export interface SignInTable {
  id: Generated<number>;
  user_id: number | null;
  email: string;
  ip: string;
  address: string;
  at: number;
  outcome: string;
}

export interface SetupTokenTable {
  /** SHA-256 (hex) of the token in the printed link. */
  token_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** Figures of one business day that can no longer change (see migration 009). */
export interface DashboardDayTable {
  day: number;
  /** 0: the row marking the whole day as stored. */
  merchant_id: number;
  /** 0: the merchant's own row (notification counts). */
  account_id: number;
  created: number;
  created_paid: number;
  paid: number;
  paid_cents: number;
  late: number;
  notified: number;
  notify_failed: number;
  /** 0 in every stored row; counted only while a day is computed. */
  notify_pending: number;
}

export interface DashboardPayTimeTable {
  day: number;
  merchant_id: number;
  bucket: number;
  n: number;
}

export interface DashboardStateTable {
  id: number;
  generation: number;
  scanned_until: number;
}

export interface Database {
  merchants: MerchantTable;
  accounts: AccountTable;
  account_codes: AccountCodeTable;
  categories: CategoryTable;
  products: ProductTable;
  orders: OrderTable;
  order_items: OrderItemTable;
  slots: SlotTable;
  payments: PaymentTable;
  notifications: NotificationTable;
  notify_attempts: NotifyAttemptTable;
  audit_log: AuditTable;
  users: UserTable;
  sessions: SessionTable;
  sign_ins: SignInTable;
  setup_tokens: SetupTokenTable;
  dashboard_days: DashboardDayTable;
  dashboard_pay_times: DashboardPayTimeTable;
  dashboard_state: DashboardStateTable;
}
