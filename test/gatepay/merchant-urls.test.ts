import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/domain/errors.js';
import { hasCredentials, isHttpUrl } from '../../src/lib/urls.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const WITH_CREDENTIALS = [
  'https://user:pass@shop.example.com/notify',
  'https://user@shop.example.com/notify',
  'https://:pass@shop.example.com/notify',
  'http://user%40x:p@127.0.0.1:8080/n',
] as const;

describe('callback URLs with credentials', () => {
  it('are not http(s) URLs a merchant can be sent to', () => {
    for (const u of WITH_CREDENTIALS) {
      expect(hasCredentials(u), u).toBe(true);
      expect(isHttpUrl(u), u).toBe(false);
    }
    expect(hasCredentials('https://shop.example.com/notify?user=a&pass=b#x@y')).toBe(false);
    expect(isHttpUrl('https://shop.example.com/n@otify')).toBe(true);
  });

  describe('on a merchant', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway();
    });
    afterAll(() => gw?.close());

    const good = {
      name: 'Shop',
      notifyUrl: 'https://shop.example.com/n',
      returnUrl: 'https://shop.example.com/r',
    };

    it('refuses them when a merchant is added, saying why', async () => {
      for (const [field, patch] of [
        ['notify-url', { notifyUrl: WITH_CREDENTIALS[0] }],
        ['return-url', { returnUrl: WITH_CREDENTIALS[1] }],
        ['timeout-url', { timeoutUrl: WITH_CREDENTIALS[2] }],
      ] as const) {
        const added = gw.services.merchants.add({ ...good, ...patch });
        await expect(added).rejects.toThrow(InvalidInputError);
        await expect(added).rejects.toThrow(`${field} must not contain a user name or password`);
      }
      expect(await gw.services.db.kysely.selectFrom('merchants').selectAll().execute()).toEqual([]);
    });

    it('refuses them when a merchant’s URLs are changed, and keeps the old ones', async () => {
      const m = await gw.services.merchants.add(good);
      for (const patch of [
        { notifyUrl: WITH_CREDENTIALS[3] },
        { returnUrl: WITH_CREDENTIALS[0] },
        { timeoutUrl: WITH_CREDENTIALS[1] },
      ]) {
        await expect(gw.services.merchants.set(m.id, patch)).rejects.toThrow(
          /must not contain a user name or password/,
        );
      }
      const after = await gw.services.merchants.get(m.id);
      expect(after).toMatchObject({ notifyUrl: good.notifyUrl, returnUrl: good.returnUrl, timeoutUrl: null });
    });
  });
});
