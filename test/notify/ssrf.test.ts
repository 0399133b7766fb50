import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { type AddressCategory, classifyAddress, parseIPv6 } from '../../src/domain/ssrf-address.js';
import { checkLiteralHost, guardedLookup, SsrfRefusedError } from '../../src/notify/ssrf.js';

describe('classifyAddress', () => {
  const cases: Array<[string, AddressCategory]> = [
    // IPv4
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['93.184.216.34', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.15.255.255', 'public'],
    ['172.32.0.0', 'public'],
    ['192.168.1.1', 'private'],
    ['192.169.0.1', 'public'],
    ['169.254.0.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.63.255.255', 'public'],
    ['100.128.0.0', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    // IPv6
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['[::1]', 'loopback'],
    ['2606:4700:4700::1111', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fd00:ec2::254', 'metadata'],
    ['FD00:EC2:0:0:0:0:0:254', 'metadata'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    // IPv4 reached through IPv6 forms is judged as the IPv4 address.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:8.8.8.8', 'public'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::192.168.0.1', 'private'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:0808:0808::1', 'public'],
    // Not addresses.
    ['', 'invalid'],
    ['localhost', 'invalid'],
    ['example.com', 'invalid'],
    ['256.1.1.1', 'invalid'],
    ['1.2.3', 'invalid'],
    ['01.2.3.4', 'invalid'],
    ['0x7f.0.0.1', 'invalid'],
    ['1:2:3:4:5:6:7:8:9', 'invalid'],
    ['1::2::3', 'invalid'],
    ['12345::1', 'invalid'],
    [':::', 'invalid'],
  ];
  for (const [address, category] of cases) {
    it(`classifies ${JSON.stringify(address)} as ${category}`, () => {
      expect(classifyAddress(address)).toBe(category);
    });
  }

  it('expands IPv6 text into eight groups', () => {
    expect(parseIPv6('1:2:3:4:5:6:1.2.3.4')).toEqual([1, 2, 3, 4, 5, 6, 0x0102, 0x0304]);
    expect(parseIPv6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('fe80::')).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('1:2:3:4:5:6:7::')).toEqual([1, 2, 3, 4, 5, 6, 7, 0]);
  });
});

describe('SSRF guard on connections', () => {
  /** A resolver that answers from a table: no DNS traffic leaves the test. */
  const table =
    (answers: Record<string, LookupAddress[]>) =>
    (host: string, cb: (err: Error | null, a: LookupAddress[]) => void) =>
      setImmediate(() => cb(null, answers[host] ?? []));

  function look(
    lookup: ReturnType<typeof guardedLookup>,
    host: string,
    all = false,
  ): Promise<{ err: Error | null; address: unknown; family?: number }> {
    return new Promise((resolve) =>
      lookup(host, { all }, (err, address, family) => resolve({ err, address, family })),
    );
  }

  const lookup = guardedLookup(
    table({
      'shop.example': [{ address: '93.184.216.34', family: 4 }],
      'dual.example': [
        { address: '2606:4700::1', family: 6 },
        { address: '93.184.216.34', family: 4 },
      ],
      'rebind.example': [
        { address: '93.184.216.34', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
      'metadata.example': [{ address: '169.254.169.254', family: 4 }],
      'ula.example': [{ address: 'fd00:ec2::254', family: 6 }],
    }),
  );

  it('lets a public name through with the address it checked', async () => {
    expect(await look(lookup, 'shop.example')).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    expect(await look(lookup, 'dual.example', true)).toMatchObject({
      err: null,
      address: [
        { address: '2606:4700::1', family: 6 },
        { address: '93.184.216.34', family: 4 },
      ],
    });
  });

  it('refuses a name when any address it resolves to is internal', async () => {
    const r = await look(lookup, 'rebind.example');
    expect(r.err).toBeInstanceOf(SsrfRefusedError);
    expect(r.err?.message).toBe(
      'refused: rebind.example resolves to 127.0.0.1, which is a loopback address (set ALLOW_PRIVATE_CALLBACKS=1 to allow)',
    );
    expect((await look(lookup, 'metadata.example')).err?.message).toMatch(
      /169\.254\.169\.254, which is a metadata/,
    );
    expect((await look(lookup, 'ula.example', true)).err?.message).toMatch(
      /fd00:ec2::254, which is a metadata/,
    );
  });

  it('reports a name with no address as not found', async () => {
    const r = await look(lookup, 'nowhere.example');
    expect((r.err as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
  });

  it('checks IP-literal URLs before connecting, since sockets skip the lookup for them', () => {
    expect(checkLiteralHost(new URL('http://127.0.0.1:8080/n'))?.message).toMatch(
      /^refused: 127\.0\.0\.1 is a loopback address/,
    );
    expect(checkLiteralHost(new URL('http://[::1]/n'))?.message).toMatch(/^refused: ::1 is a loopback/);
    expect(checkLiteralHost(new URL('http://[::ffff:a9fe:a9fe]/'))?.message).toMatch(/metadata/);
    // WHATWG URL parsing normalises odd IPv4 spellings first, so they cannot sneak past.
    expect(checkLiteralHost(new URL('http://0x7f.1/'))?.message).toMatch(/127\.0\.0\.1 is a loopback/);
    expect(checkLiteralHost(new URL('http://2130706433/'))?.message).toMatch(/loopback/);
    expect(checkLiteralHost(new URL('http://8.8.8.8/'))).toBeNull();
    expect(checkLiteralHost(new URL('https://shop.example/n'))).toBeNull();
  });
});
