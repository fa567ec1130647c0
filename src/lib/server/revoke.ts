/**
 * Revoking a device credential so that CouchDB itself refuses it by the time the call returns
 * (DESIGN.md section 8). The secret is not known here (CouchDB keeps only a hash), so the
 * device's user is first re-keyed: a new random secret known only to this call, no roles, and
 * the mark `outpost.revokedAt`. CouchDB accepting that probe secret shows its auth cache holds
 * the new doc, so the device's own secret (and every AuthSession cookie made with the old
 * salt) is refused. Then the user is deleted, and the probe secret is refused too.
 */
import { randomBytes } from 'node:crypto';
import type { ServerScope } from 'nano';
import { createError } from '../errors';
import { isDeviceUser } from './provision/names';

/** Options for {@link revokeDevice}. */
export interface RevokeOptions {
  /** Told the name before anything is written (the `/couch` front of this process). */
  onRevoking?: (name: string) => void;
  /** How long CouchDB may take to confirm, in all (ms, default 30 s). */
  timeoutMs?: number;
}

type UserDoc = Record<string, unknown> & { _id: string; _rev: string };

const DEFAULT_TIMEOUT_MS = 30_000;
const status = (err: unknown) => (err as { statusCode?: unknown })?.statusCode;

/** True for a `_users` doc that {@link revokeDevice} re-keyed (a revocation under way). */
export function isRevokedUserDoc(doc: Record<string, unknown>): boolean {
  const outpost = doc.outpost as { revokedAt?: unknown } | undefined;
  return typeof outpost?.revokedAt === 'string';
}

/**
 * Revokes a device: re-keys its CouchDB user, waits until CouchDB refuses the old secret,
 * deletes the user and waits until CouchDB has seen that too. Resolves false when there was
 * no such device; throws `network` (504) when CouchDB does not confirm within the timeout.
 */
export async function revokeDevice(
  couch: ServerScope,
  username: string,
  opts: RevokeOptions = {},
): Promise<boolean> {
  if (!isDeviceUser(username)) {
    throw createError('invalid', {
      message: `${username} is not a device credential (owner~deviceId).`,
    });
  }
  const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const users = couch.use<Record<string, unknown>>('_users');
  const id = `org.couchdb.user:${username}`;
  let doc: UserDoc;
  try {
    doc = (await users.get(id)) as UserDoc;
  } catch (err) {
    if (status(err) === 404) return false;
    throw err;
  }
  opts.onRevoking?.(username);
  const probe = randomBytes(24).toString('base64url');
  const rekeyed = await users
    .insert({
      _id: id,
      _rev: doc._rev,
      name: username,
      type: 'user',
      roles: [],
      password: probe,
      outpost: { ...(doc.outpost as object), revokedAt: new Date().toISOString() },
    })
    .catch((err: unknown) => {
      throw changedMeanwhile(err, username);
    });
  const base = couchBaseUrl(couch);
  await until(
    deadline,
    async () => (await sessionName(base, username, probe)) === username,
    `CouchDB has not confirmed in time that it refuses the secret of ${username}. ` +
      'Its user now has a new secret and no roles; run the command again (safe to repeat).',
  );
  await users.destroy(id, rekeyed.rev).catch((err: unknown) => {
    throw changedMeanwhile(err, username);
  });
  await until(
    deadline,
    async () => (await sessionName(base, username, probe)) === null,
    `CouchDB refuses the secret of ${username} and its user is deleted, but CouchDB has not ` +
      'confirmed in time that it has seen the deletion.',
  );
  return true;
}

/** A write that lost to another change of the device's user (409) says so in words. */
function changedMeanwhile(err: unknown, username: string): unknown {
  if (status(err) !== 409) return err;
  return createError('conflict', {
    message: `${username} changed while it was being revoked (enrolled again?); run the command again.`,
    cause: err,
  });
}

/** CouchDB's URL without the admin's credentials, from a nano client. */
function couchBaseUrl(couch: ServerScope): string {
  const url = new URL(couch.config.url);
  url.username = '';
  url.password = '';
  return url.toString().replace(/\/$/, '');
}

/**
 * Who CouchDB takes a Basic credential for (`GET /_session`): the name, or null when it
 * refuses it (401, or 403 when it locked the name out after failures).
 */
async function sessionName(base: string, name: string, password: string): Promise<string | null> {
  const res = await fetch(`${base}/_session`, {
    headers: {
      accept: 'application/json',
      authorization: 'Basic ' + Buffer.from(`${name}:${password}`).toString('base64'),
    },
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json().catch(() => null)) as { userCtx?: { name?: unknown } } | null;
  if (res.status === 401 || res.status === 403) return null;
  if (!res.ok) throw new Error(`GET /_session answered ${res.status}`);
  return typeof body?.userCtx?.name === 'string' ? body.userCtx.name : null;
}

/** Polls `check` (at most every 200 ms) until it holds; throws `network` at the deadline. */
async function until(
  deadline: number,
  check: () => Promise<boolean>,
  message: string,
): Promise<void> {
  let last = '';
  for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
    try {
      if (await check()) return;
    } catch (err) {
      last = ` (last error: ${(err as Error).message})`;
    }
    if (Date.now() + wait > deadline) {
      throw createError('network', { status: 504, message: message + last });
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
