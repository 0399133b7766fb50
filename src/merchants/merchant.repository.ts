import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
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
