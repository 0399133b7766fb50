/**
 * Which IP addresses a merchant notification may be sent to. Pure: it classifies address
 * strings (as DNS or a URL gives them) and is called by the push network after resolution,
 * right before it connects, so a name that resolves to an internal address is refused.
 */
export type AddressCategory =
  | 'public'
  | 'invalid'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'metadata'
  | 'multicast'
  | 'broadcast'
  | 'reserved';

/** A CIDR block of IPv4 as [first address as uint32, prefix length, category]. */
type V4Block = readonly [number, number, AddressCategory];

// Order matters: the first match wins, so narrower blocks come before the ones containing them.
const V4_BLOCKS: readonly V4Block[] = [
  [v4('169.254.169.254'), 32, 'metadata'],
  [v4('255.255.255.255'), 32, 'broadcast'],
  [v4('0.0.0.0'), 8, 'unspecified'],
  [v4('10.0.0.0'), 8, 'private'],
  [v4('100.64.0.0'), 10, 'cgnat'],
  [v4('127.0.0.0'), 8, 'loopback'],
  [v4('169.254.0.0'), 16, 'link-local'],
  [v4('172.16.0.0'), 12, 'private'],
  [v4('192.0.0.0'), 24, 'reserved'],
  [v4('192.0.2.0'), 24, 'reserved'],
  [v4('192.168.0.0'), 16, 'private'],
  [v4('198.18.0.0'), 15, 'reserved'],
  [v4('198.51.100.0'), 24, 'reserved'],
  [v4('203.0.113.0'), 24, 'reserved'],
  [v4('224.0.0.0'), 4, 'multicast'],
  [v4('240.0.0.0'), 4, 'reserved'],
];

function v4(text: string): number {
  const n = parseIPv4(text);
  if (n === null) throw new Error(`bad IPv4 literal ${text}`);
  return n;
}

/** Dotted-quad IPv4 (strictly four decimal octets) as an unsigned 32-bit number. */
export function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const octet = Number(p);
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  return n;
}

/** IPv6 text (with `::`, an embedded dotted quad, or a `%zone`) as eight 16-bit groups. */
export function parseIPv6(text: string): number[] | null {
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s === '' || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    // An embedded dotted quad supplies the last two groups ("::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4").
    const quad = parseIPv4(s.slice(lastColon + 1));
    if (quad === null) return null;
    tail = [Math.floor(quad / 65536), quad % 65536];
    const prefix = s.slice(0, lastColon + 1);
    s = prefix.endsWith('::') ? prefix : prefix.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const group = (g: string) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN);
  const split = (h: string | undefined) => (h === undefined || h === '' ? [] : h.split(':').map(group));
  const head = split(halves[0]);
  const rest = split(halves[1]);
  if ([...head, ...rest].some(Number.isNaN)) return null;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 2) {
    if (known > 7) return null;
    return [...head, ...new Array<number>(8 - known).fill(0), ...rest, ...tail];
  }
  return known === 8 ? [...head, ...tail] : null;
}

function categoryOfV4(n: number): AddressCategory {
  for (const [base, prefix, category] of V4_BLOCKS) {
    const size = 2 ** (32 - prefix);
    if (n >= base && n < base + size) return category;
  }
  return 'public';
}

function categoryOfV6(g: number[]): AddressCategory {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = g6 * 65536 + g7;
  const zeroTo = (k: number) => g.slice(0, k).every((x) => x === 0);
  if (zeroTo(8)) return 'unspecified';
  if (zeroTo(7) && g7 === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach
  // the embedded IPv4 address, so they are judged as it.
  if (zeroTo(5) && g5 === 0xffff) return categoryOfV4(embedded);
  if (zeroTo(6)) return categoryOfV4(embedded);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return categoryOfV4(embedded);
  }
  // 6to4 carries an IPv4 address in bits 16–47.
  if (g0 === 0x2002) return categoryOfV4(g1 * 65536 + g2);
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0) {
    if (g7 === 0x254) return 'metadata';
  }
  if ((g0 & 0xfe00) === 0xfc00) return 'private';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xffc0) === 0xfec0) return 'private'; // deprecated site-local
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  if (g0 === 0x2001 && g1 === 0x0db8) return 'reserved'; // documentation
  if (g0 === 0x2001 && g1 === 0) return 'reserved'; // Teredo: hides an IPv4 address
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return 'reserved'; // discard-only
  return 'public';
}

/**
 * The category of an IP address given as text (`10.0.0.1`, `::ffff:127.0.0.1`, `[fe80::1%eth0]`).
 * Anything that is not a plain IP address is `invalid`.
 */
export function classifyAddress(address: string): AddressCategory {
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const quad = parseIPv4(text);
  if (quad !== null) return categoryOfV4(quad);
  if (!text.includes(':')) return 'invalid';
  const groups = parseIPv6(text);
  return groups === null ? 'invalid' : categoryOfV6(groups);
}

/** True when a notification may connect to `address` while private callbacks are not allowed. */
export function isPublicAddress(address: string): boolean {
  return classifyAddress(address) === 'public';
}
