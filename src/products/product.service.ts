import type { Db } from '../db/connect.js';
import { transact } from '../db/tx.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../domain/errors.js';
import { formatCents, parsePositiveCents } from '../domain/money.js';
import type { Clock } from '../lib/clock.js';
import { findMerchantById } from '../merchants/merchant.repository.js';
import type { Updateable } from 'kysely';
import type { ProductTable } from '../db/schema.js';
import {
  countProductsByCategory,
  deleteEmptyCategory,
  findCategoryById,
  findCategoryByName,
  findOrCreateCategory,
  findProductById,
  insertCategory,
  insertProduct,
  listCategories,
  listProducts,
  listProductsPage,
  type ProductRow,
  updateCategory,
  updateProduct,
} from './product.repository.js';

export interface AddProductInput {
  merchantId: number;
  name: string;
  price: string;
  stock?: number | null;
  /** A category by name (created when missing), or… */
  category?: string;
  /** …an existing category of the merchant by id. */
  categoryId?: number;
  description?: string;
  image?: string;
  enabled?: boolean;
}

/** Changes to a product; absent fields stay as they are. `stock: null` = not counted (unlimited). */
export interface ProductChanges {
  name?: string;
  price?: string;
  stock?: number | null;
  enabled?: boolean;
  categoryId?: number;
  description?: string;
  image?: string;
}

/** A product as the console shows it. */
export interface ProductView {
  id: number;
  merchant_id: number;
  category_id: number | null;
  name: string;
  description: string;
  image: string;
  price: string;
  /** Units left; null when stock is not counted. */
  stock: number | null;
  enabled: boolean;
  created_at: number;
}

export interface CategoryView {
  id: number;
  merchant_id: number;
  name: string;
  sort: number;
  products: number;
}

function productView(p: ProductRow): ProductView {
  return {
    id: Number(p.id),
    merchant_id: Number(p.merchant_id),
    category_id: p.category_id === null ? null : Number(p.category_id),
    name: p.name,
    description: p.description,
    image: p.image,
    price: formatCents(Number(p.price_cents)),
    stock: p.stock === null ? null : Number(p.stock),
    enabled: p.enabled === 1,
    created_at: Number(p.created_at),
  };
}

function checkName(raw: string): string {
  const name = raw.trim();
  if (name === '' || name.length > 200) throw new InvalidInputError('name must be 1–200 characters');
  return name;
}

function checkPrice(text: string): number {
  const cents = parsePositiveCents(text.trim());
  if (cents === null) throw new InvalidInputError('price must be a positive amount with at most 2 decimals');
  return cents;
}

function checkStock(stock: number | null | undefined): number | null {
  if (stock == null) return null;
  if (!Number.isSafeInteger(stock) || stock < 0)
    throw new InvalidInputError('stock must be a whole number ≥ 0');
  return stock;
}

function checkText(text: string, what: string, max: number): string {
  if (text.length > max) throw new InvalidInputError(`${what} must be at most ${max} characters`);
  return text;
}

function checkCategoryName(raw: string): string {
  const name = raw.trim();
  if (name === '' || name.length > 50) throw new InvalidInputError('category name must be 1–50 characters');
  return name;
}

/** The catalogue as `/api/product/show` presents it: categories with their products. */
export interface CatalogueCategory {
  id: number;
  name: string;
  products: Array<{
    id: number;
    category_id: number;
    name: string;
    description: string;
    image: string;
    price: string;
    stock: number | null;
  }>;
}

export class ProductService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async add(input: AddProductInput): Promise<{ id: number }> {
    const name = checkName(input.name);
    const cents = checkPrice(input.price);
    const stock = checkStock(input.stock);
    const description = checkText(input.description ?? '', 'description', 2000);
    const image = checkText(input.image ?? '', 'image', 1000);
    if (!(await findMerchantById(this.db.kysely, input.merchantId))) {
      throw new NotFoundError(`merchant ${input.merchantId} not found`);
    }
    // One transaction: the category and its product appear together or not at all, and on
    // SQLite the IMMEDIATE lock keeps two concurrent adds from creating the category twice.
    const id = await transact(this.db, async (trx) => {
      const categoryId =
        input.categoryId !== undefined
          ? await this.categoryOf(trx, input.merchantId, input.categoryId)
          : await findOrCreateCategory(trx, input.merchantId, input.category?.trim() || '默认');
      return insertProduct(trx, {
        merchant_id: input.merchantId,
        category_id: categoryId,
        name,
        description,
        image,
        price_cents: cents,
        stock,
        enabled: input.enabled === false ? 0 : 1,
        created_at: this.clock(),
      });
    });
    return { id };
  }

  async get(id: number): Promise<ProductView> {
    const p = await findProductById(this.db.kysely, id);
    if (!p) throw new NotFoundError(`product ${id} not found`);
    return productView(p);
  }

  /** One merchant's products in id order (keyset pages: pass the last id seen as `afterId`). */
  async list(
    merchantId: number,
    opts: { categoryId?: number; afterId?: number; limit?: number } = {},
  ): Promise<ProductView[]> {
    const rows = await listProductsPage(this.db.kysely, merchantId, { ...opts, limit: opts.limit ?? 100 });
    return rows.map(productView);
  }

  /**
   * Changes a product. Stock set here replaces the count (the shop counted its shelf); orders
   * keep taking units from it atomically afterwards.
   */
  async update(id: number, c: ProductChanges): Promise<ProductView> {
    const v: Updateable<ProductTable> = {};
    if (c.name !== undefined) v.name = checkName(c.name);
    if (c.price !== undefined) v.price_cents = checkPrice(c.price);
    if (c.stock !== undefined) v.stock = checkStock(c.stock);
    if (c.enabled !== undefined) v.enabled = c.enabled ? 1 : 0;
    if (c.description !== undefined) v.description = checkText(c.description, 'description', 2000);
    if (c.image !== undefined) v.image = checkText(c.image, 'image', 1000);
    await transact(this.db, async (trx) => {
      const p = await findProductById(trx, id);
      if (!p) throw new NotFoundError(`product ${id} not found`);
      if (c.categoryId !== undefined)
        v.category_id = await this.categoryOf(trx, Number(p.merchant_id), c.categoryId);
      if (Object.keys(v).length > 0) await updateProduct(trx, id, v);
    });
    return this.get(id);
  }

  /** A category id of `merchantId`; another merchant's category is as unknown as a missing one. */
  private async categoryOf(db: Db['kysely'], merchantId: number, categoryId: number): Promise<number> {
    const c = await findCategoryById(db, categoryId);
    if (!c || Number(c.merchant_id) !== merchantId)
      throw new InvalidInputError(`category ${categoryId} not found`);
    return Number(c.id);
  }

  async categories(merchantId: number): Promise<CategoryView[]> {
    const [cats, counts] = await Promise.all([
      listCategories(this.db.kysely, merchantId),
      countProductsByCategory(this.db.kysely, merchantId),
    ]);
    return cats.map((c) => ({
      id: Number(c.id),
      merchant_id: Number(c.merchant_id),
      name: c.name,
      sort: Number(c.sort),
      products: counts.get(Number(c.id)) ?? 0,
    }));
  }

  async getCategory(id: number): Promise<CategoryView> {
    const c = await findCategoryById(this.db.kysely, id);
    if (!c) throw new NotFoundError(`category ${id} not found`);
    const counts = await countProductsByCategory(this.db.kysely, Number(c.merchant_id));
    return {
      id,
      merchant_id: Number(c.merchant_id),
      name: c.name,
      sort: Number(c.sort),
      products: counts.get(id) ?? 0,
    };
  }

  /** A new category; names are unique per merchant (checked under the write lock). */
  async addCategory(merchantId: number, rawName: string, sort = 0): Promise<CategoryView> {
    const name = checkCategoryName(rawName);
    if (!Number.isSafeInteger(sort)) throw new InvalidInputError('sort must be a whole number');
    if (!(await findMerchantById(this.db.kysely, merchantId)))
      throw new NotFoundError(`merchant ${merchantId} not found`);
    const id = await transact(this.db, async (trx) => {
      if (await findCategoryByName(trx, merchantId, name))
        throw new ConflictError(`a category named ${name} already exists`);
      return insertCategory(trx, { merchant_id: merchantId, name, sort });
    });
    return this.getCategory(id);
  }

  async updateCategory(id: number, c: { name?: string; sort?: number }): Promise<CategoryView> {
    const name = c.name === undefined ? undefined : checkCategoryName(c.name);
    if (c.sort !== undefined && !Number.isSafeInteger(c.sort))
      throw new InvalidInputError('sort must be a whole number');
    await transact(this.db, async (trx) => {
      const current = await findCategoryById(trx, id);
      if (!current) throw new NotFoundError(`category ${id} not found`);
      if (name !== undefined && name !== current.name) {
        if (await findCategoryByName(trx, Number(current.merchant_id), name)) {
          throw new ConflictError(`a category named ${name} already exists`);
        }
      }
      await updateCategory(trx, id, {
        ...(name === undefined ? {} : { name }),
        ...(c.sort === undefined ? {} : { sort: c.sort }),
      });
    });
    return this.getCategory(id);
  }

  /** Deletes an empty category; one that still holds products is refused (move them first). */
  async removeCategory(id: number): Promise<void> {
    const c = await this.getCategory(id);
    // The emptiness check is part of the DELETE itself, so a product added meanwhile keeps it.
    if (!(await deleteEmptyCategory(this.db.kysely, id))) {
      throw new ConflictError(`category ${c.name} still holds products: move them to another category first`);
    }
  }

  async catalogue(merchantId: number): Promise<CatalogueCategory[]> {
    const [cats, products] = await Promise.all([
      listCategories(this.db.kysely, merchantId),
      listProducts(this.db.kysely, merchantId),
    ]);
    return cats.map((c) => ({
      id: Number(c.id),
      name: c.name,
      products: products
        .filter((p) => p.enabled === 1 && Number(p.category_id) === Number(c.id))
        .map((p) => ({
          id: Number(p.id),
          category_id: Number(c.id),
          name: p.name,
          description: p.description,
          image: p.image,
          price: formatCents(Number(p.price_cents)),
          stock: p.stock,
        })),
    }));
  }
}
