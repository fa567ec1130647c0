/**
 * What the `/couch` front knows of revoked device credentials (DESIGN.md section 8).
 *
 * CouchDB checks a credential against an auth cache that hears of a changed or deleted `_users`
 * doc from its own `_users` changes feed, a few milliseconds after the write; in a rare race
 * (a lookup that read the doc just before the change stores it just after) a stale entry can
 * live until it expires, 10 minutes by default (`[chttpd_auth_cache] max_lifetime`). The front
 * refuses the names it knows to be revoked itself, so no request through it rides that window.
 *
 * It learns a revocation from the revoke call in this process (`revoke`), and from `_users`
 * changes (`onUserChange`): a deleted device user, or one re-keyed by `revokeDevice` (marked
 * `outpost.revokedAt`). It forgets a name when the device is enrolled again (`clear`, or a new
 * unmarked doc in `_users`): CouchDB keys credentials by name, and a re-enrolled device has a
 * new secret, so the old one stays dead at CouchDB.
 *
 * Bounded: a name is also forgotten `ttlMs` after its revocation (15 minutes by default, more
 * than CouchDB's auth cache can hold a stale entry), and at most `maxEntries` names are kept
 * (the oldest go first: CouchDB has surely caught up on those). Forgetting a name once CouchDB
 * itself answers 401 was not chosen: the front answers such requests itself, so it never sees
 * CouchDB's answer, and asking CouchDB would cost a request (a password hash) per refusal.
 * Nothing survives a restart; by then CouchDB's cache has long caught up (docs/OPERATIONS.md).
 */
import type { ServerScope } from 'nano';
import { isDeviceUser } from './provision/names';
import { isRevokedUserDoc } from './revoke';

/** One `_users` change as the changes feed gives it. */
export interface UserChange {
  id: string;
  deleted?: boolean;
}

/** Options for {@link createRevocations}. */
export interface RevocationsOptions {
  /** The current `_users` doc of a name (admin read), or null when there is none. */
  readUser: (name: string) => Promise<Record<string, unknown> | null>;
  /** How long a revoked name is remembered (ms, default 15 minutes). */
  ttlMs?: number;
  /** How many revoked names are remembered at most (default 10,000). */
  maxEntries?: number;
  now?: () => number;
  log?: (message: string) => void;
}

/** The revoked device names the `/couch` front refuses. */
export interface Revocations {
  /** Remembers a device name as revoked, from now on. */
  revoke(name: string): void;
  /** Forgets a name: the device was enrolled again. */
  clear(name: string): void;
  /** True when requests with this user name must be refused. */
  isRevoked(name: string): boolean;
  /** Learns from one `_users` change; resolves once it is applied (never rejects). */
  onUserChange(change: UserChange): Promise<void>;
  /** How many names are remembered now. */
  readonly size: number;
}

const USER_PREFIX = 'org.couchdb.user:';
const DEFAULT_TTL_MS = 15 * 60_000;
const DEFAULT_MAX_ENTRIES = 10_000;

/** Creates an empty set of revocations. */
export function createRevocations(opts: RevocationsOptions): Revocations {
  const ttl = opts.ttlMs ?? DEFAULT_TTL_MS;
  const max = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const now = opts.now ?? Date.now;
  /** Name -> when it is forgotten; insertion order is age order. */
  const revoked = new Map<string, number>();
  /** The `_users` read in flight per name; a newer event for the name supersedes it. */
  const pending = new Map<string, object>();

  const remember = (name: string) => {
    revoked.delete(name);
    revoked.set(name, now() + ttl);
    for (const [oldest, until] of revoked) {
      if (revoked.size <= max && until > now()) break;
      revoked.delete(oldest);
    }
  };

  return {
    revoke(name) {
      pending.delete(name);
      remember(name);
    },
    clear(name) {
      pending.delete(name);
      revoked.delete(name);
    },
    isRevoked(name) {
      if (revoked.size === 0) return false;
      const until = revoked.get(name);
      if (until === undefined) return false;
      if (until > now()) return true;
      revoked.delete(name);
      return false;
    },
    async onUserChange({ id, deleted }) {
      if (!id.startsWith(USER_PREFIX)) return;
      const name = id.slice(USER_PREFIX.length);
      if (!isDeviceUser(name)) return;
      if (deleted) remember(name); // at once; the read below undoes it if the device is back
      // The feed may lag behind enrolments and revocations made since: decide on the doc as it
      // is now, unless a newer event for the name came first.
      const token = {};
      pending.set(name, token);
      let doc: Record<string, unknown> | null;
      try {
        doc = await opts.readUser(name);
      } catch (err) {
        if (pending.get(name) === token) pending.delete(name);
        opts.log?.(`revocations: could not read ${name}: ${(err as Error).message}`);
        return;
      }
      if (pending.get(name) !== token) return;
      pending.delete(name);
      if (doc === null || isRevokedUserDoc(doc)) remember(name);
      else revoked.delete(name);
    },
    get size() {
      return revoked.size;
    },
  };
}

/** Reads `_users` docs by name as admin, for {@link RevocationsOptions.readUser}. */
export function userReader(couch: ServerScope): RevocationsOptions['readUser'] {
  const users = couch.use<Record<string, unknown>>('_users');
  return (name) =>
    users.get(`${USER_PREFIX}${name}`).then(
      (doc) => doc as Record<string, unknown>,
      (err: unknown) => {
        if ((err as { statusCode?: unknown }).statusCode === 404) return null;
        throw err;
      },
    );
}
