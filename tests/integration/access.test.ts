import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userDbName } from '../../src/lib/server/provision/names';
import { createDeviceUser } from '../../src/lib/server/provision/users';
import { revokeDevice } from '../../src/lib/server/revoke';
import { basicAuth, startTestCouch, type TestCouch } from './couch-harness';
import { provisionTestTeam, type TestTeam } from './provision-harness';

/** A valid note body owned by `owner`. */
function note(id: string, owner: string, extra: Record<string, unknown> = {}) {
  return {
    _id: `note:${id}`,
    type: 'note',
    schema: 1,
    owner,
    text: 'hello',
    accountId: 'account:x',
    createdAt: '2026-11-22T08:00:00.000Z',
    updatedAt: '001795315276320-000000-dev',
    updatedBy: owner,
    deviceId: 'dev',
    ...extra,
  };
}

/** Signs in at `POST /_session` and returns the `AuthSession=...` cookie CouchDB set. */
async function signIn(name: string, password: string): Promise<string> {
  const res = await fetch(`${couch.url}/_session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ name, password }),
    signal: AbortSignal.timeout(30_000),
  });
  expect(res.status).toBe(200);
  const cookie = /AuthSession=[^;]+/.exec(res.headers.get('set-cookie') ?? '');
  expect(cookie).not.toBeNull();
  return cookie![0];
}

/** GET with a session cookie only. */
async function withCookie(cookie: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(couch.url + path, {
    headers: { cookie, accept: 'application/json' },
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: await res.json() };
}

let couch: TestCouch;

describe('who may read and write what (per-user dbs, master, validate_doc_update)', () => {
  let team: TestTeam;
  let a: string;
  let dbA: string;

  beforeAll(async () => {
    couch = await startTestCouch();
    team = await provisionTestTeam(couch);
    a = basicAuth(team.rep1, team.password);
    dbA = userDbName(team.rep1);
  });
  afterAll(async () => {
    await team?.cleanup();
    await couch?.close();
  });

  it("GET /userdb-B - rep A is refused rep B's db with 403", async () => {
    const r = await couch.as(a, 'GET', `/${userDbName(team.rep2)}/_all_docs`);
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('forbidden');
  });

  it("PUT /userdb-B/doc - rep A cannot write into rep B's db", async () => {
    const r = await couch.as(
      a,
      'PUT',
      `/${userDbName(team.rep2)}/note:intruder`,
      note('intruder', team.rep2),
    );
    expect(r.status).toBe(403);
  });

  it('GET /master - a rep cannot read master (403); anonymous gets 401', async () => {
    expect((await couch.as(a, 'GET', `/${team.masterDb}/_all_docs`)).status).toBe(403);
    expect((await couch.as(null, 'GET', `/${team.masterDb}/_all_docs`)).status).toBe(401);
  });

  it('PUT /master/doc - a rep cannot write master', async () => {
    const r = await couch.as(a, 'PUT', `/${team.masterDb}/note:m1`, note('m1', team.rep1));
    expect(r.status).toBe(403);
  });

  it('PUT /userdb-A/_design/x - a rep cannot write a design doc in their own db', async () => {
    const r = await couch.as(a, 'PUT', `/${dbA}/_design/evil`, { views: {} });
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('forbidden');
  });

  it('PUT /userdb-A/doc - a rep writes their own valid doc', async () => {
    const r = await couch.as(a, 'PUT', `/${dbA}/note:own`, note('own', team.rep1));
    expect(r.status).toBe(201);
  });

  it('PUT /userdb-A/doc - a forged owner is refused with 401 and a reason', async () => {
    const r = await couch.as(a, 'PUT', `/${dbA}/note:forged`, note('forged', team.rep2));
    expect(r.status).toBe(401);
    expect(r.body).toEqual({
      error: 'unauthorized',
      reason: 'You may only write your own documents.',
    });
  });

  it('PUT /userdb-A/doc - unknown type, missing fields and bad ids get readable 403 reasons', async () => {
    const unknown = await couch.as(a, 'PUT', `/${dbA}/evil:1`, {
      ...note('x', team.rep1),
      _id: 'evil:1',
      type: 'evil',
    });
    expect(unknown).toEqual({
      status: 403,
      body: { error: 'forbidden', reason: 'Unknown document type: evil.' },
    });
    const noText = await couch.as(
      a,
      'PUT',
      `/${dbA}/note:empty`,
      note('empty', team.rep1, { text: '' }),
    );
    expect(noText).toEqual({
      status: 403,
      body: { error: 'forbidden', reason: 'Note text is required.' },
    });
    const wrongPrefix = await couch.as(
      a,
      'PUT',
      `/${dbA}/task:1`,
      note('x', team.rep1, { _id: 'task:1' }),
    );
    expect(wrongPrefix.body.reason).toBe('The id must start with "note:".');
    const noOwner = await couch.as(a, 'PUT', `/${dbA}/note:noowner`, note('noowner', ''));
    expect(noOwner.body.reason).toBe('Every document needs an owner.');
  });

  it('POST /userdb-A/_bulk_docs - each doc is judged on its own', async () => {
    const r = await couch.as(a, 'POST', `/${dbA}/_bulk_docs`, {
      docs: [note('bulk1', team.rep1), note('bulk2', team.rep2)],
    });
    expect(r.status).toBe(201);
    // Matched by id: CouchDB answers in request order, but this test does not depend on it.
    const byId = Object.fromEntries((r.body as { id: string }[]).map((x) => [x.id, x]));
    expect(byId['note:bulk1']).toMatchObject({ ok: true });
    expect(byId['note:bulk2']).toMatchObject({ error: 'unauthorized' });
  });

  it('PUT /userdb-A/doc - an owner cannot hand a doc over to someone else', async () => {
    const cur = await couch.as(a, 'GET', `/${dbA}/note:own`);
    const r = await couch.as(a, 'PUT', `/${dbA}/note:own`, { ...cur.body, owner: team.rep2 });
    expect(r.status).toBe(401);
  });

  it('PUT /userdb-A/event - events are immutable once recorded', async () => {
    const ev = {
      _id: 'event:e1',
      type: 'event',
      schema: 1,
      owner: team.rep1,
      kind: 'check_in',
      stopId: 'stop:s1',
      accountId: 'account:x',
      occurredAt: '2026-11-22T08:00:00.000Z',
      deviceTime: '2026-11-22T08:00:00.000Z',
      updatedAt: '001795315276320-000000-dev',
      updatedBy: team.rep1,
      deviceId: 'dev',
    };
    const first = await couch.as(a, 'PUT', `/${dbA}/event:e1`, ev);
    expect(first.status).toBe(201);
    const again = await couch.as(a, 'PUT', `/${dbA}/event:e1`, {
      ...ev,
      _rev: first.body.rev,
      occurredAt: '2026-11-22T09:00:00.000Z',
    });
    expect(again).toEqual({
      status: 403,
      body: { error: 'forbidden', reason: 'Events are immutable once recorded.' },
    });
  });

  it('a device credential writes as its owner; once revoked it gets 401 and its secret is dead', async () => {
    const device = await createDeviceUser(team.couchAdmin, team.rep1, 'dev-phone-1', 'Test phone');
    const auth = basicAuth(device.username, device.password);
    expect(
      (await couch.as(auth, 'PUT', `/${dbA}/note:fromdevice`, note('fromdevice', team.rep1)))
        .status,
    ).toBe(201);
    expect((await couch.as(auth, 'GET', `/${userDbName(team.rep2)}`)).status).toBe(403);
    const cookie = await signIn(device.username, device.password);
    expect((await withCookie(cookie, `/${dbA}`)).status).toBe(200);
    expect(await revokeDevice(team.couchAdmin, device.username)).toBe(true);
    // Right after the call returns, on CouchDB itself (no front): the secret and the session.
    const after = await couch.as(auth, 'GET', `/${dbA}`);
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('unauthorized');
    const session = await withCookie(cookie, `/${dbA}`);
    expect(session.status).toBe(401);
    expect(session.body.error).toBe('unauthorized');
    expect((await couch.as(null, 'POST', '/_session', device)).status).toBe(401);
  });

  it("the supervisor's db accepts writes for the team's reps only", async () => {
    const sup = basicAuth(team.supervisor, team.password);
    const dbS = userDbName(team.supervisor);
    expect(
      (await couch.as(sup, 'PUT', `/${dbS}/note:forrep`, note('forrep', team.rep1))).status,
    ).toBe(201);
    const outsider = await couch.as(
      sup,
      'PUT',
      `/${dbS}/note:outsider`,
      note('outsider', 'mallory'),
    );
    expect(outsider.status).toBe(401);
  });
});
