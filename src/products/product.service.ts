import type { Db } from '../db/connect.js';
import { transact } from '../db/tx.js';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import { formatCents, parsePositiveCents } from '../domain/money.js';
import type { Clock } from '../lib/clock.js';
import { findMerchantById } from '../merchants/merchant.repository.js';
import { findOrCreateCategory, insertProduct, listCategories, listProducts } from './product.repository.js';

export interface AddProductInput {
  merchantId: number;
  name: string;
  price: string;
  stock?: number | null;
  category?: string;
  description?: string;
  image?: string;
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
    const name = input.name.trim();
    if (name === '' || name.length > 200) throw new InvalidInputError('name must be 1–200 characters');
    const cents = parsePositiveCents(input.price);
    if (cents === null)
      throw new InvalidInputError('price must be a positive amount with at most 2 decimals');
    if (input.stock != null && (!Number.isInteger(input.stock) || input.stock < 0)) {
      throw new InvalidInputError('stock must be a whole number ≥ 0');
    }
    if (!(await findMerchantById(this.db.kysely, input.merchantId))) {
      throw new NotFoundError(`merchant ${input.merchantId} not found`);
    }
    // One transaction: the category and its product appear together or not at all, and on
    // SQLite the IMMEDIATE lock keeps two concurrent adds from creating the category twice.
    const id = await transact(this.db, async (trx) => {
      const categoryId = await findOrCreateCategory(trx, input.merchantId, input.category?.trim() || '默认');
      return insertProduct(trx, {
        merchant_id: input.merchantId,
        category_id: categoryId,
        name,
        description: input.description ?? '',
        image: input.image ?? '',
        price_cents: cents,
        stock: input.stock ?? null,
        created_at: this.clock(),
      });
    });
    return { id };
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
