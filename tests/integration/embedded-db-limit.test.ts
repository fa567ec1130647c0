/**
 * The embedded server's open-db limit (CouchDB's max_dbs_open, embedded/db-lru.ts): with more
 * dbs than the limit, idle ones are closed and opened again on the next request, with every doc
 * intact; a db with a request under way (a longpoll) stays open and answers; the file
 * descriptors stay bounded instead of growing by four per db, and so do the db objects in memory.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/lib/server/embedded/server';

const admin = { name: 'admin', password: 'limit-test-pw' };
const headers = {
  authorization: 'Basic ' + Buffer.from(`${admin.name}:${admin.password}`).toString('base64'),
  'content-type': 'application/json',
};
const dataDir = mkdtempSync(join(tmpdir(), 'outpost-db-limit-'));
const DBS = 30;
const LIMIT = 5;
let couch: EmbeddedCouch;

beforeAll(async () => {
  couch = await startEmbeddedCouch({ dataDir, admin, maxDbsOpen: LIMIT });
});
afterAll(async () => {
  await couch?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${couch.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const openFds = () => readdirSync('/proc/self/fd').length;

describe('embedded server: more dbs than it keeps open', () => {
  it('closes idle dbs beyond the limit, and each answers again with its docs', async () => {
    const names = Array.from({ length: DBS }, (_, i) => `userdb-limit-${i}`);
    const fdsBefore = process.platform === 'linux' ? openFds() : 0;
    for (const [i, db] of names.entries()) {
      expect((await call('PUT', `/${db}`)).status).toBe(201);
      expect((await call('PUT', `/${db}/note-${i}`, { i })).status).toBe(201);
    }
    // express-pouchdb's own cache is the limited one: full, and no fuller.
    expect(couch.openDbCount()).toBeGreaterThanOrEqual(LIMIT);
    expect(couch.openDbCount()).toBeLessThanOrEqual(LIMIT + 3); // + _users, _replicator, all-dbs
    // No other PouchDB object outlives its use (`PUT /db` kept the one it created with).
    expect(couch.dbObjectCount()).toBeLessThanOrEqual(LIMIT + 3);
    if (process.platform === 'linux') {
      // Four descriptors per LevelDB would be 120 here.
      expect(openFds() - fdsBefore).toBeLessThan(4 * (LIMIT + 3) + 10);
    }
    for (const [i, db] of names.entries()) {
      const got = await call('GET', `/${db}/note-${i}`);
      expect({ status: got.status, i: got.body.i }).toEqual({ status: 200, i });
      expect((await call('PUT', `/${db}/again-${i}`, { i })).status).toBe(201);
    }
    for (const [i, db] of names.entries()) {
      const info = await call('GET', `/${db}`);
      expect({ db: info.body.db_name, docs: info.body.doc_count }).toEqual({ db, docs: 2 });
      expect(i).toBeLessThan(DBS);
    }
    const all = await fetch(`${couch.url}/_all_dbs`, { headers }).then((r) => r.json());
    expect(all).toEqual(expect.arrayContaining(names));
  });

  it('keeps a db with a longpoll under way open while others come and go', async () => {
    const watched = 'userdb-limit-0';
    const { body } = await call('GET', `/${watched}`);
    const since = encodeURIComponent(String(body.update_seq));
    const longpoll = fetch(`${couch.url}/${watched}/_changes?feed=longpoll&since=${since}`, {
      headers,
    }).then((r) => r.json() as Promise<{ results: { id: string }[] }>);
    for (let i = 1; i < DBS; i++) {
      expect((await call('GET', `/userdb-limit-${i}/note-${i}`)).status).toBe(200);
    }
    expect((await call('PUT', `/${watched}/seen-live`, { live: true })).status).toBe(201);
    const changes = await longpoll;
    expect(changes.results.map((r) => r.id)).toEqual(['seen-live']);
  });
});
