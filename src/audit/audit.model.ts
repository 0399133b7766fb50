import type { Selectable } from 'kysely';
import type { AuditTable } from '../db/schema.js';

/**
 * What operators did by hand. Written in the same transaction as the change it records, and
 * never updated or deleted.
 */
export interface AuditEntry {
  id: number;
  at: number;
  /** Who: `cli:<os user>` from the command line, `console:<login>` from the console. */
  actor: string;
  /** What, as `subject.verb`: `order.mark_paid`, `payment.attach`, `account.set`, … */
  action: string;
  /** On what, as `kind:id`: `order:12`, `payment:7`, `account:3`. */
  subject: string;
  detail: Record<string, unknown>;
}

/** The audit trail's vocabulary: a closed set so reports can filter on it. */
export const AUDIT_ACTIONS = [
  'order.mark_paid',
  'payment.attach',
  'account.add',
  'account.set',
  'account.enable',
  'account.disable',
  'account.codes_import',
  'account.rotate_key',
  'order.oversold',
  'notification.resend',
  'notification.requeue',
  'merchant.add',
  'merchant.set',
  'user.add',
  'user.disable',
  'user.enable',
  'user.password_reset',
  'user.sessions_revoke',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who did it and, when they said, why. */
export interface Actor {
  actor: string;
  reason?: string;
}

export function auditFromRow(r: Selectable<AuditTable>): AuditEntry {
  let detail: Record<string, unknown>;
  try {
    detail = JSON.parse(r.detail) as Record<string, unknown>;
  } catch {
    detail = { text: r.detail };
  }
  return {
    id: Number(r.id),
    at: Number(r.at),
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    detail,
  };
}
