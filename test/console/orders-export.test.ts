import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DIALECT } from '../helpers/database.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { consoleSetup, order, payExactly, type Shop } from './orders-fixtures.js';

/** RFC 4180 lines into fields (enough for these files: quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endField();
    else if (c === '\r' && text[i + 1] === '\n') {
      endField();
      rows.push(row);
      row = [];
      i++;
    } else field += c;
  }
  return rows;
}

describe(`console orders CSV export on ${TEST_DIALECT}`, () => {
  let gw: TestGateway;
  let a: Shop;
  let b: Shop;

  beforeAll(async () => {
    gw = await startTestGateway();
    ({ a, b } = await consoleSetup(gw));
  });
  afterAll(() => gw?.close());

  const csv = async (shop: Shop, query: string) => {
    const res = await fetch(`${gw.url}/admin/api/orders/export.csv?${query}`, {
      headers: { cookie: `shouyin_session=${shop.client.cookie}` },
    });
    // Buffer keeps the byte-order mark (fetch's text() would drop it).
    return { res, text: Buffer.from(await res.arrayBuffer()).toString('utf8') };
  };

  it('exports the filtered list as CSV: header row, 2-decimal amounts, China time, formulas disarmed', async () => {
    const o = await order(gw.services, a.merchant, {
      price: 1050,
      out: 'csv-1',
      custom: '=HYPERLINK("http://x","y")',
    });
    await payExactly(gw.services, o);
    await order(gw.services, a.merchant, {
      price: 700,
      out: 'csv-2',
      custom: 'plain, with "quotes"\nand a line',
    });
    const { res, text } = await csv(a, 'state=paid&lang=en');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="orders-\d{12}\.csv"$/);
    expect(text.startsWith('\uFEFF')).toBe(true);
    const rows = parseCsv(text.slice(1));
    expect(rows[0]).toEqual([
      'Order ID',
      'Shop order number',
      'Merchant ID',
      'State',
      'Type',
      'Price',
      'Amount to pay',
      'Paid amount',
      'Account',
      'Account ID',
      'Created (UTC+8)',
      'Paid (UTC+8)',
      'Expires (UTC+8)',
      'Late',
      'Notification',
      'Title',
      'Custom',
    ]);
    expect(rows.length).toBe(2);
    const r = rows[1] as string[];
    expect(r.slice(0, 8)).toEqual([
      String(o.id),
      'csv-1',
      String(a.merchant.id),
      'paid',
      'Alipay',
      '10.50',
      '10.50',
      '10.50',
    ]);
    const china = new Date(o.createdAt + 8 * 3600_000).toISOString();
    expect(r[10]).toBe(`${china.slice(0, 10)} ${china.slice(11, 19)}`);
    expect(r[16]).toBe(`'=HYPERLINK("http://x","y")`);

    const all = parseCsv((await csv(a, 'out_order_id=csv-2')).text.slice(1));
    expect(all[1]?.[16]).toBe('plain, with "quotes"\nand a line');
    // Chinese headers and words by default.
    const zh = parseCsv((await csv(a, 'state=paid')).text.slice(1));
    expect(zh[0]?.slice(0, 4)).toEqual(['订单号', '商户订单号', '商户ID', '状态']);
    expect(zh[1]?.slice(3, 5)).toEqual(['已支付', '支付宝']);
  });

  it('exports every page of a long list, newest first, and nothing of other merchants', async () => {
    // 1,203 orders written straight into the table: more than two export batches of 500.
    const now = Date.now();
    const rows = Array.from({ length: 1203 }, (_, i) => ({
      merchant_id: b.merchant.id,
      account_id: b.alipay,
      token: `bulk-${i}-${now}`,
      out_order_id: `bulk-${i}`,
      kind: 'anypay',
      type: 'alipay',
      price_cents: 100 + i,
      realprice_cents: 100 + i,
      product_id: '0',
      title: 'bulk',
      custom: '',
      fingerprint: '',
      status: 'expired',
      // Ten orders per millisecond: ties are broken by id, across batch boundaries too.
      created_at: now - 100_000 + Math.floor(i / 10),
      expires_at: now - 1,
    }));
    for (let i = 0; i < rows.length; i += 300) {
      await gw.services.db.kysely
        .insertInto('orders')
        .values(rows.slice(i, i + 300))
        .execute();
    }
    const { res, text } = await csv(b, 'lang=en');
    expect(res.status).toBe(200);
    const out = parseCsv(text.slice(1)).slice(1);
    const bulk = out.filter((r) => r[1]?.startsWith('bulk-'));
    expect(bulk.length).toBe(1203);
    expect(bulk.map((r) => r[1])).toEqual(rows.map((r) => r.out_order_id).reverse());
    expect(new Set(out.map((r) => r[2]))).toEqual(new Set([String(b.merchant.id)]));
    expect(bulk[0]?.[5]).toBe('13.02');
  });

  it('refuses a bad filter before sending anything', async () => {
    const { res, text } = await csv(a, 'paid_amount=abc');
    expect(res.status).toBe(400);
    expect(JSON.parse(text.replace(/^\uFEFF/, ''))).toMatchObject({ error: 'invalid_input' });
  });
});
