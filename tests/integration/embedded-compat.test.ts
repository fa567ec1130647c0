import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, startTestCouch, type TestCouch } from './couch-harness';

/** Access rules as real CouchDB 3.4 answers them (../shared/couchdb-reference/transcript.json). */
describe('CouchDB access answers', () => {
  let couch: TestCouch;
  let db: string;
  let rep1: string;
  let rep2: string;

  beforeAll(async () => {
    couch = await startTestCouch();
    rep1 = couch.unique('rep1');
    rep2 = couch.unique('rep2');
    db = `userdb-${Buffer.from(rep1).toString('hex')}`;
    for (const name of [rep1, rep2]) {
      const r = await couch.admin$('PUT', `/_users/org.couchdb.user:${name}`, {
        name,
        password: 'pw',
        roles: ['rep'],
        type: 'user',
      });
      expect(r.status).toBe(201);
    }
    expect((await couch.admin$('PUT', `/${db}`)).status).toBe(201);
    const sec = {
      admins: { names: [], roles: [] },
      members: { names: [rep1], roles: [`owner:${rep1}`] },
    };
    expect((await couch.admin$('PUT', `/${db}/_security`, sec)).status).toBe(200);
  });
  afterAll(async () => {
    await couch.admin$('DELETE', `/${db}`);
    for (const name of [rep1, rep2]) {
      const u = await couch.admin$('GET', `/_users/org.couchdb.user:${name}`);
      if (u.status === 200)
        await couch.admin$('DELETE', `/_users/org.couchdb.user:${name}?rev=${u.body._rev}`);
    }
    await couch.close();
  });

  it('GET /db - a member reads its own db', async () => {
    expect((await couch.as(basicAuth(rep1, 'pw'), 'GET', `/${db}`)).status).toBe(200);
  });

  it('GET /db - another signed-in user gets 403 forbidden', async () => {
    const r = await couch.as(basicAuth(rep2, 'pw'), 'GET', `/${db}`);
    expect(r).toEqual({
      status: 403,
      body: { error: 'forbidden', reason: 'You are not allowed to access this db.' },
    });
  });

  it('GET /db - anonymous gets 401 unauthorized', async () => {
    const r = await couch.as(null, 'GET', `/${db}`);
    expect(r).toEqual({
      status: 401,
      body: { error: 'unauthorized', reason: 'You are not authorized to access this db.' },
    });
  });

  it('GET /db - a wrong password gets 401', async () => {
    const r = await couch.as(basicAuth(rep1, 'nope'), 'GET', `/${db}`);
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('unauthorized');
  });

  it('PUT /db/_design/x - a member gets 403 "You are not a db or server admin."', async () => {
    const r = await couch.as(basicAuth(rep1, 'pw'), 'PUT', `/${db}/_design/evil`, { views: {} });
    expect(r).toEqual({
      status: 403,
      body: { error: 'forbidden', reason: 'You are not a db or server admin.' },
    });
  });

  it('PUT /newdb - a rep and anonymous get 401 "You are not a server admin."', async () => {
    const name = couch.unique('newdb');
    for (const auth of [basicAuth(rep1, 'pw'), null]) {
      const r = await couch.as(auth, 'PUT', `/${name}`);
      expect(r).toEqual({
        status: 401,
        body: { error: 'unauthorized', reason: 'You are not a server admin.' },
      });
    }
    expect((await couch.admin$('GET', '/')).status).toBe(200); // still up
  });

  it('GET /_all_dbs - a rep gets 401', async () => {
    const r = await couch.as(basicAuth(rep1, 'pw'), 'GET', '/_all_dbs');
    expect(r).toEqual({
      status: 401,
      body: { error: 'unauthorized', reason: 'You are not a server admin.' },
    });
  });

  it('GET /_users/org.couchdb.user:me - _users is admin-only (403)', async () => {
    const r = await couch.as(basicAuth(rep1, 'pw'), 'GET', `/_users/org.couchdb.user:${rep1}`);
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('forbidden');
  });

  it('GET /db/_changes?filter=missing/filter - answered with an error, server stays up', async () => {
    const r = await couch.as(basicAuth(rep1, 'pw'), 'GET', `/${db}/_changes?filter=nope/nope`);
    expect(r.status).toBe(404);
    expect(r.body.error).toBe('not_found');
    expect((await couch.admin$('GET', '/')).status).toBe(200);
  });

  it('GET /_up - answers the health check anonymously', async () => {
    const r = await couch.as(null, 'GET', '/_up');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
  });
  it("a member's writes to _local/_security change nobody's rights", async () => {
    const rep = basicAuth(rep1, 'pw');
    const before = (await couch.admin$('GET', `/${db}/_security`)).body;
    const grab = { admins: { names: [rep1], roles: [] }, members: { names: [rep1], roles: [] } };
    const current = await couch.as(rep, 'GET', `/${db}/_local/_security`);
    const rev = current.status === 200 ? current.body._rev : undefined;
    const attempts = [
      [
        'PUT',
        `/${db}/_local/_security`,
        { ...grab, security: grab, ...(rev ? { _rev: rev } : {}) },
      ],
      [
        'POST',
        `/${db}`,
        { _id: '_local/_security', security: grab, ...(rev ? { _rev: rev } : {}) },
      ],
      ['POST', `/${db}/_bulk_docs`, { docs: [{ _id: '_local/_security', security: grab }] }],
      ['DELETE', `/${db}/_local/_security${rev ? `?rev=${rev}` : ''}`, undefined],
    ] as const;
    for (const [method, path, body] of attempts) {
      const r = await couch.as(rep, method, path, body);
      // CouchDB stores a plain local doc (no effect on access); the embedded server, which
      // keeps the security object there, refuses.
      if (!couch.real) expect(r.status, `${method} ${path}`).toBe(403);
    }
    expect((await couch.admin$('GET', `/${db}/_security`)).body).toEqual(before);
    const ddoc = await couch.as(rep, 'PUT', `/${db}/_design/grab`, { views: {} });
    expect(ddoc.status).toBe(403);
  });

  it('a _security change applies to the very next request', async () => {
    const rep = basicAuth(rep2, 'pw');
    const other = couch.unique('secdb');
    expect((await couch.admin$('PUT', `/${other}`)).status).toBe(201);
    const members = (names: string[]) => ({
      admins: { names: [], roles: [] },
      members: { names, roles: [] },
    });
    try {
      expect((await couch.admin$('PUT', `/${other}/_security`, members([rep2]))).status).toBe(200);
      expect((await couch.as(rep, 'GET', `/${other}`)).status).toBe(200);
      expect((await couch.admin$('PUT', `/${other}/_security`, members([rep1]))).status).toBe(200);
      expect((await couch.as(rep, 'GET', `/${other}`)).status).toBe(403);
      expect((await couch.admin$('PUT', `/${other}/_security`, members([rep2]))).status).toBe(200);
      expect((await couch.as(rep, 'GET', `/${other}`)).status).toBe(200);
      // A db deleted and created again starts with no members but the admins (CouchDB 3).
      expect((await couch.admin$('DELETE', `/${other}`)).status).toBe(200);
      expect((await couch.admin$('PUT', `/${other}`)).status).toBe(201);
      expect((await couch.as(rep, 'GET', `/${other}`)).status).toBe(403);
    } finally {
      await couch.admin$('DELETE', `/${other}`);
    }
  });
});
