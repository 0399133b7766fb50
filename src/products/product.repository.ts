import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, ProductTable } from '../db/schema.js';

export type ProductRow = Selectable<ProductTable>;

export async function insertProduct(db: Kysely<Database>, v: Insertable<ProductTable>): Promise<number> {
  const row = await db.insertInto('products').values(v).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function findProducts(
  db: Kysely<Database>,
  merchantId: number,
  ids: number[],
): Promise<ProductRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('products')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .where('id', 'in', ids)
    .execute();
}

export async function listProducts(db: Kysely<Database>, merchantId: number): Promise<ProductRow[]> {
  return db.selectFrom('products').selectAll().where('merchant_id', '=', merchantId).orderBy('id').execute();
}

export async function findOrCreateCategory(
  db: Kysely<Database>,
  merchantId: number,
  name: string,
): Promise<number> {
  const found = await db
    .selectFrom('categories')
    .select('id')
    .where('merchant_id', '=', merchantId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (found) return Number(found.id);
  const row = await db
    .insertInto('categories')
    .values({ merchant_id: merchantId, name, sort: 0 })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function listCategories(db: Kysely<Database>, merchantId: number) {
  return db
    .selectFrom('categories')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .orderBy('sort')
    .orderBy('id')
    .execute();
}

/** Takes `qty` units if the product tracks stock and has them; true when taken (or untracked). */
export async function takeStock(db: Kysely<Database>, productId: number, qty: number): Promise<boolean> {
  const res = await db
    .updateTable('products')
    .set((eb) => ({ stock: eb('stock', '-', qty) }))
    .where('id', '=', productId)
    .where('stock', 'is not', null)
    .where('stock', '>=', qty)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) > 0) return true;
  const row = await db.selectFrom('products').select('stock').where('id', '=', productId).executeTakeFirst();
  return row !== undefined && row.stock === null;
}

export async function returnStock(db: Kysely<Database>, productId: number, qty: number): Promise<void> {
  await db
    .updateTable('products')
    .set((eb) => ({ stock: eb('stock', '+', qty) }))
    .where('id', '=', productId)
    .where('stock', 'is not', null)
    .execute();
}
