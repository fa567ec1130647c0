/**
 * Every `_security` and validate_doc_update rule attacked over HTTP through the app's `/couch`
 * front (and straight at the embedded server where the front could hide a difference): other
 * people's dbs, master, design docs, forged owners, owner takeover, wrong types, oversized docs
 * and the server-admin endpoints. The expected answers are real CouchDB 3.4's
 * (../shared/couchdb-reference/transcript.json). tests/integration/access.test.ts covers the
 * basic rules on the CouchDB itself; this suite goes through the front, with device
 * credentials, and at the edges.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userDbName } from '../../src/lib/server/provision/names';
import {
  basicAuth,
  note,
  startSecurityServer,
  type Answer,
  type Person,
  type SecurityServer,
} from './server-harness';

const FORBIDDEN_DB = { error: 'forbidden', reason: 'You are not allowed to access this db.' };
const UNAUTHORIZED_DB = {
  error: 'unauthorized',
  reason: 'You are not authorized to access this db.',
};
const NOT_SERVER_ADMIN = { error: 'unauthorized', reason: 'You are not a server admin.' };
const NOT_DB_ADMIN = { error: 'forbidden', reason: 'You are not a db or server admin.' };

let s: SecurityServer;
/** Rep ana's enrolled device credential (what the app syncs with). */
let device: Person;

beforeAll(async () => {
  s = await startSecurityServer();
  const enrol = await s.app('POST', '/api/enrol', {
    body: { name: s.rep1.name, password: s.rep1.password, deviceId: 'phone-1' },
  });
  expect(enrol.status).toBe(201);
  const { username, password } = enrol.body.credentials;
  device = { name: username, password, db: s.rep1.db, auth: basicAuth(username, password) };
  // Something of ben's to try to read, and of the supervisor's in ana's db to try to take over.
  expect(
    (await s.asAdmin('PUT', `/${s.rep2.db}/note:ben1`, note('ben1', s.rep2.name))).status,
  ).toBe(201);
  const account = {
    _id: 'account:sam1',
    type: 'account',
    schema: 1,
    owner: s.supervisor.name,
    name: 'Corner Shop',
    address: { street: '1 Main St', city: 'Fairview' },
    contacts: [],
    updatedAt: '001795315276320-000000-dev',
    updatedBy: s.supervisor.name,
    deviceId: 'dev',
  };
  expect((await s.asAdmin('PUT', `/${s.rep1.db}/account:sam1`, account)).status).toBe(201);
}, 120_000);

afterAll(async () => {
  await s?.close();
});

const BEN_DB = userDbName('ben');

/** Requests against ben's db, and what they must not do. */
const INTRUSIONS: [string, string, unknown?][] = [
  ['GET', `/${BEN_DB}`],
  ['GET', `/${BEN_DB}/_all_docs?include_docs=true`],
  ['GET', `/${BEN_DB}/_changes?include_docs=true`],
  ['GET', `/${BEN_DB}/_changes?feed=longpoll&timeout=100`],
  ['GET', `/${BEN_DB}/note:ben1`],
  ['POST', `/${BEN_DB}/_bulk_get`, { docs: [{ id: 'note:ben1' }] }],
  ['POST', `/${BEN_DB}/_all_docs`, { keys: ['note:ben1'] }],
  ['POST', `/${BEN_DB}/_revs_diff`, { 'note:ben1': ['1-x'] }],
  ['POST', `/${BEN_DB}/_find`, { selector: { type: 'note' } }],
  ['PUT', `/${BEN_DB}/note:intruder`, note('intruder', 'ben')],
  ['POST', `/${BEN_DB}`, note('intruder2', 'ben')],
  ['POST', `/${BEN_DB}/_bulk_docs`, { docs: [note('intruder3', 'ben')] }],
  ['PUT', `/${BEN_DB}/_local/intruder`, { x: 1 }],
  ['DELETE', `/${BEN_DB}/note:ben1?rev=1-x`],
];

describe.each([
  ['rep ana (password)', () => s.rep1.auth, 403, FORBIDDEN_DB],
  ["ana's device credential", () => device.auth, 403, FORBIDDEN_DB],
  ['anonymous', () => null, 401, UNAUTHORIZED_DB],
])("ben's db, as %s", (_who, auth, status, body) => {
  it.each(INTRUSIONS)(`%s /couch%s - refused with ${status}`, async (method, path, payload) => {
    const r = await s.couch(method, path, { auth: auth(), body: payload });
    expect({ status: r.status, body: r.body }).toEqual({ status, body });
  });

  it('nothing was written to the other db', async () => {
    const all = await s.asAdmin('GET', `/${s.rep2.db}/_all_docs`);
    expect(all.body.rows.map((r: { id: string }) => r.id)).not.toContainEqual(
      expect.stringMatching(/intruder/),
    );
    expect((await s.asAdmin('GET', `/${s.rep2.db}/_local/intruder`)).status).toBe(404);
  });
});

describe('master', () => {
  it.each([
    ['GET', '/_all_docs'],
    ['GET', '/_changes'],
    ['POST', '/_bulk_docs'],
    ['PUT', '/note:m1'],
  ] as const)('%s /couch/master%s - a rep gets 403, anonymous 401', async (method, path) => {
    const body =
      method === 'GET' ? undefined : path.includes('bulk') ? { docs: [] } : note('m1', 'ana');
    const rep = await s.couch(method, `/${s.masterDb}${path}`, { auth: device.auth, body });
    expect({ status: rep.status, body: rep.body }).toEqual({ status: 403, body: FORBIDDEN_DB });
    const anon = await s.couch(method, `/${s.masterDb}${path}`, { body });
    expect({ status: anon.status, body: anon.body }).toEqual({
      status: 401,
      body: UNAUTHORIZED_DB,
    });
  });

  it('GET /couch/master/_all_docs - the supervisor (member by role) reads it', async () => {
    expect(
      (await s.couch('GET', `/${s.masterDb}/_all_docs`, { auth: s.supervisor.auth })).status,
    ).toBe(200);
  });

  it('PUT /couch/master/_design/evil - even a supervisor may not write a design doc (403)', async () => {
    const r = await s.couch('PUT', `/${s.masterDb}/_design/evil`, {
      auth: s.supervisor.auth,
      body: { validate_doc_update: 'function () {}' },
    });
    expect({ status: r.status, body: r.body }).toEqual({ status: 403, body: NOT_DB_ADMIN });
  });
});

describe('design docs in my own db (members are not db admins)', () => {
  const db = () => s.rep1.db;
  let ddocRev: string;
  beforeAll(async () => {
    ddocRev = (await s.asAdmin('GET', `/${db()}/_design/outpost`)).body._rev;
  });

  it.each([
    ['PUT', '/_design/evil', { views: {} }],
    ['PUT', '/_design%2Fevil', { views: {} }],
    ['PUT', '/_design/outpost', { validate_doc_update: 'function () {}' }],
    ['DELETE', '/_design/outpost?rev=REV', undefined],
    ['POST', '', { _id: '_design/evil', views: {} }],
    ['POST', '/_index', { index: { fields: ['text'] }, ddoc: 'evil' }],
    ['PUT', '/_security', { admins: { names: [] }, members: { names: [] } }],
    ['POST', '/_compact', {}],
    ['POST', '/_view_cleanup', {}],
  ] as const)('%s /couch/userdb-ana%s - 403 not a db admin', async (method, path, body) => {
    const withRev = path.replace('REV', ddocRev);
    const payload = body && 'validate_doc_update' in body ? { ...body, _rev: ddocRev } : body;
    const r = await s.couch(method, `/${db()}${withRev}`, { auth: device.auth, body: payload });
    expect({ status: r.status, body: r.body }).toEqual({ status: 403, body: NOT_DB_ADMIN });
  });

  it('COPY /couch/userdb-ana/note:own with Destination: _design/evil - 403', async () => {
    expect(
      (await s.couch('PUT', `/${db()}/note:own`, { auth: device.auth, body: note('own', 'ana') }))
        .status,
    ).toBe(201);
    const r = await s.couch('COPY', `/${db()}/note:own`, {
      auth: device.auth,
      headers: { destination: '_design/evil' },
    });
    expect({ status: r.status, body: r.body }).toEqual({ status: 403, body: NOT_DB_ADMIN });
  });

  it('POST /couch/userdb-ana/_bulk_docs - a design doc inside a batch is refused, the rest is judged alone', async () => {
    const r = await s.couch('POST', `/${db()}/_bulk_docs`, {
      auth: device.auth,
      body: { docs: [{ _id: '_design/evil', views: {} }, note('bulkok', 'ana')] },
    });
    expect(r.status).toBe(201);
    const byId = Object.fromEntries(
      (r.body as { id: string; ok?: boolean }[]).map((x) => [x.id, x]),
    );
    expect(byId['_design/evil']).toMatchObject({ error: expect.any(String) });
    expect(byId['_design/evil'].ok).toBeUndefined();
    expect(byId['note:bulkok']).toMatchObject({ ok: true });
  });

  it('POST /couch/userdb-ana/_bulk_docs new_edits:false - replacing the validate function by replication is refused', async () => {
    const r = await s.couch('POST', `/${db()}/_bulk_docs`, {
      auth: device.auth,
      body: {
        new_edits: false,
        docs: [{ _id: '_design/outpost', _rev: '99-ffff', validate_doc_update: 'function () {}' }],
      },
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual([
      expect.objectContaining({ id: '_design/outpost', error: expect.any(String) }),
    ]);
  });

  it('afterwards the design doc is unchanged, no other design doc exists, and validation still bites', async () => {
    const ddoc = await s.asAdmin('GET', `/${db()}/_design/outpost`);
    expect(ddoc.body._rev).toBe(ddocRev);
    const all = await s.asAdmin('GET', `/${db()}/_all_docs?startkey="_design/"&endkey="_design0"`);
    expect(all.body.rows.map((r: { id: string }) => r.id)).not.toContain('_design/evil');
    const sec = await s.asAdmin('GET', `/${db()}/_security`);
    expect(sec.body.members.names).toEqual(['ana']);
    const forged = await s.couch('PUT', `/${db()}/note:forged-after`, {
      auth: device.auth,
      body: note('forged-after', 'ben'),
    });
    expect(forged.status).toBe(401);
  });
});

describe('owners (validate_doc_update)', () => {
  const db = () => s.rep1.db;

  it("PUT /couch/userdb-ana/account:sam1 - taking over the supervisor's doc is refused with 401", async () => {
    const cur = await s.couch('GET', `/${db()}/account:sam1`, { auth: device.auth });
    expect(cur.status).toBe(200);
    const r = await s.couch('PUT', `/${db()}/account:sam1`, {
      auth: device.auth,
      body: { ...cur.body, owner: 'ana', name: 'Mine now' },
    });
    expect({ status: r.status, body: r.body }).toEqual({
      status: 401,
      body: { error: 'unauthorized', reason: 'You may not take over a document owned by sam.' },
    });
  });

  it("PUT /couch/userdb-ana/account:sam1 - editing it while keeping sam's name is refused with 401", async () => {
    const cur = await s.couch('GET', `/${db()}/account:sam1`, { auth: device.auth });
    const r = await s.couch('PUT', `/${db()}/account:sam1`, {
      auth: device.auth,
      body: { ...cur.body, name: 'Renamed' },
    });
    expect({ status: r.status, body: r.body }).toEqual({
      status: 401,
      body: { error: 'unauthorized', reason: 'You may only write your own documents.' },
    });
  });

  it('DELETE /couch/userdb-ana/account:sam1 - deleting it (also as a forged tombstone) is refused', async () => {
    const cur = await s.couch('GET', `/${db()}/account:sam1`, { auth: device.auth });
    const del = await s.couch('DELETE', `/${db()}/account:sam1?rev=${cur.body._rev}`, {
      auth: device.auth,
    });
    expect(del.status).toBe(401);
    const tomb = await s.couch('PUT', `/${db()}/account:sam1`, {
      auth: device.auth,
      body: { _rev: cur.body._rev, _deleted: true, owner: 'ana' },
    });
    expect(tomb.status).toBe(401);
    const after = await s.asAdmin('GET', `/${db()}/account:sam1`);
    expect(after.body).toMatchObject({ _rev: cur.body._rev, owner: 'sam', name: 'Corner Shop' });
  });

  it('POST /couch/userdb-ana/_bulk_docs new_edits:false - a forged owner arriving by replication is refused', async () => {
    const r = await s.couch('POST', `/${db()}/_bulk_docs`, {
      auth: device.auth,
      body: { new_edits: false, docs: [{ ...note('replforged', 'ben'), _rev: '1-abc' }] },
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual([
      expect.objectContaining({ id: 'note:replforged', error: 'unauthorized' }),
    ]);
    expect((await s.asAdmin('GET', `/${db()}/note:replforged`)).status).toBe(404);
  });

  it("PUT /couch/userdb-sam/note - the supervisor's db takes the team's reps' docs, not a stranger's", async () => {
    const ok = await s.couch('PUT', `/${s.supervisor.db}/note:forben`, {
      auth: s.supervisor.auth,
      body: note('forben', 'ben'),
    });
    expect(ok.status).toBe(201);
    const stranger = await s.couch('PUT', `/${s.supervisor.db}/note:formallory`, {
      auth: s.supervisor.auth,
      body: note('formallory', 'mallory'),
    });
    expect(stranger.status).toBe(401);
  });
});

describe('wrong types and fields (validate_doc_update answers 403 with a reason)', () => {
  const stop = {
    _id: 'stop:s9',
    type: 'stop',
    schema: 1,
    owner: 'ana',
    date: '2026-11-22',
    accountId: 'account:a1',
    assignee: 'ana',
    status: 'planned',
    updatedAt: '001795315276320-000000-dev',
    updatedBy: 'ana',
    deviceId: 'dev',
  };
  const task = {
    ...stop,
    _id: 'task:t9',
    type: 'task',
    stopId: 'stop:s9',
    title: 'Count',
    done: false,
  };
  const event = {
    ...stop,
    _id: 'event:e9',
    type: 'event',
    stopId: 'stop:s9',
    kind: 'check_in',
    occurredAt: '2026-11-22T08:00:00.000Z',
  };
  const cases: [string, Record<string, unknown>, string][] = [
    [
      'schema as a string',
      note('w1', 'ana', { schema: '1' }),
      'schema must be a whole number of at least 1.',
    ],
    [
      'schema 1.5',
      note('w2', 'ana', { schema: 1.5 }),
      'schema must be a whole number of at least 1.',
    ],
    ['schema 0', note('w3', 'ana', { schema: 0 }), 'schema must be a whole number of at least 1.'],
    ['updatedAt a number', note('w4', 'ana', { updatedAt: 5 }), 'updatedAt is required.'],
    ['deviceId an object', note('w5', 'ana', { deviceId: {} }), 'deviceId is required.'],
    ['owner a number', note('w6', 'ana', { owner: 42 }), 'Every document needs an owner.'],
    ['owner a list', note('w7', 'ana', { owner: ['ana'] }), 'Every document needs an owner.'],
    ['type a list', note('w8', 'ana', { type: ['note'] }), 'Unknown document type: note.'],
    ['note text a number', note('w9', 'ana', { text: 5 }), 'Note text is required.'],
    ['task done "yes"', { ...task, done: 'yes' }, 'A task must be done or not done.'],
    [
      'stop date 22/11/2026',
      { ...stop, date: '22/11/2026' },
      'Date must be a real date written YYYY-MM-DD.',
    ],
    ['stop status unknown', { ...stop, status: 'teleported' }, 'Unknown stop status: teleported.'],
    ['stop assignee missing', { ...stop, assignee: undefined }, 'A stop assignee is required.'],
    [
      'event time null',
      { ...event, occurredAt: null },
      'Event time must be a valid date and time.',
    ],
  ];

  it.each(cases)('PUT /couch/userdb-ana/<id> - %s: 403', async (_what, doc, reason) => {
    const r = await s.couch('PUT', `/${s.rep1.db}/${doc._id as string}`, {
      auth: device.auth,
      body: doc,
    });
    expect({ status: r.status, body: r.body }).toEqual({
      status: 403,
      body: { error: 'forbidden', reason },
    });
  });

  it('POST /couch/userdb-ana/_bulk_docs - the same docs in one batch each get their reason', async () => {
    const docs = cases.map(([, doc], i) => ({
      ...doc,
      _id: `${String(doc._id).split(':')[0]}:bulk${i}`,
    }));
    const r = await s.couch('POST', `/${s.rep1.db}/_bulk_docs`, {
      auth: device.auth,
      body: { docs },
    });
    expect(r.status).toBe(201);
    const byId = Object.fromEntries(
      (r.body as { id: string; ok?: boolean }[]).map((x) => [x.id, x]),
    );
    cases.forEach(([, , reason], i) => {
      expect(byId[docs[i]._id]).toEqual({ id: docs[i]._id, error: 'forbidden', reason });
    });
  });

  it('POST /couch/userdb-ana/_bulk_docs - one result per doc in request order, as CouchDB answers', async () => {
    // The transcript's "vdu: bulk_docs mixed results": ok, unauthorized, forbidden, in order
    // (express-pouchdb lists refused docs first; compat puts them back in order).
    const docs = [
      note('order1', 'ana'),
      note('order2', 'ben'),
      { ...note('order3', 'ana'), type: 'bad', _id: 'note:order3' },
      { ...note('order4', 'ana'), _id: undefined },
      note('order1', 'ana'),
    ];
    const r = await s.couch('POST', `/${s.rep1.db}/_bulk_docs`, {
      auth: device.auth,
      body: { docs },
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual([
      { ok: true, id: 'note:order1', rev: expect.stringMatching(/^1-/) },
      {
        id: 'note:order2',
        error: 'unauthorized',
        reason: 'You may only write your own documents.',
      },
      { id: 'note:order3', error: 'forbidden', reason: 'Unknown document type: bad.' },
      { id: expect.any(String), error: 'forbidden', reason: 'The id must start with "note:".' },
      { id: 'note:order1', error: 'conflict', reason: 'Document update conflict.' },
    ]);
  });

  it("PUT /couch/userdb-ana/note:order1 again without _rev - 409 in CouchDB's words", async () => {
    // The transcript's "update without rev -> conflict".
    const r = await s.couch('PUT', `/${s.rep1.db}/note:order1`, {
      auth: device.auth,
      body: note('order1', 'ana', { text: 'again' }),
    });
    expect({ status: r.status, body: r.body }).toEqual({
      status: 409,
      body: { error: 'conflict', reason: 'Document update conflict.' },
    });
  });

  it('none of them was stored', async () => {
    const all = await s.asAdmin('GET', `/${s.rep1.db}/_all_docs`);
    const ids = all.body.rows.map((r: { id: string }) => r.id);
    for (const id of ['note:w1', 'note:w9', 'task:t9', 'stop:s9', 'event:e9', 'note:bulk0']) {
      expect(ids).not.toContain(id);
    }
  });
});

describe('oversized documents (max_document_size 8 MB: 413 document_too_large)', () => {
  const big = 'x'.repeat(9 * 1024 * 1024);

  it('PUT /couch/master/note:big - as admin, a 9 MB body gets exactly what CouchDB answers', async () => {
    // The transcript's call: no _id in the body, so the reason is "".
    const r = await s.couch('PUT', `/${s.masterDb}/note:big`, {
      auth: s.admin.auth,
      body: { type: 'note', owner: 'ana', text: big },
    });
    expect({ status: r.status, body: r.body }).toEqual({
      status: 413,
      body: { error: 'document_too_large', reason: '' },
    });
    expect((await s.asAdmin('GET', `/${s.masterDb}/note:big`)).status).toBe(404);
  });

  it('PUT /userdb-ana/note:big - straight at the embedded server, the same 413', async () => {
    const r = await s.direct('PUT', `/${s.rep1.db}/note:big`, {
      auth: device.auth,
      body: note('big', 'ana', { text: big }),
    });
    expect({ status: r.status, body: r.body }).toEqual({
      status: 413,
      body: { error: 'document_too_large', reason: 'note:big' },
    });
  });

  it('POST /couch/userdb-ana/_bulk_docs - one 9 MB doc fails the whole batch (413), nothing is stored', async () => {
    const r = await s.couch('POST', `/${s.rep1.db}/_bulk_docs`, {
      auth: device.auth,
      body: { docs: [note('small-with-big', 'ana'), note('big', 'ana', { text: big })] },
    });
    expect({ status: r.status, body: r.body }).toEqual({
      status: 413,
      body: { error: 'document_too_large', reason: 'note:big' },
    });
    expect((await s.asAdmin('GET', `/${s.rep1.db}/note:small-with-big`)).status).toBe(404);
    await s.expectAlive();
  });

  it('PUT /couch/userdb-ana/note:seven - a 7 MB doc is still accepted', async () => {
    const r = await s.couch('PUT', `/${s.rep1.db}/note:seven`, {
      auth: device.auth,
      body: note('seven', 'ana', { text: 'y'.repeat(7 * 1024 * 1024) }),
    });
    expect(r.status).toBe(201);
  });
});

describe('server-admin endpoints without admin rights', () => {
  const who: [string, () => string | null, 'anonymous' | 'signed-in'][] = [
    ['anonymous', () => null, 'anonymous'],
    ['rep ana', () => s.rep1.auth, 'signed-in'],
    ["ana's device", () => device.auth, 'signed-in'],
  ];
  const endpoints: [string, string, unknown?][] = [
    ['GET', '/_config'],
    ['PUT', '/_config/admins/evil', 'pw'],
    ['GET', '/_node/_local/_config'],
    ['GET', '/_all_dbs'],
    ['GET', '/_scheduler/docs'],
    ['GET', '/_scheduler/jobs'],
    ['GET', '/_active_tasks'],
    ['POST', '/_replicate', { source: 'outpost', target: 'stolen' }],
    ['POST', '/_restart', {}],
    ['PUT', '/newdb'],
    ['DELETE', '/userdb-616e61'],
  ];

  describe.each(who)('as %s', (_name, auth) => {
    it.each(endpoints)(
      '%s /couch%s - 401 "You are not a server admin."',
      async (method, path, body) => {
        const r = await s.couch(method, path, { auth: auth(), body });
        expect({ status: r.status, body: r.body }).toEqual({ status: 401, body: NOT_SERVER_ADMIN });
      },
    );
  });

  it.each(who)(
    'GET/PUT /couch/_users and /_replicator - refused as %s',
    async (_name, auth, kind) => {
      const expected =
        kind === 'anonymous'
          ? { status: 401, body: UNAUTHORIZED_DB }
          : { status: 403, body: FORBIDDEN_DB };
      for (const [method, path, body] of [
        ['GET', '/_users/_all_docs'],
        ['GET', `/_users/org.couchdb.user:ana`],
        [
          'PUT',
          '/_users/org.couchdb.user:mallory',
          { name: 'mallory', password: 'x', roles: ['_admin'], type: 'user' },
        ],
        ['GET', '/_replicator/_all_docs'],
        ['PUT', '/_replicator/steal', { source: 'http://127.0.0.1:1/outpost', target: 'stolen' }],
      ] as const) {
        const r: Answer = await s.couch(method, path, { auth: auth(), body });
        expect({ path, status: r.status, body: r.body }).toEqual({ path, ...expected });
      }
    },
  );

  it('and nothing happened: no user, no db, no replication, the db still exists', async () => {
    expect((await s.asAdmin('GET', '/_users/org.couchdb.user:mallory')).status).toBe(404);
    expect((await s.asAdmin('GET', '/_replicator/steal')).status).toBe(404);
    const dbs = (await s.asAdmin('GET', '/_all_dbs')).body as string[];
    expect(dbs).not.toContain('newdb');
    expect(dbs).not.toContain('stolen');
    expect(dbs).toContain('userdb-616e61');
    const config = await s.asAdmin('GET', '/_config/admins');
    expect(Object.keys(config.body)).toEqual(['admin']);
  });

  it('GET /couch/_all_dbs and /couch/_scheduler/docs - the admin gets them (the refusals are about rights)', async () => {
    expect((await s.asAdmin('GET', '/_all_dbs')).status).toBe(200);
    expect((await s.asAdmin('GET', '/_scheduler/docs')).status).toBe(200);
  });

  it('GET /_all_dbs and PUT /newdb straight at the embedded server - the same 401', async () => {
    for (const [method, path] of [
      ['GET', '/_all_dbs'],
      ['PUT', '/newdb2'],
    ]) {
      const r = await s.direct(method, path, { auth: device.auth });
      expect({ status: r.status, body: r.body }).toEqual({ status: 401, body: NOT_SERVER_ADMIN });
    }
    await s.expectAlive();
  });
});
