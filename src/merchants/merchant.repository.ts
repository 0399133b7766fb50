import {
  type Insertable,
  type Kysely,
  type Selectable,
  sql,
  type Transaction,
  type Updateable,
} from 'kysely';
import { prepared } from '../db/prepared.js';
import type { Database, MerchantTable } from '../db/schema.js';
import { type Merchant, merchantFromRow } from './merchant.model.js';

const byAppkey = prepared<[string], Selectable<MerchantTable>>((db, p) =>
  db.selectFrom('merchants').selectAll().where('appkey', '=', p(0)),
);
const byId = prepared<[number], Selectable<MerchantTable>>((db, p) =>
  db.selectFrom('merchants').selectAll().where('id', '=', p(0)),
);

export async function findMerchantByAppkey(db: Kysely<Database>, appkey: string): Promise<Merchant | null> {
  const row = (await byAppkey(db, appkey)).rows[0];
  return row ? merchantFromRow(row) : null;
}

export async function findMerchantById(db: Kysely<Database>, id: number): Promise<Merchant | null> {
  const row = (await byId(db, id)).rows[0];
  return row ? merchantFromRow(row) : null;
}

export async function insertMerchant(
  db: Kysely<Database>,
  values: Insertable<MerchantTable>,
): Promise<number> {
  const row = await db.insertInto('merchants').values(values).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function updateMerchant(
  db: Kysely<Database>,
  id: number,
  values: Updateable<MerchantTable>,
): Promise<boolean> {
  const res = await db.updateTable('merchants').set(values).where('id', '=', id).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Replaces the appsecret, keeping the old one as `previous_appsecret` until `until`. */
export async function rotateMerchantSecret(
  trx: Transaction<Database>,
  id: number,
  v: { from: string; to: string; until: number },
): Promise<void> {
  await trx
    .updateTable('merchants')
    .set({ appsecret: v.to, previous_appsecret: v.from, previous_secret_until: v.until })
    .where('id', '=', id)
    .execute();
}

/**
 * The merchant row, locked until the transaction ends (PostgreSQL; SQLite's IMMEDIATE
 * transactions already exclude other writers): two rotations at once then run one after the
 * other, so the second keeps the first one's secret as "previous" instead of losing it.
 */
export async function lockMerchantById(trx: Transaction<Database>, id: number): Promise<Merchant | null> {
  const row = await trx
    .selectFrom('merchants')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  return row ? merchantFromRow(row) : null;
}

/**
 * A page of merchants, newest first (keyset on id), optionally only those whose name contains
 * `search` (merchants are few: the name filter reads them all).
 */
export async function listMerchants(
  db: Kysely<Database>,
  q: { beforeId?: number; limit: number; search?: string },
): Promise<Merchant[]> {
  let query = db.selectFrom('merchants').selectAll().orderBy('id', 'desc').limit(q.limit);
  if (q.beforeId !== undefined) query = query.where('id', '<', q.beforeId);
  if (q.search) {
    // lower() on both sides: LIKE ignores case on SQLite but not on PostgreSQL.
    const pattern = `%${q.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where(sql<boolean>`lower(name) like ${pattern} escape '\\'`);
  }
  return (await query.execute()).map(merchantFromRow);
}
