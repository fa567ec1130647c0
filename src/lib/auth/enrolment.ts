/**
 * The device side of sign-in (DESIGN.md section 8): one online sign-in with name and password
 * enrols this device; the device credential it returns is kept on the device (IndexedDB, in a
 * `_local` doc that never replicates) and used for every later sync, so a rep back from hours
 * offline syncs without signing in again.
 */
import { referenceDbName } from '../domain/db-names';
import { createError, toOutpostError, type OutpostError } from '../errors';

/** What the server returns for an enrolled device. */
export interface Enrolment {
  person: { name: string; role: 'rep' | 'supervisor'; team: string; displayName: string };
  /** The person's database name, under the `/couch` front. */
  db: string;
  /** The team's reference db (products, templates); enrolments made before it existed lack it. */
  referenceDb?: string;
  credentials: { username: string; password: string };
  /** When this device was enrolled (ISO). */
  enrolledAt: string;
}

/** The person's CouchDB db behind `/couch` on `origin` (sync, photo fetches, background push). */
export function remoteDbUrl(origin: string, enrolment: Pick<Enrolment, 'db'>): string {
  return `${origin.replace(/\/$/, '')}/couch/${encodeURIComponent(enrolment.db)}`;
}

/** The team's reference db behind `/couch` on `origin` (the device pulls it, never writes it). */
export function referenceDbUrl(
  origin: string,
  enrolment: Pick<Enrolment, 'referenceDb' | 'person'>,
): string {
  const db = enrolment.referenceDb ?? referenceDbName(enrolment.person.team || 'default');
  return remoteDbUrl(origin, { db });
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Signs in once, online: asks the server to enrol this device. Throws an OutpostError in words. */
export async function enrolDevice(
  input: { name: string; password: string; deviceId: string; label?: string },
  opts: { fetch?: FetchLike; baseUrl?: string; now?: () => Date } = {},
): Promise<Enrolment> {
  const doFetch = opts.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(`${opts.baseUrl ?? ''}/api/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(input),
    });
  } catch (err) {
    throw createError('network', {
      message: 'No connection. Signing in needs the network once; try again when you are online.',
      cause: err,
    });
  }
  const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
  if (res.status === 429) {
    throw createError('rate_limited', {
      error: typeof body?.error === 'string' ? body.error : undefined,
      reason: typeof body?.reason === 'string' ? body.reason : undefined,
      retryAfterMs: retryAfterMs(res.headers.get('retry-after'), opts.now?.() ?? new Date()),
    });
  }
  if (!res.ok || !body) {
    throw toOutpostError({
      status: res.status,
      error: typeof body?.error === 'string' ? body.error : undefined,
      reason: typeof body?.reason === 'string' ? body.reason : 'Sign-in failed on the server.',
    });
  }
  const person = body.person as Enrolment['person'];
  const credentials = body.credentials as Enrolment['credentials'];
  if (!person?.name || typeof body.db !== 'string' || !credentials?.username) {
    throw createError('internal', {
      message: 'The server answered sign-in with something unexpected.',
    });
  }
  return {
    person,
    db: body.db,
    ...(typeof body.referenceDb === 'string' ? { referenceDb: body.referenceDb } : {}),
    credentials,
    enrolledAt: (opts.now?.() ?? new Date()).toISOString(),
  };
}

/** When no `Retry-After` comes with a 429: wait this long (ms). */
const DEFAULT_RETRY_AFTER_MS = 30_000;

/** `Retry-After` (seconds, or an HTTP date) as ms from `now`. */
export function retryAfterMs(header: string | null, now: Date): number {
  if (header && /^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = header ? Date.parse(header) : NaN;
  return Number.isNaN(at) ? DEFAULT_RETRY_AFTER_MS : Math.max(0, at - now.getTime());
}

/** Seconds, rounded up, as the form says them ("30 seconds", "1 second"). */
export function secondsInWords(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

/** Why sign-in failed, in words for the form ("Name or password is incorrect."). */
export function signInMessage(err: OutpostError): string {
  if (err.code === 'unauthorized') return 'Name or password is incorrect.';
  if (err.code === 'rate_limited') {
    return `Too many failed sign-ins. Try again in ${secondsInWords(err.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS)}.`;
  }
  return err.message;
}

const ENROLMENT_DOC = '_local/outpost-enrolment';

/** The one place the device credential is kept: a `_local` doc in a small device database. */
export interface CredentialStore {
  /** The enrolment on this device, or null when signed out. */
  load(): Promise<Enrolment | null>;
  save(enrolment: Enrolment): Promise<void>;
  /** Forgets the credential (the person's local data stays). */
  clear(): Promise<void>;
}

/** Creates the credential store over a local database (idb in the browser, memory in tests). */
export function createCredentialStore(db: PouchDB.Database): CredentialStore {
  async function current(): Promise<(Enrolment & { _id: string; _rev: string }) | null> {
    try {
      return (await db.get(ENROLMENT_DOC)) as unknown as Enrolment & { _id: string; _rev: string };
    } catch (err) {
      if (toOutpostError(err).code === 'not_found') return null;
      throw toOutpostError(err);
    }
  }
  return {
    async load() {
      const doc = await current();
      if (!doc) return null;
      const { person, db: name, credentials, enrolledAt } = doc;
      return { person, db: name, credentials, enrolledAt };
    },
    async save(enrolment) {
      const doc = await current();
      await db.put({ ...enrolment, _id: ENROLMENT_DOC, ...(doc ? { _rev: doc._rev } : {}) });
    },
    async clear() {
      const doc = await current();
      if (doc) await db.remove(doc._id, doc._rev);
    },
  };
}
