/**
 * `GET /_db_updates` answers as CouchDB 3.4 does (../shared/couchdb-reference/fanout.json): 404
 * until `_global_changes` exists, `{db_name, type, seq}` rows, `since=now`, a longpoll answered
 * by the next write anywhere, 400 for a malformed `since`, admin only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, startTestCouch, type TestCouch } from './couch-harness';

describe('GET /_db_updates', () => {
  let couch: TestCouch;
  let db: string;

  beforeAll(async () => {
    couch = await startTestCouch();
    db = couch.unique('dbupdates');
  });
  afterAll(async () => {
    if (couch?.real) await couch.admin$('DELETE', `/${db}`);
    await couch?.close();
  });

  it('GET /_db_updates - 404 "Database does not exist." until _global_changes is created', async () => {
    const exists = (await couch.admin$('GET', '/_global_changes')).status === 200;
    if (!exists) {
      const res = await couch.admin$('GET', '/_db_updates');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'not_found', reason: 'Database does not exist.' });
      expect((await couch.admin$('PUT', '/_global_changes')).status).toBe(201);
    }
    const res = await couch.admin$('GET', '/_db_updates?since=now');
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([]);
    expect(typeof res.body.last_seq).toBe('string');
  });

  it('lists a created db and a written doc after the seq read before them', async () => {
    const before = (await couch.admin$('GET', '/_db_updates?since=now')).body.last_seq as string;
    expect((await couch.admin$('PUT', `/${db}`)).status).toBe(201);
    expect((await couch.admin$('PUT', `/${db}/note:a`, { type: 'note' })).status).toBe(201);
    expect((await couch.admin$('PUT', `/${db}/note:b`, { type: 'note' })).status).toBe(201);
    let rows: { db_name: string; type: string; seq: string }[] = [];
    // CouchDB records db updates a moment late: read until ours shows (bounded).
    const both = () => rows.filter((r) => r.db_name === db).length === 2;
    for (let i = 0; i < 100 && !both(); i++) {
      const res = await couch.admin$('GET', `/_db_updates?since=${encodeURIComponent(before)}`);
      expect(res.status).toBe(200);
      rows = res.body.results;
      if (!both()) await new Promise((r) => setTimeout(r, 100));
    }
    // One row per kind of event and db: the latest of each.
    const ours = rows.filter((r) => r.db_name === db);
    expect(ours.map((r) => r.type).sort()).toEqual(['created', 'updated']);
    for (const r of ours) expect(typeof r.seq).toBe('string');
  });

  it('feed=longpoll since=now answers at the next write in any db', async () => {
    const waiting = couch.admin$('GET', '/_db_updates?feed=longpoll&since=now&timeout=20000');
    // Write until the longpoll has answered with our db (it may have started after a write).
    let answered: Awaited<typeof waiting> | null = null;
    void waiting.then((r) => (answered = r));
    for (let i = 0; i < 100 && !answered; i++) {
      await couch.admin$('PUT', `/${db}/note:${couch.unique(`w${i}`)}`, { type: 'note' });
      await new Promise((r) => setTimeout(r, 100));
    }
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.body.results.length).toBeGreaterThan(0);
    expect(typeof res.body.last_seq).toBe('string');
  });

  it('a malformed since is 400 bad_request', async () => {
    const res = await couch.admin$('GET', '/_db_updates?since=bogus');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'bad_request',
      reason: "Malformed sequence supplied in 'since' parameter.",
    });
  });

  it('is for server admins only', async () => {
    expect((await couch.as(null, 'GET', '/_db_updates')).status).toBe(401);
    const stranger = await couch.as(basicAuth('nobody', 'wrong-pw-1'), 'GET', '/_db_updates');
    expect(stranger.status).toBe(401);
  });
});
