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
