import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE } from '../../src/config.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { merchantWithAccount, paidOrder } from './fixtures.js';
import { Receiver } from './receiver.js';

const DOC = readFileSync(new URL('../../docs/notifications.md', import.meta.url), 'utf8');

describe('docs/notifications.md', () => {
  it('states the default retry schedule of the configuration', () => {
    const listed = /<!-- retry-schedule: ([\d,]+) -->/.exec(DOC)?.[1]?.split(',').map(Number);
    expect(listed).toEqual(DEFAULT_RETRY_SCHEDULE);
    const row = DOC.split('\n').find((l) => l.startsWith('| after |'));
    const cells =
      row
        ?.split('|')
        .slice(2, -1)
        .map((c) => c.trim()) ?? [];
    const seconds = cells.map((c) => {
      const [n, unit] = c.split(' ');
      return Number(n) * ({ s: 1, min: 60, h: 3600 }[unit as 's' | 'min' | 'h'] ?? NaN);
    });
    expect(seconds).toEqual(DEFAULT_RETRY_SCHEDULE);
  });

  describe('verification snippets (Node), run against a real notification', () => {
    let gw: TestGateway;
    let r: Receiver;
    let dir: string;
    let snippets: Record<string, (...args: any[]) => boolean>;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'shouyin-doc-'));
      const blocks = [...DOC.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
      const file = join(dir, 'snippets.mjs');
      // Each block has its own imports; merge them into one module.
      const code = blocks.join('\n').replace(/^import .*$/gm, '');
      writeFileSync(file, `import { createHash, createHmac, timingSafeEqual } from 'node:crypto';\n${code}`);
      snippets = await import(pathToFileURL(file).href);
      gw = await startTestGateway();
      r = await Receiver.start();
    });
    afterAll(async () => {
      await r.close();
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('accepts what the gateway sends and rejects a tampered copy', async () => {
      const { merchant } = await merchantWithAccount(gw.services, r.url);
      const order = await paidOrder(gw.services, merchant);
      await r.until(() => r.forOrder(order.id).length > 0);
      const got = r.forOrder(order.id)[0]!;
      const { gatepaySignOk, webhookSignatureOk } = snippets as Record<string, (...a: any[]) => boolean>;
      expect(gatepaySignOk!(got.params, merchant.appkey, merchant.appsecret)).toBe(true);
      expect(gatepaySignOk!({ ...got.params, realprice: '0.01' }, merchant.appkey, merchant.appsecret)).toBe(
        false,
      );
      expect(webhookSignatureOk!(got.headers, got.rawBody, merchant.appsecret)).toBe(true);
      expect(webhookSignatureOk!(got.headers, `${got.rawBody}&x=1`, merchant.appsecret)).toBe(false);
      expect(webhookSignatureOk!(got.headers, got.rawBody, 'another secret')).toBe(false);
    });
  });
});
