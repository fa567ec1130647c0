/**
 * Setup shared by the sync integration tests: a user and its per-user db (inline and minimal:
 * the provisioner does this for real), a fetch that can be switched offline and counts what it
 * sends, bounded waits, and a look at the server's docs. Only CouchDB HTTP, so the tests hold on
 * the embedded server and on a real CouchDB alike.
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { LocalDb } from '$lib/db/pouch';
import { openRemoteDb, type FetchImpl } from '$lib/sync/remote';
import { startSync, type SyncController, type SyncOptions } from '$lib/sync/sync';
import { destroyMemoryDbs } from '../helpers/memory-db';
import { startTestCouch } from './couch-harness';
import type { TestCouch } from './couch-harness';

/** A CouchDB user with its own db whose `_security` lets only that user in. */
export interface UserDb {
  name: string;
  password: string;
  db: string;
  /** Database URL, without credentials. */
  url: string;
  /** Deletes the user (revokes the credential), leaving the db. */
  deleteUser(): Promise<void>;
  /** Deletes the db and the user. */
  cleanup(): Promise<void>;
}

let counter = 0;

/** Creates a user and its per-user db as admin. */
export async function createUserDb(couch: TestCouch, label = 'rep'): Promise<UserDb> {
  counter += 1;
  const name = couch.unique(`${label}${counter}`);
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const db = `userdb-${Buffer.from(name).toString('hex')}`;
  const user = { name, password, roles: [], type: 'user' };
  expect((await couch.admin$('PUT', `/_users/org.couchdb.user:${name}`, user)).status).toBe(201);
  expect((await couch.admin$('PUT', `/${db}`)).status).toBe(201);
  const security = { admins: { names: [], roles: [] }, members: { names: [name], roles: [] } };
  expect((await couch.admin$('PUT', `/${db}/_security`, security)).status).toBe(200);

  async function deleteUser() {
    const u = await couch.admin$('GET', `/_users/org.couchdb.user:${name}`);
    if (u.status === 200) {
      await couch.admin$('DELETE', `/_users/org.couchdb.user:${name}?rev=${u.body._rev}`);
    }
  }
  return {
    name,
    password,
    db,
    url: `${couch.url}/${db}`,
    deleteUser,
    async cleanup() {
      await couch.admin$('DELETE', `/${db}`);
      await deleteUser();
    },
  };
}

/** One request seen by a switchable fetch. */
export interface SeenRequest {
  method: string;
  url: string;
  /** Docs in the body of a `_bulk_docs` request, else 0. */
  bulkDocs: number;
}

/** A fetch that fails like a dropped network while `online` is false and records every call. */
export function switchableFetch(rewrite?: (res: Response) => Response) {
  const seen: SeenRequest[] = [];
  const state = {
    online: true,
    /** How long a request takes to fail while offline (a browser's error is not instant). */
    failAfterMs: 0,
    seen,
    /** Docs sent in `_bulk_docs` bodies so far. */
    bulkDocsSent: () => seen.reduce((n, r) => n + r.bulkDocs, 0),
    impl: (async (input, init) => {
      const url = String(input);
      const method = init?.method ?? 'GET';
      let bulkDocs = 0;
      if (url.includes('/_bulk_docs') && typeof init?.body === 'string') {
        bulkDocs = (JSON.parse(init.body) as { docs: unknown[] }).docs.length;
      }
      seen.push({ method, url, bulkDocs });
      if (!state.online) {
        if (state.failAfterMs > 0) await new Promise((r) => setTimeout(r, state.failAfterMs));
        throw new TypeError('fetch failed');
      }
      const res = await fetch(input, init);
      return rewrite ? rewrite(res) : res;
    }) as FetchImpl,
  };
  return state;
}

/** `n` notes `note:<prefix>-000`... as the device `deviceId` wrote them. */
export function noteDocs(n: number, prefix: string, deviceId: string) {
  return Array.from({ length: n }, (_, i) => ({
    _id: `note:${prefix}-${String(i).padStart(3, '0')}`,
    type: 'note',
    text: `note ${i}`,
    deviceId,
  }));
}

/** Starts syncing `local` with the user's db as `deviceId`; the fixture stops it after the test. */
export function syncUserDb(
  fx: { controllers: SyncController[] },
  local: LocalDb,
  user: Pick<UserDb, 'url' | 'name' | 'password'>,
  opts: Partial<SyncOptions> & { deviceId: string; fetchImpl?: FetchImpl },
): SyncController {
  const { fetchImpl, ...syncOpts } = opts;
  const remote = openRemoteDb(user.url, {
    username: user.name,
    password: user.password,
    fetchImpl,
  });
  const sync = startSync(local, remote, syncOpts);
  fx.controllers.push(sync);
  return sync;
}

/** Polls `check` until it returns a truthy value or the deadline passes (then throws). */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 20_000,
): Promise<Exclude<T, null | undefined | false | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Exclude<T, null | undefined | false | 0 | ''>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves after `ms` (always bounded). */
export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The non-design docs on the server, with revisions and conflicts. */
export async function serverDocs(couch: TestCouch, db: string) {
  const r = await couch.admin$('GET', `/${db}/_all_docs?include_docs=true&conflicts=true`);
  expect(r.status).toBe(200);
  return (r.body.rows as { id: string; doc: Record<string, unknown> }[])
    .filter((row) => !row.id.startsWith('_design/'))
    .map((row) => row.doc);
}

/**
 * The lifecycle every sync test file shares: one CouchDB for the file, the controllers a test
 * started stopped after it (with its memory dbs), and the users made removed at the end.
 */
export function useSyncFixture() {
  const fx = {
    couch: null as unknown as TestCouch,
    users: [] as UserDb[],
    controllers: [] as SyncController[],
  };
  beforeAll(async () => {
    fx.couch = await startTestCouch();
  });
  afterEach(async () => {
    await Promise.all(fx.controllers.splice(0).map((c) => c.stop()));
    await destroyMemoryDbs();
  });
  afterAll(async () => {
    await Promise.all(fx.users.map((u) => u.cleanup()));
    await fx.couch.close();
  });
  return fx;
}
