import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { classifyAddress } from '../domain/ssrf-address.js';

/** A notification target refused because it is, or resolves to, an internal address. */
export class SsrfRefusedError extends Error {
  override name = 'SsrfRefusedError';
  readonly code = 'ERR_SSRF_REFUSED';
}

/** The refusal for one address, or null when it is public. */
export function refusalFor(host: string, address: string): SsrfRefusedError | null {
  const category = classifyAddress(address);
  if (category === 'public') return null;
  const what = host === address ? address : `${host} resolves to ${address}, which`;
  return new SsrfRefusedError(
    `refused: ${what} is a ${category} address (set ALLOW_PRIVATE_CALLBACKS=1 to allow)`,
  );
}

/**
 * Checks a URL whose host is an IP literal, before any connection: sockets skip the DNS lookup
 * for literals, so `guardedLookup` never sees them.
 */
export function checkLiteralHost(url: URL): SsrfRefusedError | null {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) === 0 ? null : refusalFor(host, host);
}

type Resolve = (hostname: string, cb: (err: Error | null, addresses: LookupAddress[]) => void) => void;

const resolveAll: Resolve = (hostname, cb) =>
  dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => cb(err, addresses ?? []));

/**
 * A `lookup` for the sockets that carry notifications: it resolves the name and refuses it
 * unless every address is public. The socket then connects to exactly the addresses checked
 * here, so a DNS answer that changes between a check and the connect (rebinding) cannot slip
 * an internal address through.
 */
export function guardedLookup(resolve: Resolve = resolveAll): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    resolve(hostname, (err, found) => {
      if (err) return callback(err, '', 0);
      const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
      const addresses = family === 4 || family === 6 ? found.filter((a) => a.family === family) : found;
      if (addresses.length === 0) {
        const e: NodeJS.ErrnoException = new Error(`DNS: no address for ${hostname}`);
        e.code = 'ENOTFOUND';
        return callback(e, '', 0);
      }
      for (const a of addresses) {
        const refused = refusalFor(hostname, a.address);
        if (refused) return callback(refused, '', 0);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0] as LookupAddress;
      return callback(null, first.address, first.family);
    });
  };
}
