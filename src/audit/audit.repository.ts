import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { type AuditAction, type AuditEntry, auditFromRow } from './audit.model.js';

/**
 * Appends one entry. Called inside the transaction of the change it records, so the change and
 * its trace commit together or not at all.
 */
export async function insertAudit(
  db: Kysely<Database>,
  e: { at: number; actor: string; action: AuditAction; subject: string; detail: Record<string, unknown> },
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: e.at,
      actor: e.actor,
      action: e.action,
      subject: e.subject,
      detail: JSON.stringify(e.detail),
    })
    .execute();
}

export async function listAudit(
  db: Kysely<Database>,
  opts: { subject?: string; action?: string; limit?: number } = {},
): Promise<AuditEntry[]> {
  let q = db
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(opts.limit ?? 100);
  if (opts.subject !== undefined) q = q.where('subject', '=', opts.subject);
  if (opts.action !== undefined) q = q.where('action', '=', opts.action);
  return (await q.execute()).map(auditFromRow);
}

/**
 * One page of the audit log, newest first, filtered by any of actor, action and subject (each
 * exact; indexes `audit_actor_id`, `audit_action_id`, `audit_subject_id` keep them in id order),
 * continuing below `beforeId` (keyset pagination).
 */
export async function listAuditPage(
  db: Kysely<Database>,
  q: { actor?: string; action?: string; subject?: string; beforeId?: number; limit: number },
): Promise<AuditEntry[]> {
  let query = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(q.limit);
  if (q.actor !== undefined) query = query.where('actor', '=', q.actor);
  if (q.action !== undefined) query = query.where('action', '=', q.action);
  if (q.subject !== undefined) query = query.where('subject', '=', q.subject);
  if (q.beforeId !== undefined) query = query.where('id', '<', q.beforeId);
  return (await query.execute()).map(auditFromRow);
}
