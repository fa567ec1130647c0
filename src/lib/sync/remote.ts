/**
 * The remote (CouchDB over HTTP) side of sync: a PouchDB http database whose fetch adds Basic
 * auth in a header (never in the URL, never logged), learns the server clock offset from the
 * `Date` header (DESIGN.md section 5) and remembers the last HTTP status seen.
 */
import { offsetFromDateHeader, OFFSET_RESOLUTION_MS } from '../clock/offset';
import type { Hlc } from '../clock/hlc';
import { Pouch } from '../db/pouch';
import { createError } from '../errors';

/** Name and password (or device secret) used for Basic auth. */
export interface Credentials {
  username: string;
  password: string;
}

/** The fetch signature PouchDB's http adapter calls. */
export type FetchImpl = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface RemoteOptions extends Credentials {
  /** Receives the learned server offset; omit to skip learning it. */
  clock?: Pick<Hlc, 'setServerOffset'>;
  /** The underlying fetch (tests inject one); defaults to the global fetch. */
  fetchImpl?: FetchImpl;
  /** Wall clock used to time requests (default Date.now). */
  now?: () => number;
}

/** What the sync layer can ask a remote made by openRemoteDb. */
export interface RemoteConnection {
  /** The database URL, without credentials. */
  readonly url: string;
  /** HTTP status of the last response (null before any, or after a network failure: 0). */
  lastStatus(): number | null;
  /** Requests started through this remote. */
  requests(): number;
  /** Swaps the credentials used for the next requests (after the user signs in again). */
  setCredentials(credentials: Credentials): void;
  /**
   * Holds back every request until `resume()`: after the server refused the credential, a lane
   * PouchDB is still winding down must not send another one (no hammering with a dead secret).
   */
  suspend(): void;
  resume(): void;
}

/** PouchDB's http adapter: a request to a path under the database URL, with its auth and fetch. */
export type HttpFetch = { fetch(path: string, init?: RequestInit): Promise<Response> };

/** A PouchDB http database with its connection details. */
export type RemoteDb = PouchDB.Database<Record<string, unknown>> & {
  readonly connection: RemoteConnection;
};

/**
 * Round trips longer than this (ms) say too little about when the server stamped its `Date`
 * (long-polled `_changes`, slow networks), so they are not used to learn the offset.
 */
export const MAX_OFFSET_RTT_MS = 2 * OFFSET_RESOLUTION_MS;

const basic = ({ username, password }: Credentials) =>
  'Basic ' + btoa(String.fromCharCode(...new TextEncoder().encode(`${username}:${password}`)));

/**
 * The JSON body of a CouchDB response; a non-2xx one throws with CouchDB's status, error and
 * reason kept (as PouchDB's own errors carry them).
 */
export async function remoteJson<T = unknown>(res: Response, what: string): Promise<T> {
  const body = (await res.json().catch(() => null)) as
    (T & { error?: unknown; reason?: unknown }) | null;
  if (res.ok && body !== null) return body;
  const error = typeof body?.error === 'string' ? body.error : 'unknown_error';
  const reason = typeof body?.reason === 'string' ? body.reason : `${what} answered ${res.status}`;
  throw Object.assign(new Error(reason), { status: res.status, name: error, error, reason });
}

/** Opens the remote database at `url` (no credentials in it) with Basic auth and clock learning. */
export function openRemoteDb(url: string, opts: RemoteOptions): RemoteDb {
  const parsed = new URL(url);
  if (parsed.username || parsed.password) {
    throw createError('invalid', {
      message: 'Pass credentials separately, not in the database URL.',
    });
  }
  const baseFetch: FetchImpl = opts.fetchImpl ?? ((input, init) => fetch(input, init));
  const now = opts.now ?? Date.now;
  let authorization = basic(opts);
  let lastStatus: number | null = null;
  let requests = 0;
  let suspended = false;

  const authedFetch: FetchImpl = async (input, init = {}) => {
    if (suspended) {
      throw createError('unauthorized', {
        message: 'Sync is waiting for new credentials.',
        status: 401,
      });
    }
    const headers = new Headers(init.headers);
    headers.set('Authorization', authorization);
    requests += 1;
    const sentAt = now();
    let res: Response;
    try {
      res = await baseFetch(input, { ...init, headers });
    } catch (err) {
      lastStatus = 0;
      throw err;
    }
    const receivedAt = now();
    lastStatus = res.status;
    if (opts.clock && res.ok && receivedAt - sentAt <= MAX_OFFSET_RTT_MS) {
      const offset = offsetFromDateHeader(res.headers.get('date'), sentAt, receivedAt);
      if (offset !== null) opts.clock.setServerOffset(offset);
    }
    return res;
  };

  const db = new Pouch<Record<string, unknown>>(url, {
    adapter: 'http',
    // The member of a per-user db may not create it: never let PouchDB try (PUT /db -> 401).
    skip_setup: true,
    fetch: authedFetch as PouchDB.Core.Options['fetch'],
  } as PouchDB.Configuration.RemoteDatabaseConfiguration);

  // PouchDB's http adapter decides once per URL whether the server has `_bulk_get`, and a
  // network error during that first try makes it fetch every doc on its own from then on (one
  // request per doc, for the life of the page). CouchDB 2+ and the embedded server both have it.
  const shimmed = db.bulkGet.bind(db);
  const bulkGet = (async (opts: PouchDB.Core.BulkGetOptions & { latest?: boolean }) => {
    if (opts.attachments && opts.binary) return shimmed(opts); // not asked by the replicator
    const params = new URLSearchParams();
    if (opts.revs) params.set('revs', 'true');
    if (opts.attachments) params.set('attachments', 'true');
    if (opts.latest) params.set('latest', 'true');
    const query = params.size ? `?${params}` : '';
    const res = await (db as typeof db & HttpFetch).fetch(`_bulk_get${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ docs: opts.docs }),
    });
    return remoteJson(res, 'POST /db/_bulk_get');
  }) as typeof db.bulkGet;
  Object.assign(db, { bulkGet });

  const connection: RemoteConnection = {
    url: parsed.toString().replace(/\/$/, ''),
    lastStatus: () => lastStatus,
    requests: () => requests,
    setCredentials(credentials) {
      authorization = basic(credentials);
    },
    suspend() {
      suspended = true;
    },
    resume() {
      suspended = false;
    },
  };
  return Object.assign(db, { connection });
}
