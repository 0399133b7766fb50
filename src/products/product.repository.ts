import { type Insertable, type Kysely, type Selectable, sql, type Updateable } from 'kysely';
import type { CategoryTable, Database, ProductTable } from '../db/schema.js';

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

export async function findProductById(db: Kysely<Database>, id: number): Promise<ProductRow | null> {
  return (await db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

/** One merchant's products in id order, from after `afterId`, optionally of one category. */
export async function listProductsPage(
  db: Kysely<Database>,
  merchantId: number,
  opts: { categoryId?: number; afterId?: number; limit: number },
): Promise<ProductRow[]> {
  let q = db.selectFrom('products').selectAll().where('merchant_id', '=', merchantId);
  if (opts.categoryId !== undefined) q = q.where('category_id', '=', opts.categoryId);
  if (opts.afterId !== undefined) q = q.where('id', '>', opts.afterId);
  return q.orderBy('id').limit(opts.limit).execute();
}

export async function updateProduct(
  db: Kysely<Database>,
  id: number,
  v: Updateable<ProductTable>,
): Promise<boolean> {
  const res = await db.updateTable('products').set(v).where('id', '=', id).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function findCategoryById(db: Kysely<Database>, id: number) {
  return (await db.selectFrom('categories').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function findCategoryByName(db: Kysely<Database>, merchantId: number, name: string) {
  return (
    (await db
      .selectFrom('categories')
      .selectAll()
      .where('merchant_id', '=', merchantId)
      .where('name', '=', name)
      .executeTakeFirst()) ?? null
  );
}

export async function insertCategory(db: Kysely<Database>, v: Insertable<CategoryTable>): Promise<number> {
  const row = await db.insertInto('categories').values(v).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function updateCategory(
  db: Kysely<Database>,
  id: number,
  v: Updateable<CategoryTable>,
): Promise<boolean> {
  const res = await db.updateTable('categories').set(v).where('id', '=', id).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Deletes a category that holds no product; false when it holds some (or is gone). */
export async function deleteEmptyCategory(db: Kysely<Database>, id: number): Promise<boolean> {
  const res = await db
    .deleteFrom('categories')
    .where('id', '=', id)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom('products').select('id').whereRef('products.category_id', '=', 'categories.id'),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** How many products each category of a merchant holds. */
export async function countProductsByCategory(db: Kysely<Database>, merchantId: number) {
  const rows = await db
    .selectFrom('products')
    .select(['category_id', sql<number>`count(*)`.as('n')])
    .where('merchant_id', '=', merchantId)
    .groupBy('category_id')
    .execute();
  return new Map(rows.map((r) => [Number(r.category_id), Number(r.n)]));
}
