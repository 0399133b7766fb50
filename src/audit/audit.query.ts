import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { InvalidInputError } from '../domain/errors.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { AUDIT_ACTIONS, type AuditEntry } from './audit.model.js';
import { listAuditPage } from './audit.repository.js';

export interface AuditFilter {
  /** `console:owner@example.com`, `cli:root`, `system`. */
  actor?: string;
  /** One of `AUDIT_ACTIONS`. */
  action?: string;
  /** `order:12`, `merchant:3`, … */
  subject?: string;
  cursor?: string;
  limit?: number;
}

/**
 * The console's audit log page: newest first, filtered, a page at a time (keyset over id, so a
 * deep page costs what the first does). Empty filter values mean "any".
 */
export async function listAuditLog(
  db: Kysely<Database>,
  q: AuditFilter,
): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
  const limit = q.limit ?? 50;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 200) {
    throw new InvalidInputError('A page holds 1 to 200 entries.');
  }
  const clean = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
  const action = clean(q.action);
  if (action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(action)) {
    throw new InvalidInputError(`There is no audit action "${action}".`);
  }
  const beforeId = q.cursor ? (decodeCursor(q.cursor, 1)[0] as number) : undefined;
  const rows = await listAuditPage(db, {
    actor: clean(q.actor),
    action,
    subject: clean(q.subject),
    beforeId,
    limit: limit + 1,
  });
  const entries = rows.slice(0, limit);
  const last = entries.at(-1);
  return { entries, nextCursor: rows.length > limit && last ? encodeCursor([last.id]) : null };
}
