import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type AddressCategory, classifyAddress } from '../domain/ssrf-address.js';

/** Where a callback URL's host points, as the push network's SSRF guard would judge it. */
export interface TargetCheck {
  host: string;
  /** Every address the host resolved to (the literal itself for an IP host), with its category. */
  addresses: Array<{ address: string; category: AddressCategory }>;
  /** Why the host could not be resolved; null when it was. */
  error: string | null;
}

export type ResolveAll = (host: string) => Promise<string[]>;

const systemResolve: ResolveAll = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Resolves a callback URL's host and classifies each address, for the console's warnings when
 * a merchant saves its URLs. The guard itself (`guardedLookup`) still decides at send time:
 * this only tells the shop ahead of the first refused notification. Bounded by `timeoutMs`, so
 * a slow resolver cannot hold up the settings page.
 */
export async function checkTarget(
  url: string,
  resolve: ResolveAll = systemResolve,
  timeoutMs = 2000,
): Promise<TargetCheck> {
  const raw = new URL(url).hostname;
  const host = raw.startsWith('[') ? raw.slice(1, -1) : raw;
  if (isIP(host) !== 0)
    return { host, addresses: [{ address: host, category: classifyAddress(host) }], error: null };
  let timer: NodeJS.Timeout | undefined;
  try {
    const found = await Promise.race([
      resolve(host),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no DNS answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    if (found.length === 0) return { host, addresses: [], error: 'no address' };
    return {
      host,
      addresses: found.map((address) => ({ address, category: classifyAddress(address) })),
      error: null,
    };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { host, addresses: [], error: code ?? (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** The first address the guard would refuse (it refuses a host if any of its addresses is not public). */
export function refusedAddress(check: TargetCheck): { address: string; category: AddressCategory } | null {
  return check.addresses.find((a) => a.category !== 'public') ?? null;
}
