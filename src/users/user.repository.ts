import type { Insertable, Kysely, Updateable } from 'kysely';
import type { Tx } from '../db/tx.js';
import type { Database, SignInTable, UserTable } from '../db/schema.js';
import { FAILED_OUTCOMES, type UserSecrets, userFromRow } from './user.model.js';

export async function findUserByEmail(db: Kysely<Database>, email: string): Promise<UserSecrets | null> {
  const row = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  return row ? userFromRow(row) : null;
}

export async function findUserById(db: Kysely<Database>, id: number): Promise<UserSecrets | null> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? userFromRow(row) : null;
}

/** The user row, locked until the transaction ends (failure counts and locks are read-modify-write). */
export async function lockUserById(trx: Tx, id: number): Promise<UserSecrets | null> {
  const row = await trx.selectFrom('users').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  return row ? userFromRow(row) : null;
}

export async function listUsers(db: Kysely<Database>): Promise<UserSecrets[]> {
  return (await db.selectFrom('users').selectAll().orderBy('id').execute()).map(userFromRow);
}

export async function hasUsers(db: Kysely<Database>): Promise<boolean> {
  return (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
}

export async function insertUser(db: Kysely<Database>, values: Insertable<UserTable>): Promise<number> {
  const row = await db.insertInto('users').values(values).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function updateUser(
  db: Kysely<Database>,
  id: number,
  values: Updateable<UserTable>,
): Promise<number> {
  const res = await db.updateTable('users').set(values).where('id', '=', id).executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/**
 * Accepts TOTP step `step` for the user unless it, or a later one, was accepted before: two
 * requests racing with one code cannot both pass. 1 when accepted, else 0.
 */
export async function acceptTotpStep(db: Kysely<Database>, id: number, step: number): Promise<number> {
  const res = await db
    .updateTable('users')
    .set({ totp_last_step: step })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

export async function insertSignIn(db: Kysely<Database>, values: Insertable<SignInTable>): Promise<void> {
  await db.insertInto('sign_ins').values(values).execute();
}

/** Failed sign-ins from `address` since `since`, and when the oldest of them was. */
export async function addressFailures(
  db: Kysely<Database>,
  address: string,
  since: number,
): Promise<{ count: number; oldest: number | null }> {
  const row = await db
    .selectFrom('sign_ins')
    .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.min('at').as('oldest')])
    .where('address', '=', address)
    .where('at', '>', since)
    .where('outcome', 'in', FAILED_OUTCOMES)
    .executeTakeFirstOrThrow();
  return { count: Number(row.n), oldest: row.oldest === null ? null : Number(row.oldest) };
}

export async function listSignIns(db: Kysely<Database>, opts: { userId?: number; limit?: number } = {}) {
  let q = db
    .selectFrom('sign_ins')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(opts.limit ?? 100);
  if (opts.userId !== undefined) q = q.where('user_id', '=', opts.userId);
  return (await q.execute()).map((r) => ({
    id: Number(r.id),
    userId: r.user_id === null ? null : Number(r.user_id),
    email: r.email,
    ip: r.ip,
    at: Number(r.at),
    outcome: r.outcome,
  }));
}

export async function insertSetupToken(
  db: Kysely<Database>,
  tokenHash: string,
  createdAt: number,
  expiresAt: number,
): Promise<void> {
  await db
    .insertInto('setup_tokens')
    .values({ token_hash: tokenHash, created_at: createdAt, expires_at: expiresAt })
    .execute();
}

/** True when the token is unused and unexpired. */
export async function setupTokenUsable(
  db: Kysely<Database>,
  tokenHash: string,
  now: number,
): Promise<boolean> {
  const row = await db
    .selectFrom('setup_tokens')
    .select('token_hash')
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Marks every usable setup token used and returns their hashes. Setup consumes them all at once,
 * so two links (two instances started on one empty database) can never create two operators:
 * the second transaction waits on the first one's row locks and then finds nothing left.
 */
export async function consumeSetupTokens(trx: Tx, now: number): Promise<string[]> {
  const rows = await trx
    .updateTable('setup_tokens')
    .set({ used_at: now })
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('token_hash')
    .execute();
  return rows.map((r) => r.token_hash);
}

/** When each user last signed in (setup counts), by user id. */
export async function lastSignInTimes(db: Kysely<Database>): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('sign_ins')
    .select(['user_id', (eb) => eb.fn.max('at').as('at')])
    .where('user_id', 'is not', null)
    .where('outcome', 'in', ['ok', 'setup'])
    .groupBy('user_id')
    .execute();
  return new Map(rows.map((r) => [Number(r.user_id), Number(r.at)]));
}

/** How many sessions of each user still work at `now` (not revoked, not past their end, not idle since `seenSince`). */
export async function liveSessionCounts(
  db: Kysely<Database>,
  now: number,
  seenSince: number,
): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('sessions')
    .select(['user_id', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where('last_seen_at', '>', seenSince)
    .groupBy('user_id')
    .execute();
  return new Map(rows.map((r) => [Number(r.user_id), Number(r.n)]));
}

/**
 * The enabled operators, their rows locked until the transaction ends (in id order, so two
 * transactions never wait on each other crosswise): two operators disabling each other at once
 * take turns, and the second sees the first one's change.
 */
export async function lockEnabledOperators(trx: Tx): Promise<number[]> {
  const rows = await trx
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'operator')
    .where('disabled', '=', 0)
    .orderBy('id')
    .forUpdate()
    .execute();
  return rows.map((r) => Number(r.id));
}
