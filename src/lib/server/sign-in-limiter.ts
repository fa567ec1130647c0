/**
 * Slows password guessing on the sign-in routes (`POST /api/enrol`, `POST /couch/_session`) and
 * on every request that carries a password of its own (`Authorization: Basic` on `/couch/*` and
 * `/metrics`: without it, any CouchDB path answered 401 or 200 to a guess at full speed; a
 * device credential's random secret is not limited, see app.ts):
 * failed sign-ins are counted per name and per client address, and after a few free failures
 * each further attempt waits for a delay that doubles with every failure, up to a short cap.
 * While it waits, an attempt is answered 429 without its password being checked (so guesses do
 * not go faster) and without being counted (so hammering does not lengthen the wait).
 *
 * - One name hammered from many addresses: its wait never exceeds `maxDelayPerNameMs`, and an
 *   address the name signed in from successfully before is held neither by the name's nor by
 *   the address's wait (only by the failures of that name from that address, with the name's
 *   limits), so the real person is at most briefly delayed on a new device and not at all on
 *   their own, even behind the same NAT as the attacker.
 * - One address hammering many names: slowed by the per-address count, with a longer cap.
 * - A success clears the name's count (not the address's: signing in to one's own account must
 *   not reset a guessing address).
 * Memory stays bounded: counts are forgotten after `forgetAfterMs` without a failure, trust after
 * `trustMs`, and each table keeps at most `maxEntries` (the least recently touched go first).
 */

export interface SignInLimits {
  /** Failures of one name (from any address) before any wait. */
  freeFailuresPerName: number;
  /** Failures from one address (for any names) before any wait. */
  freeFailuresPerAddress: number;
  /** The first wait after the free failures (ms); it doubles with each further failure. */
  baseDelayMs: number;
  /** Longest wait for one name: short, so the real person is never locked out for long. */
  maxDelayPerNameMs: number;
  /** Longest wait for one address. */
  maxDelayPerAddressMs: number;
  /** A count is forgotten after this long without a failure (ms). */
  forgetAfterMs: number;
  /** How long a successful sign-in lets its address past the name's wait (ms). */
  trustMs: number;
  /** Most entries per table (names, addresses, trusted name/address pairs). */
  maxEntries: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = {
  freeFailuresPerName: 5,
  freeFailuresPerAddress: 20,
  baseDelayMs: 1000,
  maxDelayPerNameMs: 30_000,
  maxDelayPerAddressMs: 5 * 60_000,
  forgetAfterMs: 15 * 60_000,
  trustMs: 30 * 24 * 60 * 60_000,
  maxEntries: 10_000,
};

export interface SignInLimiter {
  /** How long (ms) this attempt must wait before its password may be checked; 0: go on. */
  waitMs(name: string, address: string): number;
  /** Counts a failed sign-in (a wrong name or password). */
  failed(name: string, address: string): void;
  /** Records a successful sign-in: the name's count is cleared and the address trusted. */
  succeeded(name: string, address: string): void;
}

/** A Map of at most `max` entries that forgets entries older than `ttlMs`. */
class ExpiringTable<V extends { at: number }> {
  private readonly entries = new Map<string, V>();
  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly now: () => number,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.at >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, value: V): void {
    this.entries.delete(key); // re-inserted last: Map order is least recently touched first
    this.entries.set(key, value);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.max) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

interface Failures {
  count: number;
  /** Time of the last failure. */
  at: number;
}

/** Creates a limiter; pass `now` so tests move time by hand. */
export function createSignInLimiter(
  opts: { now?: () => number; limits?: Partial<SignInLimits> } = {},
): SignInLimiter & { entries(): number } {
  const now = opts.now ?? Date.now;
  const limits = { ...DEFAULT_SIGN_IN_LIMITS, ...opts.limits };
  const byName = new ExpiringTable<Failures>(limits.forgetAfterMs, limits.maxEntries, now);
  const byAddress = new ExpiringTable<Failures>(limits.forgetAfterMs, limits.maxEntries, now);
  const byPair = new ExpiringTable<Failures>(limits.forgetAfterMs, limits.maxEntries, now);
  const trusted = new ExpiringTable<{ at: number }>(limits.trustMs, limits.maxEntries, now);
  const key = (name: string) => name.trim().toLowerCase();
  const pair = (name: string, address: string) => `${key(name)}\n${address}`;

  function wait(failures: Failures | undefined, free: number, maxMs: number): number {
    if (!failures || failures.count < free) return 0;
    const delay = Math.min(maxMs, limits.baseDelayMs * 2 ** Math.min(failures.count - free, 30));
    return Math.max(0, failures.at + delay - now());
  }

  function count(table: ExpiringTable<Failures>, k: string): void {
    const prev = table.get(k);
    table.set(k, { count: (prev?.count ?? 0) + 1, at: now() });
  }

  return {
    waitMs(name, address) {
      const perName = [limits.freeFailuresPerName, limits.maxDelayPerNameMs] as const;
      if (key(name) && trusted.get(pair(name, address))) {
        return wait(byPair.get(pair(name, address)), ...perName);
      }
      const forAddress = wait(
        byAddress.get(address),
        limits.freeFailuresPerAddress,
        limits.maxDelayPerAddressMs,
      );
      const forName = key(name) ? wait(byName.get(key(name)), ...perName) : 0;
      return Math.max(forAddress, forName);
    },
    failed(name, address) {
      count(byAddress, address);
      if (!key(name)) return;
      count(byName, key(name));
      count(byPair, pair(name, address));
    },
    succeeded(name, address) {
      if (!key(name)) return;
      byName.delete(key(name));
      byPair.delete(pair(name, address));
      trusted.set(pair(name, address), { at: now() });
    },
    entries: () => byName.size + byAddress.size + byPair.size + trusted.size,
  };
}

/** The name a `POST /_session` body signs in with (JSON or form-encoded), '' when none. */
export function sessionName(body: Uint8Array, contentType: string | undefined): string {
  const text = new TextDecoder().decode(body);
  try {
    if ((contentType ?? '').toLowerCase().includes('application/x-www-form-urlencoded')) {
      return new URLSearchParams(text).get('name') ?? '';
    }
    const parsed = JSON.parse(text) as { name?: unknown } | null;
    return typeof parsed?.name === 'string' ? parsed.name : '';
  } catch {
    return '';
  }
}

/** The name in an `Authorization: Basic` header; null when the header holds no Basic credential. */
export function basicAuthName(authorization: string | undefined): string | null {
  const match = /^basic\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? decoded : decoded.slice(0, colon);
}

/** The 429 answer for an attempt that must wait: CouchDB's error shape and `Retry-After`. */
export function tooManySignIns(waitMs: number): {
  retryAfterSeconds: number;
  body: { error: string; reason: string };
} {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return {
    retryAfterSeconds: seconds,
    body: {
      error: 'too_many_requests',
      reason: `Too many failed sign-ins. Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`,
    },
  };
}
