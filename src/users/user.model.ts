import type { Selectable } from 'kysely';
import type { SessionTable, UserTable } from '../db/schema.js';

export const ROLES = ['operator', 'merchant'] as const;
/** `operator`: everything; `merchant`: one merchant's data only. */
export type Role = (typeof ROLES)[number];

export interface User {
  id: number;
  email: string;
  role: Role;
  /** Set exactly for merchant users. */
  merchantId: number | null;
  totpEnabled: boolean;
  disabled: boolean;
  lockedUntil: number | null;
  createdAt: number;
}

/** A user row with the fields only the user service reads: never leaves `src/users/`. */
export interface UserSecrets extends User {
  passwordHash: string;
  totpSecret: string | null;
  totpPendingSecret: string | null;
  totpLastStep: number | null;
  failedCount: number;
  failedSince: number | null;
}

export function userFromRow(r: Selectable<UserTable>): UserSecrets {
  return {
    id: Number(r.id),
    email: r.email,
    role: r.role as Role,
    merchantId: r.merchant_id === null ? null : Number(r.merchant_id),
    totpEnabled: r.totp_secret !== null,
    disabled: r.disabled === 1,
    lockedUntil: r.locked_until === null ? null : Number(r.locked_until),
    createdAt: Number(r.created_at),
    passwordHash: r.password_hash,
    totpSecret: r.totp_secret,
    totpPendingSecret: r.totp_pending_secret,
    totpLastStep: r.totp_last_step === null ? null : Number(r.totp_last_step),
    failedCount: r.failed_count,
    failedSince: r.failed_since === null ? null : Number(r.failed_since),
  };
}

/** Drops the secret fields. */
export function publicUser(u: UserSecrets | User): User {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    merchantId: u.merchantId,
    totpEnabled: u.totpEnabled,
    disabled: u.disabled,
    lockedUntil: u.lockedUntil,
    createdAt: u.createdAt,
  };
}

export interface Session {
  /** SHA-256 (hex) of the cookie's token: safe to show and to name in URLs. */
  id: string;
  userId: number;
  csrfSecret: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  ip: string;
  userAgent: string;
  revokedAt: number | null;
  reauthUntil: number | null;
}

export function sessionFromRow(r: Selectable<SessionTable>): Session {
  return {
    id: r.id,
    userId: Number(r.user_id),
    csrfSecret: r.csrf_secret,
    createdAt: Number(r.created_at),
    lastSeenAt: Number(r.last_seen_at),
    expiresAt: Number(r.expires_at),
    ip: r.ip,
    userAgent: r.user_agent,
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
    reauthUntil: r.reauth_until === null ? null : Number(r.reauth_until),
  };
}

/** What every sign-in attempt is recorded as (`sign_ins.outcome`, CHECKed by the database). */
export type SignInOutcome =
  | 'ok'
  | 'setup'
  | 'bad_password'
  | 'unknown_email'
  | 'totp_required'
  | 'bad_totp'
  | 'locked'
  | 'rate_limited'
  | 'disabled'
  | 'reauth'
  | 'reauth_failed';

/** Outcomes that count towards the per-address limit: guesses. */
export const FAILED_OUTCOMES: readonly SignInOutcome[] = [
  'bad_password',
  'unknown_email',
  'bad_totp',
  'reauth_failed',
];

/** Where a request came from, as the session and sign-in records keep it. */
export interface ClientInfo {
  /** The client's IP (`request.ip`). */
  ip: string;
  /** The per-address limit's key: the IP, an IPv6 address by its /64. */
  address: string;
  userAgent: string;
}
