import { t } from './i18n';

/**
 * The one client of the admin API (`/admin/api/…`). Every call is JSON over `fetch` with the
 * session cookie; state-changing calls carry the CSRF token the session answer handed out.
 * Failures are `ApiError`s with the server's `error` code; `errorMessage` turns them into words.
 * Pages add their typed calls at the bottom, one function per endpoint.
 */

export const API_BASE = '/admin/api';

export type Role = 'operator' | 'merchant';

export interface User {
  id: number;
  email: string;
  role: Role;
  merchant_id: number | null;
  totp_enabled: boolean;
}

export interface Session {
  user: User;
  csrf_token: string;
}

/** A refused or failed call: HTTP status (0 when the server could not be reached) and the code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    /** Seconds until trying again makes sense (lockouts, rate limits), when the server said. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;

/** Remembers the CSRF token of the current session (from `GET /session` or sign-in). */
export function setCsrfToken(token: string | null) {
  csrfToken = token;
}

type Listener = (err: ApiError) => void;
let onUnauthenticated: Listener | null = null;

/** Called on every 401, so the app can send the user to the sign-in page. */
export function setUnauthenticatedHandler(listener: Listener | null) {
  onUnauthenticated = listener;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Query = Record<string, string | number | boolean | null | undefined>;

function urlOf(path: string, query?: Query): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) qs.set(k, String(v));
  const s = qs.toString();
  return `${API_BASE}${path}${s ? `?${s}` : ''}`;
}

function retryAfterOf(res: Response, body: Record<string, unknown> | null): number | null {
  const fromBody = body?.retry_after;
  if (typeof fromBody === 'number' && fromBody >= 0) return fromBody;
  const header = Number(res.headers.get('retry-after'));
  return res.headers.has('retry-after') && Number.isFinite(header) && header >= 0 ? header : null;
}

/** One call. `path` is below `/admin/api`, e.g. `/orders`. */
export async function request<T>(
  method: Method,
  path: string,
  opts: { query?: Query; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(urlOf(path, opts.query), {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'The server could not be reached.');
  }
  const text = await res.text();
  let body: unknown = null;
  if (text !== '' && (res.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!res.ok) {
    const b = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : null;
    const err = new ApiError(
      res.status,
      typeof b?.error === 'string' ? b.error : res.status >= 500 ? 'server' : `http_${res.status}`,
      typeof b?.message === 'string' ? b.message : res.statusText,
      retryAfterOf(res, b),
    );
    if (res.status === 401) onUnauthenticated?.(err);
    throw err;
  }
  return body as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, signal }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body: body ?? {} }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body: body ?? {} }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body: body ?? {} }),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

const minutes = (seconds: number) => Math.max(1, Math.ceil(seconds / 60));

/** What went wrong, in the current language, in words a shop owner understands. */
export function errorMessage(err: unknown): string {
  if (!(err instanceof ApiError))
    return t('error.unknown', { message: String((err as Error)?.message ?? err) });
  switch (err.error) {
    case 'network':
    case 'bad_credentials':
    case 'totp_invalid':
    case 'unauthenticated':
    case 'csrf':
    case 'forbidden':
    case 'not_found':
    case 'setup_invalid':
    case 'disabled':
    case 'bad_password':
    case 'reauth_required':
    case 'conflict':
    case 'unavailable':
      return t(`error.${err.error}`);
    case 'locked':
    case 'rate_limited':
      return err.retryAfterSeconds === null
        ? t(`error.${err.error}_soon`)
        : t(`error.${err.error}`, { minutes: minutes(err.retryAfterSeconds) });
    case 'invalid_input':
      return t('error.invalid_input', { message: err.message });
  }
  if (err.status === 429) return t('error.rate_limited_soon');
  if (err.status >= 500) return t('error.server');
  return t('error.unknown', { message: err.message });
}

// ---- session and first-run setup (src/console auth routes) ----

/** The signed-in user and a fresh CSRF token; 401 when nobody is signed in. */
export async function getSession(): Promise<Session> {
  const s = await api.get<Session>('/session');
  setCsrfToken(s.csrf_token);
  return s;
}

/** Signs in; `totp` only after the server answered `totp_required`. */
export async function signIn(body: { email: string; password: string; totp?: string }): Promise<Session> {
  const s = await api.post<Session>('/sign-in', body);
  setCsrfToken(s.csrf_token);
  return s;
}

export async function signOut(): Promise<void> {
  try {
    await api.post('/sign-out');
  } finally {
    setCsrfToken(null);
  }
}

/** Whether a first-run setup link still works. */
export function checkSetupToken(token: string): Promise<{ valid: boolean }> {
  return api.get<{ valid: boolean }>('/setup', { token });
}

/** Creates the operator from a setup link. May sign them in at once (then a session comes back). */
export async function completeSetup(body: {
  token: string;
  email: string;
  password: string;
}): Promise<Partial<Session> | null> {
  const s = await api.post<Partial<Session> | null>('/setup', body);
  if (s?.csrf_token) setCsrfToken(s.csrf_token);
  return s;
}

// ---- settings page and setup checklist (src/console/settings.routes.ts, checklist.routes.ts) ----

/** `?merchant_id=`: an operator's choice of merchant; merchant users send nothing. */
export type MerchantScope = { merchant_id?: number };

export interface UrlWarning {
  field: 'notify_url' | 'return_url' | 'timeout_url';
  code: 'refused_address' | 'private_address' | 'unresolvable';
  host: string;
  address: string | null;
  category: string | null;
  message: string;
}

export interface MerchantSettings {
  merchant_id: number;
  name: string;
  appkey: string;
  notify_url: string;
  return_url: string;
  timeout_url: string | null;
  order_ttl: number;
  offset_direction: 'down' | 'up';
  max_offset: string;
  rotation: 'smart' | 'even' | 'random';
  notify_method: 'POST' | 'GET';
  alipay_enabled: boolean;
  wechat_enabled: boolean;
  pay_token: string;
  pay_link: string;
  previous_secret_until: number | null;
  warnings: UrlWarning[];
}

export type SettingsInput = Pick<
  MerchantSettings,
  | 'notify_url'
  | 'return_url'
  | 'order_ttl'
  | 'offset_direction'
  | 'max_offset'
  | 'rotation'
  | 'notify_method'
  | 'alipay_enabled'
  | 'wechat_enabled'
> & { timeout_url: string | null };

export interface TestNotificationResult {
  method: string;
  url: string;
  params: Record<string, string>;
  status: number | null;
  duration_ms: number;
  answer: string;
  success: boolean;
  error: string | null;
}

export interface SignatureHelp {
  notification: null | {
    id: number;
    order_id: number;
    out_order_id: string;
    method: string;
    created_at: number;
    fields: Array<{ name: string; value: string }>;
    hashed_string: string;
    inner_md5: string;
    sent_sign: string;
    expected_sign: string;
    signed_with: 'current' | 'previous' | 'other';
  };
}

export interface SignComparison {
  sign_matches: boolean;
  string_matches: boolean | null;
  first_difference: number | null;
  hint: string | null;
}

export interface SecretAnswer {
  appsecret: string;
  previous_secret_until: number | null;
}

export interface SetupChecklist {
  done: boolean;
  steps: Array<{ key: 'callbacks' | 'account' | 'monitor' | 'test_payment'; done: boolean; link: string }>;
  last_heartbeat_at: number | null;
}

export const getSettings = (scope: MerchantScope) => api.get<MerchantSettings>('/settings', scope);
export const saveSettings = (scope: MerchantScope, body: SettingsInput) =>
  request<MerchantSettings>('PUT', '/settings', { query: scope, body });
export const sendTestNotification = (scope: MerchantScope) =>
  request<TestNotificationResult>('POST', '/settings/test-notification', { query: scope, body: {} });
export const getSignatureHelp = (scope: MerchantScope) =>
  api.get<SignatureHelp>('/settings/signature', scope);
export const checkSignature = (scope: MerchantScope, body: { sign: string; string?: string }) =>
  request<SignatureHelp & { comparison: SignComparison | null }>('POST', '/settings/signature/check', {
    query: scope,
    body,
  });
export const revealSecret = (scope: MerchantScope) =>
  request<SecretAnswer>('POST', '/settings/secret/reveal', { query: scope, body: {} });
export const rotateSecret = (scope: MerchantScope, graceHours: number) =>
  request<SecretAnswer>('POST', '/settings/secret/rotate', {
    query: scope,
    body: { grace_hours: graceHours },
  });
export const regeneratePayToken = (scope: MerchantScope) =>
  request<MerchantSettings>('POST', '/settings/pay-token', { query: scope, body: {} });
/** Fresh re-authentication (5 minutes) before revealing or rotating a secret. */
export const reauthenticate = (password: string) =>
  api.post<{ reauth_until: number }>('/reauth', { password });
export const getChecklist = (scope: MerchantScope) => api.get<SetupChecklist>('/checklist', scope);

// ---- receiving accounts, products, test payment (accounts.routes.ts, products.routes.ts, test-payment.routes.ts) ----

export type PaymentType = 'alipay' | 'wechat';

export interface Account {
  id: number;
  merchant_id: number;
  type: PaymentType;
  name: string;
  enabled: boolean;
  online: boolean;
  last_heartbeat_at: number | null;
  last_payment_at: number | null;
  /** Real money received since 00:00 China time. */
  today: string;
  window: string | null;
  min: string | null;
  max: string | null;
  daily_cap: string | null;
  vmq: boolean;
  vmq_peer_id: number | null;
  fixed_codes: number;
  qr_content: string;
  created_at: number;
}

export interface AccountDetail extends Account {
  /** The stored code as the cashier draws it (a PNG data URL). */
  qr_png: string;
  codes: Array<{ amount: string; content: string }>;
}

export interface AccountPairing {
  account_id: number;
  type: PaymentType;
  pairing: string;
  pairing_qr_png: string;
  host: string;
  key: string;
  vmq: boolean;
  warnings: string[];
  monitor_api_url: string;
  example: string;
}

/** Changes to an account; `null` or `''` clears a rule. Images as base64 or `data:` URLs. */
export interface AccountChanges {
  name?: string;
  qr_content?: string;
  qr_image?: string;
  window?: string | null;
  min?: string | null;
  max?: string | null;
  daily_cap?: string | null;
  enabled?: boolean;
  vmq?: boolean;
  vmq_peer_id?: number | null;
}

export const listAccounts = (scope: MerchantScope) =>
  api.get<{ accounts: Account[]; offline_after: number }>('/accounts', scope);
export const getAccount = (id: number) => api.get<AccountDetail>(`/accounts/${id}`);
/** Reads the QR code in an uploaded image (nothing is stored). */
export const decodeQrImage = (image: string) =>
  api.post<{ content: string; qr_png: string }>('/accounts/decode-qr', { image });
export const addAccount = (body: {
  merchant_id?: number;
  type: PaymentType;
  name: string;
  qr_content?: string;
  qr_image?: string;
}) => api.post<AccountDetail>('/accounts', body);
export const updateAccount = (id: number, body: AccountChanges) =>
  api.patch<AccountDetail>(`/accounts/${id}`, body);
export const importFixedCodes = (id: number, files: Array<{ name: string; data: string; amount?: string }>) =>
  api.post<{ account_id: number; imported: number; amounts: string[] }>(`/accounts/${id}/fixed-codes`, {
    files,
  });
/** Needs a fresh re-authentication (`reauthenticate`): it shows the monitor key. */
export const getPairing = (id: number) => api.get<AccountPairing>(`/accounts/${id}/pairing`);
export const rotateMonitorKey = (id: number) => api.post<AccountPairing>(`/accounts/${id}/rotate-key`);

export interface Product {
  id: number;
  merchant_id: number;
  category_id: number | null;
  name: string;
  description: string;
  image: string;
  price: string;
  /** Units left; null: not counted. */
  stock: number | null;
  enabled: boolean;
  created_at: number;
}

export interface Category {
  id: number;
  merchant_id: number;
  name: string;
  sort: number;
  products: number;
}

export type ProductInput = {
  name: string;
  price: string;
  stock: number | null;
  enabled: boolean;
  category_id?: number;
  description?: string;
  image?: string;
};

export const listProducts = (
  scope: MerchantScope & { category_id?: number; after_id?: number; limit?: number },
) => api.get<{ products: Product[]; next_after_id: number | null }>('/products', scope);
export const addProduct = (scope: MerchantScope, body: ProductInput) =>
  api.post<Product>('/products', { ...scope, ...body });
export const updateProduct = (id: number, body: Partial<ProductInput>) =>
  api.patch<Product>(`/products/${id}`, body);
export const listCategories = (scope: MerchantScope) =>
  api.get<{ categories: Category[] }>('/categories', scope);
export const addCategory = (scope: MerchantScope, body: { name: string; sort?: number }) =>
  api.post<Category>('/categories', { ...scope, ...body });
export const updateCategory = (id: number, body: { name?: string; sort?: number }) =>
  api.patch<Category>(`/categories/${id}`, body);
export const deleteCategory = (id: number) => api.delete<{ ok: boolean }>(`/categories/${id}`);

export interface TestOrderState {
  order: {
    id: number;
    merchant_id: number;
    out_order_id: string;
    /** `test` for test orders: other pages tag orders with this field. */
    origin: string;
    type: PaymentType;
    price: string;
    realprice: string;
    status: 'unpaid' | 'paid' | 'expired';
    late: boolean;
    created_at: number;
    expires_at: number;
    paid_at: number | null;
    account_id: number;
    account_name: string;
    pay_url: string;
  };
  notifications: Array<{
    id: number;
    state: 'pending' | 'delivered' | 'failed';
    url: string;
    attempts: number;
    next_attempt_at: number | null;
    delivered_at: number | null;
    last_error: string;
    attempt_log: Array<{
      at: number;
      trigger: string;
      duration_ms: number;
      status: number | null;
      error: string;
      response: string;
    }>;
  }>;
}

export const createTestOrder = (scope: MerchantScope, body: { amount: string; type: PaymentType }) =>
  api.post<TestOrderState>('/test-payment/orders', { ...scope, ...body });
export const getTestOrder = (id: number) => api.get<TestOrderState>(`/test-payment/orders/${id}`);
export const simulateTestPayment = (id: number) =>
  api.post<TestOrderState & { outcome: string; payment_id: number }>(`/test-payment/orders/${id}/simulate`);

// ---- orders, notifications, unmatched payments (src/console/{orders,notifications,payments}.routes.ts) ----

export type OrderState = 'unpaid' | 'paid' | 'expired';
export type NotifyState = 'pending' | 'delivered' | 'failed';

/** The orders list's filters; the CSV export takes the same. Times are unix ms. */
export interface OrderFilters extends MerchantScope {
  state?: OrderState;
  type?: PaymentType;
  account_id?: number;
  out_order_id?: string;
  paid_amount?: string;
  created_from?: number;
  created_before?: number;
}

export interface OrderRow {
  id: number;
  out_order_id: string;
  merchant_id: number;
  account_id: number;
  account_name: string;
  type: PaymentType;
  kind: string;
  origin: 'api' | 'quick' | 'test';
  title: string;
  custom: string;
  price: string;
  realprice: string;
  paid_amount: string | null;
  state: OrderState;
  late: boolean;
  oversold: boolean;
  created_at: number;
  expires_at: number;
  paid_at: number | null;
  notify_state: NotifyState | null;
}

export interface OrderPage {
  orders: OrderRow[];
  next_cursor: string | null;
}

export interface TimelineEvent {
  kind: string;
  at: number;
  upcoming: boolean;
  detail: Record<string, string | number | boolean | null>;
}

export interface PaymentCandidate {
  id: number;
  account_id: number;
  type: PaymentType;
  amount: string;
  paid_at: number;
  received_at: number;
  source: string;
  reporter_id: string;
  payer: string;
  memo: string;
  match_note: string;
  amount_difference: string;
  paid_offset_ms: number;
}

export interface OrderDetail {
  order: OrderRow & { hold_until: number; pay_url: string };
  request: Array<{ name: string; value: string }>;
  account: { id: number; name: string; type: PaymentType } | null;
  items: Array<{ product_id: number; name: string | null; quantity: number; price: string }>;
  payments: Array<{
    id: number;
    amount: string;
    paid_at: number;
    received_at: number;
    source: string;
    reporter_id: string;
    payer: string;
    memo: string;
    late: boolean;
  }>;
  notifications: Array<{ id: number; state: NotifyState; url: string; attempts: number }>;
  timeline: TimelineEvent[];
  redirect: { kind: 'return' | 'timeout'; url: string } | null;
  candidate_payments: PaymentCandidate[];
  can: { resend_notification: boolean; mark_paid: boolean; attach_payment: boolean };
}

export const listOrders = (filters: OrderFilters, cursor?: string, limit = 50) =>
  api.get<OrderPage>('/orders', { ...filters, cursor, limit });
/** Where the browser downloads the filtered list as CSV (a plain GET: the session cookie goes along). */
export function ordersCsvUrl(filters: OrderFilters, lang: 'zh-CN' | 'en'): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filters, lang }))
    if (v !== undefined && v !== '') qs.set(k, String(v));
  return `${API_BASE}/orders/export.csv?${qs.toString()}`;
}
export const getOrder = (id: number) => api.get<OrderDetail>(`/orders/${id}`);
export const markOrderPaid = (id: number, reason: string) =>
  api.post<{ order_id: number; state: OrderState; late: boolean; payment_id: number }>(
    `/orders/${id}/mark-paid`,
    {
      reason,
    },
  );

export interface NotificationRow {
  id: number;
  order_id: number;
  out_order_id: string;
  merchant_id: number;
  method: string;
  url: string;
  state: NotifyState;
  attempts: number;
  next_attempt_at: number | null;
  last_error: string;
  created_at: number;
  delivered_at: number | null;
  last_attempt: {
    at: number;
    trigger: string;
    status: number | null;
    duration_ms: number;
    answer: string;
    error: string;
  } | null;
}

export interface ResendResult {
  order_id: number;
  notification_id: number;
  state: NotifyState;
  status: number | null;
  duration_ms: number;
  error: string;
}

export const listNotifications = (
  scope: MerchantScope & { state?: NotifyState },
  cursor?: string,
  limit = 50,
) =>
  api.get<{ notifications: NotificationRow[]; next_cursor: string | null }>('/notifications', {
    ...scope,
    cursor,
    limit,
  });
export const resendNotification = (orderId: number) =>
  api.post<ResendResult>('/notifications/resend', { order_id: orderId });
export const resendFailingNotifications = (scope: MerchantScope) =>
  api.post<{ requeued: number; failed: number; retrying: number }>('/notifications/resend-failing', scope);

export interface UnmatchedPayment {
  id: number;
  account_id: number;
  account_name: string;
  merchant_id: number;
  type: PaymentType;
  amount: string;
  paid_at: number;
  received_at: number;
  source: string;
  reporter_id: string;
  payer: string;
  memo: string;
  match_note: 'no_order' | 'ambiguous' | 'order_paid' | '';
  candidates: Array<{
    order_id: number;
    out_order_id: string;
    title: string;
    price: string;
    realprice: string;
    state: OrderState;
    created_at: number;
    expires_at: number;
    amount_difference: string;
    created_offset_ms: number;
  }>;
}

export const listUnmatchedPayments = (scope: MerchantScope, cursor?: string, limit = 20) =>
  api.get<{ payments: UnmatchedPayment[]; next_cursor: string | null }>('/payments/unmatched', {
    ...scope,
    cursor,
    limit,
  });
export const attachPayment = (paymentId: number, orderId: number, reason?: string) =>
  api.post<{ payment_id: number; order_id: number; state: OrderState; late: boolean }>(
    `/payments/${paymentId}/attach`,
    reason ? { order_id: orderId, reason } : { order_id: orderId },
  );

// ---- dashboard ----

export type DashboardPeriod = 'today' | '7d' | '30d';

export interface Dashboard {
  period: DashboardPeriod;
  merchant_id: number | null;
  from: number;
  to: number;
  totals: {
    received: string;
    paid_orders: number;
    created_orders: number;
    /** 0–1; null without orders. */
    conversion: number | null;
    late_payments: number;
    unmatched_payments: number;
    unmatched_amount: string;
    notifications: { delivered: number; failed: number; pending: number; success_rate: number | null };
    median_pay_ms: number | null;
  };
  chart: {
    unit: 'hour' | 'day';
    buckets: number[];
    /** `account_id` null: the other accounts together. */
    series: Array<{ account_id: number | null; name: string; type: string | null; amounts: string[] }>;
  };
  monitors: {
    online: number;
    total: number;
    accounts: Array<{
      id: number;
      merchant_id: number;
      name: string;
      type: string;
      online: boolean;
      last_heartbeat_at: number | null;
    }>;
  };
  failing: {
    count: number;
    latest: Array<{
      id: number;
      order_id: number;
      out_order_id: string;
      merchant_id: number;
      state: string;
      attempts: number;
      last_error: string;
      next_attempt_at: number | null;
      created_at: number;
    }>;
  };
}

export const getDashboard = (scope: MerchantScope, period: DashboardPeriod) =>
  api.get<Dashboard>('/dashboard', { ...scope, period });

// ---- operator pages: merchants, users, audit log, system ----

export interface AdminMerchant {
  id: number;
  name: string;
  appkey: string;
  enabled: boolean;
  api_enabled: boolean;
  alipay_enabled: boolean;
  wechat_enabled: boolean;
  daily_quota: number | null;
  api_orders_today: number;
  notify_url: string;
  created_at: number;
}

export type MerchantChanges = Partial<
  Pick<
    AdminMerchant,
    'name' | 'enabled' | 'api_enabled' | 'alipay_enabled' | 'wechat_enabled' | 'daily_quota'
  >
>;

export const listMerchants = (q: { search?: string; cursor?: string; limit?: number }) =>
  api.get<{ merchants: AdminMerchant[]; next_cursor: string | null }>('/merchants', q);
export const createMerchant = (body: {
  name: string;
  notify_url: string;
  return_url: string;
  timeout_url?: string | null;
}) => api.post<AdminMerchant>('/merchants', body);
export const updateMerchant = (id: number, body: MerchantChanges) =>
  api.patch<AdminMerchant>(`/merchants/${id}`, body);

export interface AdminUser {
  id: number;
  email: string;
  role: Role;
  merchant_id: number | null;
  totp_enabled: boolean;
  disabled: boolean;
  locked_until: number | null;
  created_at: number;
  last_sign_in_at: number | null;
  live_sessions: number;
}

export interface UserSession {
  id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  ip: string;
  user_agent: string;
  current: boolean;
}

export const listUsers = () => api.get<{ users: AdminUser[] }>('/users');
export const addUser = (body: { email: string; password: string; role: Role; merchant_id?: number | null }) =>
  api.post<AdminUser>('/users', body);
export const setUserDisabled = (id: number, disabled: boolean) =>
  api.post<AdminUser>(`/users/${id}/${disabled ? 'disable' : 'enable'}`);
export const resetUserPassword = (id: number, password: string) =>
  api.post<{ user: AdminUser; sessions_revoked: number }>(`/users/${id}/password`, { password });
export const listUserSessions = (id: number) => api.get<{ sessions: UserSession[] }>(`/users/${id}/sessions`);
export const revokeUserSession = (id: number, sessionId: string) =>
  api.delete<{ revoked: number }>(`/users/${id}/sessions/${sessionId}`);
export const revokeAllUserSessions = (id: number) =>
  api.post<{ revoked: number }>(`/users/${id}/sessions/revoke-all`);

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
}

export interface AuditFilters {
  actor?: string;
  action?: string;
  subject?: string;
}

export const listAudit = (filters: AuditFilters, cursor?: string, limit = 50) =>
  api.get<{ entries: AuditEntry[]; next_cursor: string | null; actions: string[] }>('/audit', {
    ...filters,
    cursor,
    limit,
  });

export interface SystemStatus {
  version: string;
  node: string;
  started_at: number;
  now: number;
  database: { dialect: 'sqlite' | 'postgres'; location: string; pending_migrations: string[] };
  open_orders: number;
  notifications: {
    queue: number;
    due: number;
    failed: number;
    oldest_pending_created_at: number | null;
    oldest_pending_age_ms: number | null;
  };
  monitors: { online: number; total: number };
  unmatched_payments: number;
  merchants: number;
  users: number;
}

export const getSystemStatus = () => api.get<SystemStatus>('/system');
