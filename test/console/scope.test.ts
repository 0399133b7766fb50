import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DIALECT } from '../helpers/database.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type ConsoleClient, operatorClient, signedInClient } from './client.js';

describe(`console merchant scope on ${TEST_DIALECT}`, () => {
  let gw: TestGateway;
  let op: ConsoleClient;
  let shopA: ConsoleClient;
  let shopB: ConsoleClient;
  let a: number;
  let b: number;

  beforeAll(async () => {
    gw = await startTestGateway();
    op = await operatorClient(gw);
    const add = (name: string) =>
      gw.services.merchants.add({
        name,
        notifyUrl: `https://${name}.example.com/n`,
        returnUrl: `https://${name}.example.com/r`,
      });
    a = (await add('tea')).id;
    b = (await add('noodles')).id;
    const password = 'shop password 1';
    await gw.services.users.add({ email: 'a@tea.example.com', password, role: 'merchant', merchantId: a });
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

  it("gives a merchant user its own merchant and a 404 for another's, the same as for none", async () => {
    const own = await shopA.get('/merchant');
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ id: a, name: 'tea', enabled: true });
    expect((await shopA.get(`/merchant?merchant_id=${a}`)).body.id).toBe(a);

    const other = await shopA.get(`/merchant?merchant_id=${b}`);
    expect(other.status).toBe(404);
    expect(other.body).toEqual({ error: 'not_found', message: 'Not found.' });
    const none = await shopA.get('/merchant?merchant_id=999');
    expect(none.status).toBe(404);
    expect(none.body).toEqual(other.body);
    expect((await shopB.get('/merchant')).body.id).toBe(b);
  });

  it('lets the operator pick any merchant, and asks it to pick one', async () => {
    expect((await op.get(`/merchant?merchant_id=${b}`)).body).toMatchObject({ id: b, name: 'noodles' });
    const unpicked = await op.get('/merchant');
    expect(unpicked.status).toBe(400);
    expect(unpicked.body.error).toBe('invalid_input');
    const bad = await op.get('/merchant?merchant_id=abc');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_input');
    expect((await op.get('/merchant?merchant_id=999')).status).toBe(404);
  });

  it('keeps operator routes to operators', async () => {
    const r = await shopA.get('/sign-ins');
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ error: 'forbidden', message: 'Only the operator can do this.' });
    const list = await op.get('/sign-ins?limit=2');
    expect(list.status).toBe(200);
    expect(list.body.sign_ins).toHaveLength(2);
    expect(list.body.sign_ins[0]).toMatchObject({
      email: 'b@noodles.example.com',
      outcome: 'ok',
      ip: '127.0.0.1',
    });
  });

  it('has the database itself refuse a merchant user without a merchant, an operator with one, an uppercase email', async () => {
    const row = (email: string, role: string, merchantId: number | null) =>
      gw.services.db.kysely
        .insertInto('users')
        .values({ email, password_hash: 'x', role, merchant_id: merchantId, created_at: 1 })
        .execute();
    await expect(row('m@example.com', 'merchant', null)).rejects.toThrow(/check|constraint/i);
    await expect(row('o@example.com', 'operator', a)).rejects.toThrow(/check|constraint/i);
    await expect(row('Up@example.com', 'operator', null)).rejects.toThrow(/check|constraint/i);
    await expect(row('r@example.com', 'admin', null)).rejects.toThrow(/check|constraint/i);
    await expect(row('a@tea.example.com', 'merchant', a)).rejects.toThrow(/unique/i);
  });

  it("never lets a user see or revoke another user's session", async () => {
    const bSessions = (await shopB.get('/sessions')).body.sessions;
    expect(bSessions).toHaveLength(1);
    const aSessions = (await shopA.get('/sessions')).body.sessions;
    expect(aSessions.map((s: any) => s.id)).not.toContain(bSessions[0].id);
    const r = await shopA.delete(`/sessions/${bSessions[0].id}`);
    expect(r.status).toBe(404);
    expect((await op.delete(`/sessions/${bSessions[0].id}`)).status).toBe(404);
    expect((await shopB.get('/session')).status).toBe(200);
  });
});
