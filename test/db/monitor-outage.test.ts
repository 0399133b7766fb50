import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgres, type ScratchDatabase } from '../helpers/database.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { MonitorClient } from '../monitor/monitor-client.js';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/**
 * Monitors while PostgreSQL is unreachable: they are told "try again" (503), never "received"
 * and never a bare 500, and their next try after the database returns is recorded.
 */
describe('monitor paths during a database outage', () => {
  let scratch: ScratchDatabase;
  let proxy: TcpProxy;
  let gw: TestGateway;

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    const direct = new URL(scratch.url);
    proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(scratch.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    viaProxy.searchParams.set('connect_timeout', '1');
    gw = await startTestGateway({ env: { DATABASE_URL: viaProxy.toString() } });
  });
  afterAll(async () => {
    proxy.mode = 'forward';
    await gw?.close();
    await proxy?.close();
    await scratch?.drop();
  });

  it('answers the monitor API and the V免签 app 503 while the database is down, and records the retry after', async () => {
    const m = await gw.services.merchants.add({
      name: 'Outage',
      notifyUrl: 'http://127.0.0.1:9/n',
      returnUrl: 'http://127.0.0.1:9/r',
    });
    const acc = await gw.services.accounts.add({
      merchantId: m.id,
      type: 'alipay',
      name: 'a',
      qrContent: 'https://qr.example/a',
    });
    const monitor = new MonitorClient(gw.url, acc.id, acc.monitorKey, Date.now);
    const item = { id: 'out-1', type: 'alipay', amount: '1.00', paid_at: Math.floor(Date.now() / 1000) };

    proxy.mode = 'refuse';
    proxy.cut();
    const down = await monitor.payments([item]);
    expect(down.status).toBe(503);
    expect(down.body.error).toBe('unavailable');
    const t = Date.now();
    const push = await fetch(
      `${gw.url}/appPush?t=${t}&type=2&price=1.0&sign=${md5(`2${'1.0'}${t}${acc.monitorKey}`)}`,
    );
    expect(push.status).toBe(503);
    expect(((await push.json()) as { code: number }).code).toBe(-1);

    proxy.mode = 'forward';
    const again = await monitor.payments([item]);
    expect(again.status).toBe(200);
    expect(again.body.results[0].result).toBe('unmatched');
  });
});
