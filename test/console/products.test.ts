import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createParams, productShowParams } from '../helpers/gatepay.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type ConsoleClient, operatorClient, signedInClient } from './client.js';

const patch = (c: ConsoleClient, path: string, body: unknown, opts: { csrf?: string | null } = {}) =>
  c.call('PATCH', path, body, opts);

describe(`console products and categories on ${TEST_DIALECT}`, () => {
  let gw: TestGateway;
  let op: ConsoleClient;
  let shopA: ConsoleClient;
  let shopB: ConsoleClient;
  let a: { id: number; appkey: string; appsecret: string };
  let b: number;
  let seq = 0;
  const password = 'shop password 1';

  const productRow = (id: number) =>
    gw.services.db.kysely.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirst();
  const count = async (table: 'products' | 'categories') =>
    Number(
      (
        await gw.services.db.kysely
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const stablepay = (productId: number) =>
    call(
      gw.url,
      '/api/stablepay/create',
      createParams(a, {
        product_id: String(productId),
        type: 'alipay',
        out_order_id: `p-${++seq}`,
        custom: '',
      }),
    );

  beforeAll(async () => {
    gw = await startTestGateway();
    op = await operatorClient(gw);
    a = await gw.services.merchants.add({
      name: 'tea',
      notifyUrl: 'https://t.example/n',
      returnUrl: 'https://t.example/r',
    });
    b = (
      await gw.services.merchants.add({
        name: 'noodles',
        notifyUrl: 'https://n.example/n',
        returnUrl: 'https://n.example/r',
      })
    ).id;
    await gw.services.accounts.add({
      merchantId: a.id,
      type: 'alipay',
      name: 'Counter',
      qrContent: 'https://qr/a',
    });
    await gw.services.users.add({ email: 'a@tea.example.com', password, role: 'merchant', merchantId: a.id });
    await gw.services.users.add({
      email: 'b@noodles.example.com',
      password,
      role: 'merchant',
      merchantId: b,
    });
    shopA = await signedInClient(gw, 'a@tea.example.com', password);
    shopB = await signedInClient(gw, 'b@noodles.example.com', password);
  });
  afterAll(() => gw?.close());

  it('creates, renames, sorts and deletes categories; names are unique per merchant', async () => {
    const tea = await shopA.post('/categories', { name: ' Tea ', sort: 2 });
    expect(tea.status).toBe(200);
    expect(tea.body).toMatchObject({ merchant_id: a.id, name: 'Tea', sort: 2, products: 0 });
    const cakes = (await shopA.post('/categories', { name: 'Cakes', sort: 1 })).body;
    expect((await shopA.get('/categories')).body.categories.map((c: any) => c.name)).toEqual([
      'Cakes',
      'Tea',
    ]);

    const dup = await shopA.post('/categories', { name: 'Tea' });
    expect(dup.status).toBe(409);
    expect(dup.body.message).toMatch(/a category named Tea already exists/);
    const rename = await patch(shopA, `/categories/${cakes.id}`, { name: 'Pastry', sort: 5 });
    expect(rename.body).toMatchObject({ name: 'Pastry', sort: 5 });
    expect((await patch(shopA, `/categories/${cakes.id}`, { name: 'Tea' })).status).toBe(409);
    expect((await shopA.post('/categories', { name: '  ' })).status).toBe(400);
    // Another merchant may use the same name.
    expect((await shopB.post('/categories', { name: 'Tea' })).status).toBe(200);

    const del = await shopA.delete(`/categories/${cakes.id}`);
    expect(del.body).toEqual({ ok: true });
    expect((await shopA.get('/categories')).body.categories.map((c: any) => c.name)).toEqual(['Tea']);
  });

  it('refuses to delete a category that still holds products', async () => {
    const cat = (await shopA.post('/categories', { name: 'Full' })).body;
    await shopA.post('/products', { name: 'Kept', price: '1', category_id: cat.id });
    const r = await shopA.delete(`/categories/${cat.id}`);
    expect(r.status).toBe(409);
    expect(r.body.message).toMatch(/still holds products: move them to another category first/);
    expect((await shopA.get('/categories')).body.categories.find((c: any) => c.id === cat.id).products).toBe(
      1,
    );
  });

  it('adds and edits products with price, stock, enabled and category', async () => {
    const cat = (await shopA.post('/categories', { name: 'Mugs' })).body;
    const other = (await shopA.post('/categories', { name: 'Cups' })).body;
    const r = await shopA.post('/products', {
      name: 'Blue mug',
      price: '20.5',
      stock: 3,
      category_id: cat.id,
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      merchant_id: a.id,
      name: 'Blue mug',
      price: '20.50',
      stock: 3,
      enabled: true,
      category_id: cat.id,
    });
    const id = r.body.id;
    const e = await patch(shopA, `/products/${id}`, {
      name: 'Big blue mug',
      price: '25',
      stock: null,
      category_id: other.id,
    });
    expect(e.body).toMatchObject({
      name: 'Big blue mug',
      price: '25.00',
      stock: null,
      category_id: other.id,
    });
    expect((await patch(shopA, `/products/${id}`, { stock: 7, enabled: false })).body).toMatchObject({
      stock: 7,
      enabled: false,
    });
    expect((await shopA.get(`/products/${id}`)).body).toMatchObject({
      name: 'Big blue mug',
      stock: 7,
      enabled: false,
    });
    // Disabled products are not offered to merchant sites.
    const shown = await call(gw.url, '/api/product/show', productShowParams(a));
    const offered = shown.body!.data.flatMap((c: any) => c.products.map((p: any) => p.id));
    expect(offered).not.toContain(id);
  });

  it('refuses bad product input and changes nothing', async () => {
    const cat = (await shopA.post('/categories', { name: 'Checks' })).body;
    const theirCat = (await shopB.post('/categories', { name: 'Theirs' })).body;
    const p = (await shopA.post('/products', { name: 'Solid', price: '5', stock: 1, category_id: cat.id }))
      .body;
    const before = await count('products');
    for (const [body, message] of [
      [{ name: 'X', price: '0' }, /price must be a positive amount/],
      [{ name: 'X', price: '1.001' }, /price must be a positive amount/],
      [{ name: '', price: '1' }, /name must be 1–200 characters/],
      [{ name: 'X', price: '1', stock: -1 }, /stock/],
      [{ name: 'X', price: '1', stock: 1.5 }, /stock/],
      [{ name: 'X', price: '1', category_id: 999_999 }, /category 999999 not found/],
      [{ name: 'X', price: '1', category_id: theirCat.id }, new RegExp(`category ${theirCat.id} not found`)],
    ] as const) {
      const r = await shopA.post('/products', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error).toBe('invalid_input');
      expect(r.body.message).toMatch(message);
    }
    expect(await count('products')).toBe(before);
    for (const body of [{ price: 'free' }, { stock: -3 }, { category_id: theirCat.id }, { name: ' ' }]) {
      expect((await patch(shopA, `/products/${p.id}`, body)).status, JSON.stringify(body)).toBe(400);
    }
    const row = await productRow(p.id);
    expect([row?.name, Number(row?.price_cents), row?.stock, Number(row?.category_id)]).toEqual([
      'Solid',
      500,
      1,
      cat.id,
    ]);
  });

  it('shows the stock that orders take, and sells what the console restocks', async () => {
    const p = (await shopA.post('/products', { name: 'Last one', price: '3', stock: 1 })).body;
    expect((await stablepay(p.id)).body!.code).toBe(100);
    expect((await shopA.get(`/products/${p.id}`)).body.stock).toBe(0);
    expect((await stablepay(p.id)).body!.code).toBe(206);
    await patch(shopA, `/products/${p.id}`, { stock: 2 });
    expect((await stablepay(p.id)).body!.code).toBe(100);
    expect((await shopA.get(`/products/${p.id}`)).body.stock).toBe(1);
  });

  it('lists products in keyset pages, optionally of one category', async () => {
    const cat = (await shopA.post('/categories', { name: 'Paged' })).body;
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await shopA.post('/products', { name: `P${i}`, price: '1', category_id: cat.id })).body.id);
    }
    const first = await shopA.get(`/products?category_id=${cat.id}&limit=2`);
    expect(first.body.products.map((p: any) => p.id)).toEqual(ids.slice(0, 2));
    expect(first.body.next_after_id).toBe(ids[1]);
    const second = await shopA.get(`/products?category_id=${cat.id}&limit=2&after_id=${ids[1]}`);
    expect(second.body.products.map((p: any) => p.id)).toEqual(ids.slice(2, 4));
    const last = await shopA.get(`/products?category_id=${cat.id}&limit=2&after_id=${ids[3]}`);
    expect(last.body.products.map((p: any) => p.id)).toEqual(ids.slice(4));
    expect(last.body.next_after_id).toBeNull();
    const all = await shopA.get('/products');
    expect(all.body.products.every((p: any) => p.merchant_id === a.id)).toBe(true);
  });

  it("answers a merchant user 404 for another merchant's products and categories, the same as for none", async () => {
    const cat = (await shopA.post('/categories', { name: 'Private' })).body;
    const p = (await shopA.post('/products', { name: 'Secret', price: '9', stock: 4, category_id: cat.id }))
      .body;
    const nf = { error: 'not_found', message: 'Not found.' };
    const calls = (pid: number, cid: number) => [
      () => shopB.get(`/products/${pid}`),
      () => patch(shopB, `/products/${pid}`, { stock: 0, enabled: false }),
      () => patch(shopB, `/categories/${cid}`, { name: 'Mine' }),
      () => shopB.delete(`/categories/${cid}`),
    ];
    for (const [i, c] of calls(p.id, cat.id).entries()) {
      const r = await c();
      expect([r.status, r.body], `call ${i}`).toEqual([404, nf]);
      expect((await calls(999_999, 999_999)[i]!()).body).toEqual(nf);
    }
    for (const path of [`/products?merchant_id=${a.id}`, `/categories?merchant_id=${a.id}`]) {
      expect((await shopB.get(path)).status).toBe(404);
    }
    for (const path of ['/products', '/categories']) {
      expect((await shopB.post(path, { merchant_id: a.id, name: 'Sneaky', price: '1' })).status).toBe(404);
    }
    expect((await shopB.get('/products')).body.products.map((x: any) => x.id)).not.toContain(p.id);
    const row = await productRow(p.id);
    expect([row?.stock, row?.enabled]).toEqual([4, 1]);
    expect((await shopA.get('/categories')).body.categories.find((c: any) => c.id === cat.id).name).toBe(
      'Private',
    );
    // The operator works on any merchant, but must name it.
    expect((await op.get('/products')).status).toBe(400);
    expect((await op.get(`/products?merchant_id=${a.id}`)).body.products.map((x: any) => x.id)).toContain(
      p.id,
    );
    expect((await patch(op, `/products/${p.id}`, { stock: 5 })).body.stock).toBe(5);
  });

  it('refuses every state-changing call without the CSRF token, changing nothing', async () => {
    const cat = (await shopA.post('/categories', { name: 'Guarded' })).body;
    const p = (await shopA.post('/products', { name: 'Guarded', price: '2', stock: 2, category_id: cat.id }))
      .body;
    const before = [await count('products'), await count('categories')];
    for (const csrf of [null, 'forged']) {
      for (const r of [
        await shopA.post('/products', { name: 'Forged', price: '1' }, { csrf }),
        await patch(shopA, `/products/${p.id}`, { stock: 0 }, { csrf }),
        await shopA.post('/categories', { name: 'Forged' }, { csrf }),
        await patch(shopA, `/categories/${cat.id}`, { name: 'Forged' }, { csrf }),
        await shopA.delete(`/categories/${cat.id}`, { csrf }),
      ]) {
        expect([r.status, r.body.error]).toEqual([403, 'csrf']);
      }
    }
    expect([await count('products'), await count('categories')]).toEqual(before);
    expect((await productRow(p.id))?.stock).toBe(2);
  });
});
