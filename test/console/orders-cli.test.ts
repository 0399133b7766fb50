import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DIALECT } from '../helpers/database.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { json, shouyin } from '../cli/shouyin.js';
import { consoleSetup, order, payExactly, type Shop } from './orders-fixtures.js';

describe(`shouyin order list on ${TEST_DIALECT}`, () => {
  let gw: TestGateway;
  let a: Shop;
  let b: Shop;

  beforeAll(async () => {
    gw = await startTestGateway();
    ({ a, b } = await consoleSetup(gw));
  });
  afterAll(() => gw?.close());

  it('lists what the console lists, with the same filters', async () => {
    const paid = await order(gw.services, a.merchant, { price: 999, out: 'cli-paid' });
    await payExactly(gw.services, paid);
    const open = await order(gw.services, a.merchant, { price: 500, out: 'cli-open' });
    const other = await order(gw.services, b.merchant, { price: 999, out: 'cli-other' });

    const all = json(await shouyin(['order', 'list', '--json'], gw.env)) as unknown as any[];
    expect(all.map((o) => o.id)).toEqual([other.id, open.id, paid.id]);
    expect(all[2]).toMatchObject({
      out_order_id: 'cli-paid',
      state: 'paid',
      paid_amount: '9.99',
      paid_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*Z$/),
    });

    const who = json(
      await shouyin(
        ['order', 'list', '--json', '--paid-amount', '9.99', '--merchant', String(a.merchant.id)],
        gw.env,
      ),
    ) as unknown as any[];
    expect(who.map((o) => o.id)).toEqual([paid.id]);
    const console = await a.client.get('/orders?paid_amount=9.99');
    expect(who.map((o) => o.id)).toEqual(console.body.orders.map((o: any) => o.id));

    const unpaid = json(
      await shouyin(['order', 'list', '--json', '--state', 'unpaid', '--limit', '1'], gw.env),
    );
    expect((unpaid as unknown as any[]).map((o) => o.id)).toEqual([other.id]);
    const byOut = json(await shouyin(['order', 'list', '--json', '--out-order-id', 'cli-open'], gw.env));
    expect((byOut as unknown as any[]).map((o) => o.id)).toEqual([open.id]);
    const future = json(await shouyin(['order', 'list', '--json', '--since', '2999-01-01'], gw.env));
    expect(future).toEqual([]);
    const past = json(await shouyin(['order', 'list', '--json', '--since', '2020-01-01T00:00:00Z'], gw.env));
    expect((past as unknown as any[]).length).toBe(3);
  });

  it('refuses bad filters in one line, with exit code 1', async () => {
    const cases = [
      [['--state', 'lost'], /state must be unpaid, paid or expired/],
      [['--paid-amount', '9.999'], /amount like 9\.99/],
      [['--since', 'yesterday'], /--since must be a date/],
      [['--since', '2024-02-31'], /--since must be a date/],
      [['--merchant', 'x'], /--merchant must be a positive whole number/],
    ] as const;
    // Each a separate process: started together, they take the time of one.
    const runs = await Promise.all(cases.map(([args]) => shouyin(['order', 'list', ...args], gw.env)));
    runs.forEach((r, i) => {
      expect(r.code, r.stdout).toBe(1);
      expect(r.stderr).toMatch(cases[i]![1]);
      expect(r.stderr.trim().split('\n').length).toBe(1);
    });
  });
});
