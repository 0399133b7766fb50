import type { Insertable, Kysely } from 'kysely';
import type { Database, SessionTable } from '../db/schema.js';
import { type Session, sessionFromRow, type UserSecrets, userFromRow } from './user.model.js';

export async function insertSession(db: Kysely<Database>, values: Insertable<SessionTable>): Promise<void> {
  await db.insertInto('sessions').values(values).execute();
}

/** A session by id with its user, whatever its state: the caller judges whether it is still good. */
export async function findSessionWithUser(
  db: Kysely<Database>,
  id: string,
): Promise<{ session: Session; user: UserSecrets } | null> {
  const session = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!session) return null;
  const user = await db.selectFrom('users').selectAll().where('id', '=', session.user_id).executeTakeFirst();
  return user ? { session: sessionFromRow(session), user: userFromRow(user) } : null;
}

export async function touchSession(db: Kysely<Database>, id: string, now: number): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
}

/** Sessions not revoked and not past their absolute end; idle ones are filtered by the service. */
export async function listLiveSessions(
  db: Kysely<Database>,
  userId: number,
  now: number,
): Promise<Session[]> {
  const rows = await db
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('last_seen_at', 'desc')
    .execute();
  return rows.map(sessionFromRow);
}

/**
 * Revokes sessions of `userId`: the one with id `only`, or all but `except`, or all. Returns how
 * many were live; scoping by user means nobody can revoke another user's session by its id.
 */
export async function revokeSessions(
  db: Kysely<Database>,
  userId: number,
  now: number,
  which: { only?: string; except?: string } = {},
): Promise<number> {
  let q = db
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (which.only !== undefined) q = q.where('id', '=', which.only);
  if (which.except !== undefined) q = q.where('id', '!=', which.except);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows);
}

export async function setSessionReauth(db: Kysely<Database>, id: string, until: number): Promise<void> {
  await db.updateTable('sessions').set({ reauth_until: until }).where('id', '=', id).execute();
}
