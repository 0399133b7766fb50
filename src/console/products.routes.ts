import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { NotFoundError } from '../domain/errors.js';
import type { CategoryView, ProductView } from '../products/product.service.js';
import type { Services } from '../services.js';
import { consoleErrors } from './console.errors.js';
import type { ConsoleApp } from './console.routes.js';
import { errorResponses } from './console.schemas.js';
import { ensureInScope, requireMerchantId } from './scope.js';

const Id = Type.Object({ id: Type.Integer({ minimum: 1 }) });
/**
 * Units left; null: stock is not counted (unlimited). Null comes first: the admin API coerces
 * types, and a null tried against the integer first would be taken as 0.
 */
const Stock = Type.Union([Type.Null(), Type.Integer({ minimum: 0, maximum: 1_000_000_000 })]);

const ProductBody = Type.Object({
  id: Type.Integer(),
  merchant_id: Type.Integer(),
  category_id: Type.Union([Type.Integer(), Type.Null()]),
  name: Type.String(),
  description: Type.String(),
  image: Type.String(),
  price: Type.String(),
  stock: Stock,
  enabled: Type.Boolean(),
  created_at: Type.Integer(),
});

const CategoryBody = Type.Object({
  id: Type.Integer(),
  merchant_id: Type.Integer(),
  name: Type.String(),
  sort: Type.Integer(),
  products: Type.Integer(),
});

const ProductFields = {
  name: Type.String({ maxLength: 400 }),
  price: Type.String({ maxLength: 20 }),
  stock: Stock,
  enabled: Type.Boolean(),
  category_id: Type.Integer({ minimum: 1 }),
  description: Type.String({ maxLength: 4000 }),
  image: Type.String({ maxLength: 2000 }),
};

const PAGE_MAX = 200;

/**
 * Products and categories (`/admin/api/products`, `/admin/api/categories`): the catalogue that
 * stablepay (`product_id`) and grouppay (`fields=id:qty,…`) orders are priced from, with stock.
 * Rules live in `ProductService`, which the CLI's `shouyin product add` also uses.
 */
export function productsRoutes(app: ConsoleApp, services: Services): void {
  const { products } = services;

  /** Looks a product or category up for the caller; another merchant's is as missing as none. */
  async function inScope<T extends { merchant_id: number }>(
    request: FastifyRequest,
    load: Promise<T>,
  ): Promise<T> {
    let found: T;
    try {
      found = await load;
    } catch (err) {
      if (err instanceof NotFoundError) throw consoleErrors.notFound();
      throw err;
    }
    ensureInScope(request, found.merchant_id);
    return found;
  }

  app.get(
    '/products',
    {
      schema: {
        querystring: Type.Object({
          merchant_id: Type.Optional(Type.Integer({ minimum: 1 })),
          category_id: Type.Optional(Type.Integer({ minimum: 1 })),
          after_id: Type.Optional(Type.Integer({ minimum: 0 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_MAX })),
        }),
        response: {
          200: Type.Object({
            products: Type.Array(ProductBody),
            next_after_id: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const merchantId = requireMerchantId(request, q.merchant_id);
      const limit = q.limit ?? 100;
      const list: ProductView[] = await products.list(merchantId, {
        categoryId: q.category_id,
        afterId: q.after_id,
        limit: limit + 1,
      });
      const page = list.slice(0, limit);
      return {
        products: page,
        next_after_id: list.length > limit ? (page[page.length - 1]?.id ?? null) : null,
      };
    },
  );

  app.post(
    '/products',
    {
      schema: {
        body: Type.Object(
          {
            merchant_id: Type.Optional(Type.Integer({ minimum: 1 })),
            name: ProductFields.name,
            price: ProductFields.price,
            stock: Type.Optional(Stock),
            enabled: Type.Optional(ProductFields.enabled),
            category_id: Type.Optional(ProductFields.category_id),
            description: Type.Optional(ProductFields.description),
            image: Type.Optional(ProductFields.image),
          },
          { additionalProperties: false },
        ),
        response: { 200: ProductBody, ...errorResponses },
      },
    },
    async (request) => {
      const b = request.body;
      const merchantId = requireMerchantId(request, b.merchant_id);
      const { id } = await products.add({
        merchantId,
        name: b.name,
        price: b.price,
        stock: b.stock,
        enabled: b.enabled,
        categoryId: b.category_id,
        description: b.description,
        image: b.image,
      });
      return products.get(id);
    },
  );

  app.get(
    '/products/:id',
    { schema: { params: Id, response: { 200: ProductBody, ...errorResponses } } },
    async (request) => inScope(request, products.get(request.params.id)),
  );

  app.patch(
    '/products/:id',
    {
      schema: {
        params: Id,
        body: Type.Object(
          {
            name: Type.Optional(ProductFields.name),
            price: Type.Optional(ProductFields.price),
            stock: Type.Optional(Stock),
            enabled: Type.Optional(ProductFields.enabled),
            category_id: Type.Optional(ProductFields.category_id),
            description: Type.Optional(ProductFields.description),
            image: Type.Optional(ProductFields.image),
          },
          { additionalProperties: false },
        ),
        response: { 200: ProductBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = await inScope(request, products.get(request.params.id));
      const b = request.body;
      return products.update(p.id, {
        name: b.name,
        price: b.price,
        stock: b.stock,
        enabled: b.enabled,
        categoryId: b.category_id,
        description: b.description,
        image: b.image,
      });
    },
  );

  app.get(
    '/categories',
    {
      schema: {
        querystring: Type.Object({ merchant_id: Type.Optional(Type.Integer({ minimum: 1 })) }),
        response: { 200: Type.Object({ categories: Type.Array(CategoryBody) }), ...errorResponses },
      },
    },
    async (request) => {
      const list: CategoryView[] = await products.categories(
        requireMerchantId(request, request.query.merchant_id),
      );
      return { categories: list };
    },
  );

  app.post(
    '/categories',
    {
      schema: {
        body: Type.Object(
          {
            merchant_id: Type.Optional(Type.Integer({ minimum: 1 })),
            name: Type.String({ maxLength: 200 }),
            sort: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: CategoryBody, ...errorResponses },
      },
    },
    async (request) =>
      products.addCategory(
        requireMerchantId(request, request.body.merchant_id),
        request.body.name,
        request.body.sort,
      ),
  );

  app.patch(
    '/categories/:id',
    {
      schema: {
        params: Id,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ maxLength: 200 })),
            sort: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: CategoryBody, ...errorResponses },
      },
    },
    async (request) => {
      const c = await inScope(request, products.getCategory(request.params.id));
      return products.updateCategory(c.id, request.body);
    },
  );

  app.delete(
    '/categories/:id',
    { schema: { params: Id, response: { 200: Type.Object({ ok: Type.Boolean() }), ...errorResponses } } },
    async (request) => {
      const c = await inScope(request, products.getCategory(request.params.id));
      await products.removeCategory(c.id);
      return { ok: true };
    },
  );
}
