import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  countRows,
  createParams,
  decodeGrayPng,
  type MerchantCreds,
  PNG_SIGNATURE,
  productShowParams,
  provisionMerchant,
  readQr,
} from '../helpers/gatepay.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

describe('GatePay product orders', () => {
  let gw: TestGateway;
  let m: MerchantCreds & { id: number };
  let seq = 0;

  beforeAll(async () => {
    gw = await startTestGateway();
    m = (await provisionMerchant(gw, { name: 'Product shop' })).merchant;
  });
  afterAll(() => gw.close());

  const stablepay = (productId: string | number) =>
    call(
      gw.url,
      '/api/stablepay/create',
      createParams(m, {
        product_id: String(productId),
        type: 'alipay',
        out_order_id: `p-${++seq}`,
        custom: '',
      }),
    );
  const grouppay = (fields: string) =>
    call(
      gw.url,
      '/api/grouppay/create',
      createParams(m, { fields, type: 'alipay', out_order_id: `g-${++seq}`, custom: '' }),
    );
  const stockOf = async (id: number) =>
    (
      await gw.services.db.kysely
        .selectFrom('products')
        .select('stock')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).stock;

  it('sells a stocked product until it runs out, then answers 206 and stores nothing', async () => {
    const { id } = await gw.services.products.add({ merchantId: m.id, name: 'Mug', price: '20', stock: 2 });
    const first = await stablepay(id);
    expect(first.body!.code).toBe(100);
    expect(first.body!.data.price).toBe('20.00');
    expect(await stockOf(id)).toBe(1);
    expect((await stablepay(id)).body!.code).toBe(100);
    expect(await stockOf(id)).toBe(0);

    const rows = await countRows(gw);
    const out = await stablepay(id);
    expect(out.status).toBe(200);
    expect(out.body).toMatchObject({ code: 206, data: null });
    expect(out.body!.msg).toContain('当前产品无库存');
    expect(await countRows(gw)).toEqual(rows);
    expect(await stockOf(id)).toBe(0);

    const shown = await call(gw.url, '/api/product/show', productShowParams(m));
    const products = (shown.body!.data as Array<{ products: Array<{ id: number; stock: number }> }>).flatMap(
      (c) => c.products,
    );
    expect(products.find((p) => p.id === id)?.stock).toBe(0);
  });

  it('sells a product without stock tracking any number of times', async () => {
    const { id } = await gw.services.products.add({ merchantId: m.id, name: 'Ebook', price: '3' });
    for (let i = 0; i < 3; i++) expect((await stablepay(id)).body!.code).toBe(100);
    expect(await stockOf(id)).toBeNull();
  });

  it("answers 205 for an unknown product, another merchant's product, or a malformed id", async () => {
    const other = (await provisionMerchant(gw, { name: 'Other', types: [] })).merchant;
    const foreign = await gw.services.products.add({ merchantId: other.id, name: 'Theirs', price: '1' });
    const rows = await countRows(gw);
    for (const pid of ['999999', String(foreign.id), 'abc', '0', '-1']) {
      const res = await stablepay(pid);
      expect(res.status, pid).toBe(200);
      expect(res.body, pid).toMatchObject({ code: 205, data: null });
    }
    expect(await countRows(gw)).toEqual(rows);
  });

  it('prices a grouppay order as the sum of its fields and records its items', async () => {
    const a = await gw.services.products.add({ merchantId: m.id, name: 'A', price: '1.10', stock: 5 });
    const b = await gw.services.products.add({ merchantId: m.id, name: 'B', price: '2.25' });
    const res = await grouppay(`${a.id}:1,${b.id}:2`);
    expect(res.body!.code).toBe(100);
    expect(res.body!.data.price).toBe('5.60');
    expect(res.body!.data.params.fields).toBe(`${a.id}:1,${b.id}:2`);
    const items = await gw.services.db.kysely
      .selectFrom('order_items')
      .select(['product_id', 'quantity', 'price_cents'])
      .where('order_id', '=', res.body!.data.order_id)
      .orderBy('product_id')
      .execute();
    expect(items.map((i) => [Number(i.product_id), i.quantity, Number(i.price_cents)])).toEqual([
      [a.id, 1, 110],
      [b.id, 2, 225],
    ]);
    expect(await stockOf(a.id)).toBe(4);
  });

  it('adds up a product listed twice in grouppay fields', async () => {
    const a = await gw.services.products.add({ merchantId: m.id, name: 'Twice', price: '4' });
    const res = await grouppay(`${a.id}:1,${a.id}:2`);
    expect(res.body!.code).toBe(100);
    expect(res.body!.data.price).toBe('12.00');
  });

  it('refuses a grouppay order when one product lacks stock, leaving the others untouched', async () => {
    const a = await gw.services.products.add({ merchantId: m.id, name: 'Plenty', price: '1', stock: 10 });
    const b = await gw.services.products.add({ merchantId: m.id, name: 'Scarce', price: '1', stock: 1 });
    const rows = await countRows(gw);
    const res = await grouppay(`${a.id}:3,${b.id}:2`);
    expect(res.body).toMatchObject({ code: 206, data: null });
    expect(await countRows(gw)).toEqual(rows);
    expect(await stockOf(a.id)).toBe(10);
    expect(await stockOf(b.id)).toBe(1);
  });

  it('refuses malformed grouppay fields with 105 and unknown products with 205', async () => {
    const rows = await countRows(gw);
    for (const fields of ['a:1,b:2', '1', '1:0', '1:1,', ':1', '1:1;2:1']) {
      expect((await grouppay(fields)).body!.code, fields).toBe(105);
    }
    expect((await grouppay('999998:1')).body!.code).toBe(205);
    expect(await countRows(gw)).toEqual(rows);
  });
});

describe('/qrcode/build', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('draws the given text as a PNG QR code about the asked size', async () => {
    const text = 'https://pay.example.com/pay/api?id=abc&type=alipay';
    const res = await fetch(`${gw.url}/qrcode/build?size=200&text=${encodeURIComponent(text)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = Buffer.from(await res.arrayBuffer());
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const img = decodeGrayPng(png);
    expect(img.width).toBe(img.height);
    expect(img.width).toBeLessThanOrEqual(200);
    expect(img.width).toBeGreaterThanOrEqual(100);
    expect(readQr(png)).toBe(text);
  });

  it.each([
    ['no text', 'size=200', 'text'],
    ['empty text', 'size=200&text=', 'text'],
    ['size too small', 'size=10&text=a', 'size'],
    ['size too large', 'size=5000&text=a', 'size'],
    ['size not a number', 'size=abc&text=a', 'size'],
    ['text too long', `size=200&text=${'a'.repeat(1001)}`, 'text'],
  ])('refuses %s with 400 and envelope code 105', async (_what, qs, names) => {
    const res = await fetch(`${gw.url}/qrcode/build?${qs}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { code: number; msg: string; data: unknown };
    expect(body.code).toBe(105);
    expect(body.data).toBeNull();
    expect(body.msg).toContain(names);
  });
});
