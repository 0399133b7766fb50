import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

describe('TRUST_PROXY configuration', () => {
  it('trusts no proxy unless told', () => {
    expect(loadConfig({}).trustProxy).toEqual([]);
    for (const off of ['', 'off', 'OFF', 'false', '0', 'no', 'none']) {
      expect(loadConfig({ TRUST_PROXY: off }).trustProxy, off).toEqual([]);
    }
  });

  it('reads a comma list of addresses, CIDRs and proxy-addr names', () => {
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1' }).trustProxy).toEqual(['127.0.0.1']);
    expect(
      loadConfig({ TRUST_PROXY: ' 127.0.0.1, 10.0.0.0/8 ,::1,fd00::/8,loopback,uniquelocal' }).trustProxy,
    ).toEqual(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback', 'uniquelocal']);
    expect(loadConfig({ TRUST_PROXY: '0.0.0.0/0' }).trustProxy).toEqual(['0.0.0.0/0']);
  });

  it.each([
    'true',
    '1',
    '*',
    'yes',
    'proxy.example.com',
    '10.0.0.0/33',
    '::1/129',
    '10.0.0.0/',
    '10.0.0.0/8/1',
    '10.0.0.0/-1',
    '10.0.0.0/255.0.0.0',
    '127.0.0.1,,10.0.0.1',
    '256.0.0.1',
  ])('refuses TRUST_PROXY=%j', (value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY/);
  });
});

/**
 * Which address a request is counted under, seen through the wrong-pay-token limit of /pay/any
 * (two wrong links per address, then 429).
 */
describe('client address behind a proxy', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  const wrongLink = (g: TestGateway, forwardedFor: string) =>
    fetch(`${g.url}/pay/any?appkey=nope&token=nope`, { headers: { 'x-forwarded-for': forwardedFor } }).then(
      (r) => r.status,
    );

  it('ignores X-Forwarded-For when no proxy is trusted', async () => {
    gw = await startTestGateway({ env: { PAY_ANY_BAD_TOKEN_LIMIT: '2' } });
    expect(await wrongLink(gw, '203.0.113.1')).toBe(403);
    expect(await wrongLink(gw, '203.0.113.2')).toBe(403);
    // A third made-up address does not buy a fresh allowance: all three came from 127.0.0.1.
    expect(await wrongLink(gw, '203.0.113.3')).toBe(429);
  });

  it('takes the client address from X-Forwarded-For sent by a trusted proxy', async () => {
    gw = await startTestGateway({ env: { PAY_ANY_BAD_TOKEN_LIMIT: '2', TRUST_PROXY: '127.0.0.1' } });
    expect(await wrongLink(gw, '203.0.113.1')).toBe(403);
    expect(await wrongLink(gw, '203.0.113.1')).toBe(403);
    expect(await wrongLink(gw, '203.0.113.1')).toBe(429);
    expect(await wrongLink(gw, '203.0.113.2')).toBe(403);
    // The client may prepend what it likes; only the hop the trusted proxy added counts.
    expect(await wrongLink(gw, '198.51.100.9, 203.0.113.1')).toBe(429);
  });

  it('does not trust a forwarding hop that is not on the list', async () => {
    gw = await startTestGateway({ env: { PAY_ANY_BAD_TOKEN_LIMIT: '2', TRUST_PROXY: '10.0.0.0/8' } });
    expect(await wrongLink(gw, '203.0.113.1')).toBe(403);
    expect(await wrongLink(gw, '203.0.113.2')).toBe(403);
    expect(await wrongLink(gw, '203.0.113.3')).toBe(429);
  });
});
