import { hash } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

/** A paired account as the lookup sees it. */
export interface VmqKey {
  id: number;
  key: string;
}

export interface VmqKeyIndexOptions {
  /** Reads every account with the V免签 protocol on (id, key). */
  load: () => Promise<VmqKey[]>;
  /** Monotonic milliseconds for the index's own timing (not the business clock). */
  monotonic?: () => number;
  /** Least time between two reloads caused by signatures nobody's key matches. */
  minReloadIntervalMs?: number;
  /** A reload in the background when the copy is older than this. */
  maxAgeMs?: number;
  /** Keys hashed between two yields to the event loop during a full scan. */
  chunk?: number;
  /** Fruitless full scans one address may cause per minute before it only gets its hinted keys. */
  failedScansPerMinute?: number;
}

/** Constant-time comparison of two lowercase 32-character hex strings. */
function hexEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

const HINTS_PER_ADDRESS = 64;
const MAX_ADDRESSES = 100_000;

/**
 * Finds which paired account signed a V免签 request. The app's requests carry no account, only
 * `sign = md5(fields + key)` with the key last, so no part of the hash can be precomputed per
 * key: finding the signer means hashing with candidate keys until one matches. Measured on
 * Node 20, one md5 here costs ~0.7–1.2 µs, so 10,000 keys cost ~7–12 ms: too slow for every push.
 *
 * So the index remembers, per client address, which accounts signed from it (a phone heartbeats
 * every 30 s from its address, and its pushes come from the same address). A push then costs one
 * md5 or a few. Only a phone seen for the first time at an address pays for a full scan, which
 * runs in chunks that yield to the event loop so other requests are not held up. An address whose
 * requests keep matching nobody gets a bounded number of full scans per minute, so garbage
 * signatures cannot buy unbounded CPU.
 *
 * Keys live in memory, loaded from the database on first use; reloaded when this process changes
 * an account (`markStale`), in the background when older than `maxAgeMs`, and when a signature
 * matches no key (rate-limited): that is how an account paired by the CLI in another process is
 * found. Callers confirm a match against the database row before acting on it.
 */
export class VmqKeyIndex {
  private keys: VmqKey[] = [];
  private byId = new Map<number, string>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private stale = true;
  private loading: Promise<void> | null = null;
  private readonly hints = new Map<string, number[]>();
  private readonly failures = new Map<string, { windowStart: number; count: number }>();
  private readonly monotonic: () => number;
  private readonly minReloadIntervalMs: number;
  private readonly maxAgeMs: number;
  private readonly chunk: number;
  private readonly failedScansPerMinute: number;
  /** Counters for tests and metrics. */
  readonly stats = { hashes: 0, fullScans: 0, reloads: 0 };

  constructor(private readonly opts: VmqKeyIndexOptions) {
    this.monotonic = opts.monotonic ?? (() => performance.now());
    this.minReloadIntervalMs = opts.minReloadIntervalMs ?? 1000;
    this.maxAgeMs = opts.maxAgeMs ?? 60_000;
    this.chunk = opts.chunk ?? 1000;
    this.failedScansPerMinute = opts.failedScansPerMinute ?? 20;
  }

  /** The copy no longer matches the database (an account changed in this process). */
  markStale(): void {
    this.stale = true;
  }

  get size(): number {
    return this.keys.length;
  }

  /**
   * The id of the account whose key makes `md5(prefix + key)` equal `sign` (lowercase hex), or
   * null. `address` is the client's address, used only as a hint of where to look first.
   */
  async find(address: string, prefix: string, sign: string): Promise<number | null> {
    if (this.stale || this.loadedAt === Number.NEGATIVE_INFINITY) await this.reload();
    else if (this.monotonic() - this.loadedAt > this.maxAgeMs) void this.reload().catch(() => undefined);

    const hinted = this.hints.get(address);
    if (hinted) {
      for (const id of hinted) {
        const key = this.byId.get(id);
        if (key !== undefined && this.matches(prefix, key, sign)) {
          this.hint(address, id);
          return id;
        }
      }
    }
    if (!this.mayScan(address)) return null;

    let id = await this.scan(this.keys, prefix, sign);
    if (id === null && this.monotonic() - this.loadedAt >= this.minReloadIntervalMs) {
      // Perhaps paired a moment ago by another process: reload and try only the new keys.
      const before = new Map(this.byId);
      await this.reload();
      id = await this.scan(
        this.keys.filter((k) => before.get(k.id) !== k.key),
        prefix,
        sign,
      );
    }
    if (id !== null) this.hint(address, id);
    else this.failed(address);
    return id;
  }

  /** Forgets that `id` signed from anywhere (its key or protocol flag changed). */
  forget(id: number): void {
    for (const [address, ids] of this.hints) {
      const i = ids.indexOf(id);
      if (i >= 0) ids.splice(i, 1);
      if (ids.length === 0) this.hints.delete(address);
    }
  }

  private matches(prefix: string, key: string, sign: string): boolean {
    this.stats.hashes++;
    return hexEqual(hash('md5', prefix + key), sign);
  }

  private async scan(keys: readonly VmqKey[], prefix: string, sign: string): Promise<number | null> {
    this.stats.fullScans++;
    for (let i = 0; i < keys.length; i++) {
      if (i > 0 && i % this.chunk === 0) await yieldToLoop();
      const k = keys[i] as VmqKey;
      if (this.matches(prefix, k.key, sign)) return k.id;
    }
    return null;
  }

  /** Most recent signer first; the address itself moves to the back of the eviction order. */
  private hint(address: string, id: number) {
    const ids = this.hints.get(address) ?? [];
    const i = ids.indexOf(id);
    if (i === 0 && this.hints.has(address)) return;
    if (i > 0) ids.splice(i, 1);
    ids.unshift(id);
    if (ids.length > HINTS_PER_ADDRESS) ids.length = HINTS_PER_ADDRESS;
    this.hints.delete(address);
    this.hints.set(address, ids);
    if (this.hints.size > MAX_ADDRESSES) {
      const oldest = this.hints.keys().next().value;
      if (oldest !== undefined) this.hints.delete(oldest);
    }
  }

  private mayScan(address: string): boolean {
    const f = this.failures.get(address);
    if (!f) return true;
    if (this.monotonic() - f.windowStart >= 60_000) {
      this.failures.delete(address);
      return true;
    }
    return f.count < this.failedScansPerMinute;
  }

  private failed(address: string) {
    const now = this.monotonic();
    const f = this.failures.get(address);
    if (f && now - f.windowStart < 60_000) {
      f.count++;
      return;
    }
    if (this.failures.size >= MAX_ADDRESSES) this.failures.clear();
    this.failures.set(address, { windowStart: now, count: 1 });
  }

  private reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        this.stale = false;
        const keys = await this.opts.load();
        this.keys = keys;
        this.byId = new Map(keys.map((k) => [k.id, k.key]));
        this.loadedAt = this.monotonic();
        this.stats.reloads++;
      } catch (err) {
        this.stale = true;
        throw err;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }
}
