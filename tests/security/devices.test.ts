/**
 * Device sign-in and revocation over HTTP (DESIGN.md section 8): `/api/enrol` with every kind
 * of wrong input gets a clear 4xx JSON answer (never a 500, never the password echoed or
 * logged); a revoked device's credential gets 401 everywhere at once, replaying it keeps
 * failing, and re-enrolling issues a new secret while the old one stays dead.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { userDbName } from '../../src/lib/server/provision/names';
import { basicAuth, note, startSecurityServer, type SecurityServer } from './server-harness';

const UNAUTHORIZED = { error: 'unauthorized', reason: 'Name or password is incorrect.' };
/** A password that must never be echoed or logged, whatever the request looked like. */
const MARKER = 'Sup3r-S3cret-Marker-Pw';

let s: SecurityServer;
const consoleLines: string[] = [];

beforeAll(async () => {
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      consoleLines.push(args.map((a) => (a instanceof Error ? a.stack : String(a))).join(' '));
    });
  }
  s = await startSecurityServer();
}, 120_000);

afterAll(async () => {
  await s?.close();
  vi.restoreAllMocks();
});

const enrol = (body: unknown, type?: string) => s.app('POST', '/api/enrol', { body, type });

async function enrolDevice(deviceId: string) {
  const r = await enrol({ name: s.rep1.name, password: s.rep1.password, deviceId });
  expect(r.status).toBe(201);
  const { username, password } = r.body.credentials as { username: string; password: string };
  return { username, password, auth: basicAuth(username, password) };
}

describe('POST /api/enrol with wrong or hostile input', () => {
  it('POST /api/enrol - a wrong password gets 401 in words', async () => {
    const r = await enrol({ name: 'ana', password: MARKER, deviceId: 'dev-1' });
    expect({ status: r.status, body: r.body }).toEqual({ status: 401, body: UNAUTHORIZED });
  });

  it('POST /api/enrol - an unknown name gets the very same 401 (no user enumeration)', async () => {
    const r = await enrol({ name: 'nobody', password: MARKER, deviceId: 'dev-1' });
    expect({ status: r.status, body: r.body }).toEqual({ status: 401, body: UNAUTHORIZED });
  });

  it("POST /api/enrol - a device user's own credential cannot enrol another device (403)", async () => {
    const d = await enrolDevice('phone-enrol');
    const r = await enrol({ name: d.username, password: d.password, deviceId: 'dev-2' });
    expect({ status: r.status, body: r.body }).toEqual({
      status: 403,
      body: { error: 'forbidden', reason: 'Sign in with your own name, not a device name.' },
    });
  });

  it('POST /api/enrol - the server admin (no Outpost role, no _users doc) gets 403, not 500', async () => {
    const r = await enrol({ name: s.admin.name, password: s.admin.password, deviceId: 'dev-1' });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      error: 'forbidden',
      reason: 'This account is not set up for Outpost (it needs the rep or supervisor role).',
    });
  });

  it('POST /api/enrol - missing fields are named one by one (400 invalid)', async () => {
    const r = await enrol({});
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      error: 'invalid',
      reason: 'Enter your user name.',
      fields: {
        name: 'Enter your user name.',
        password: 'Enter your password.',
        deviceId: 'This device has no valid id; reload the app.',
      },
    });
  });

  it.each([
    ['objects and numbers for strings', { name: { $gt: '' }, password: [MARKER], deviceId: 5 }],
    ['a JSON array', [MARKER]],
    ['a device id with a path in it', { name: 'ana', password: MARKER, deviceId: '../../etc' }],
    ['a blank name', { name: '   ', password: MARKER, deviceId: 'dev-1' }],
  ])('POST /api/enrol - %s: 400 invalid with fields', async (_what, body) => {
    const r = await enrol(body);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid');
    expect(Object.keys(r.body.fields).length).toBeGreaterThan(0);
  });

  it('POST /api/enrol - a body that is not JSON gets 400 bad_request, and the body is not echoed', async () => {
    const r = await enrol(`{"name":"ana","password":"${MARKER}"`);
    expect({ status: r.status, body: r.body }).toEqual({
      status: 400,
      body: { error: 'bad_request', reason: 'The request body is not valid JSON.' },
    });
    expect(r.text).not.toContain(MARKER);
  });

  it('POST /api/enrol - JSON that is a bare string gets 400 bad_request', async () => {
    const r = await enrol(`"${MARKER}"`);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('bad_request');
    expect(r.text).not.toContain(MARKER);
  });

  it('POST /api/enrol - invalid UTF-8 gets a 4xx JSON answer', async () => {
    const r = await enrol(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]));
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.body.error).toEqual(expect.any(String));
  });

  it('POST /api/enrol - a form post (not JSON) is not read: 400 invalid', async () => {
    const r = await enrol(
      `name=ana&password=${MARKER}&deviceId=dev-1`,
      'application/x-www-form-urlencoded',
    );
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid');
  });

  it('POST /api/enrol - a 100 KB body gets 413 too_large', async () => {
    const r = await enrol({ name: 'ana', password: MARKER.repeat(5000), deviceId: 'dev-1' });
    expect({ status: r.status, body: r.body }).toEqual({
      status: 413,
      body: { error: 'too_large', reason: 'The request body is too large.' },
    });
  });

  it('GET /api/enrol - only POST exists (404 JSON)', async () => {
    const r = await s.app('GET', '/api/enrol');
    expect(r.status).toBe(404);
    expect(r.body.error).toBe('not_found');
  });

  it("POST /couch/_session - a wrong password gets CouchDB's 401 through the front", async () => {
    const r = await s.couch('POST', '/_session', { body: { name: 'ana', password: MARKER } });
    expect({ status: r.status, body: r.body }).toEqual({ status: 401, body: UNAUTHORIZED });
  });

  it('the server is still up and nothing it logged or wrote contains a password', async () => {
    await s.expectAlive();
    const secrets = [MARKER, s.rep1.password];
    const logged = [...consoleLines, ...s.logs].join('\n');
    for (const secret of secrets) expect(logged).not.toContain(secret);
    // express-pouchdb's log.txt and everything else the server keeps on disk.
    const files: string[] = [];
    const walk = (dir: string, depth: number) => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) {
          if (depth < 4) walk(path, depth + 1);
        } else files.push(path);
      }
    };
    walk(s.dataDir, 0);
    expect(files.some((f) => f.endsWith('log.txt'))).toBe(true);
    for (const file of files) {
      const content = readFileSync(file).toString('latin1');
      for (const secret of secrets) expect(content, file).not.toContain(secret);
    }
  });
});

describe('revoked device', () => {
  let d1: Awaited<ReturnType<typeof enrolDevice>>;
  let d2: Awaited<ReturnType<typeof enrolDevice>>;
  const db = () => s.rep1.db;

  beforeAll(async () => {
    d1 = await enrolDevice('phone-revoked');
    d2 = await enrolDevice('tablet-kept');
  });

  it('GET/PUT /couch/userdb-ana - the enrolled device reads and writes its owner db', async () => {
    expect((await s.couch('GET', `/${db()}/_changes`, { auth: d1.auth })).status).toBe(200);
    const w = await s.couch('PUT', `/${db()}/note:before-revoke`, {
      auth: d1.auth,
      body: note('before-revoke', 'ana'),
    });
    expect(w.status).toBe(201);
  });

  it('DELETE /couch/_users/org.couchdb.user:ana~phone-revoked - the admin revokes it', async () => {
    const id = `org.couchdb.user:${d1.username}`;
    const user = await s.asAdmin('GET', `/_users/${id}`);
    expect(user.status).toBe(200);
    expect(user.body.password).toBeUndefined(); // CouchDB keeps only a hash
    const del = await s.asAdmin('DELETE', `/_users/${id}?rev=${user.body._rev}`);
    expect(del.status).toBe(200);
  });

  const everywhere: [string, string, unknown?][] = [
    ['GET', '/'],
    ['GET', '/_session'],
    ['GET', '/_all_dbs'],
    ['GET', '/_users/org.couchdb.user:ana'],
    ['PUT', '/newdb'],
    ['GET', `/${userDbName('ana')}`],
    ['GET', `/${userDbName('ana')}/_all_docs`],
    ['GET', `/${userDbName('ana')}/_changes?feed=longpoll&timeout=100`],
    ['GET', `/${userDbName('ana')}/note:before-revoke`],
    ['PUT', `/${userDbName('ana')}/note:after-revoke`, note('after-revoke', 'ana')],
    ['POST', `/${userDbName('ana')}/_bulk_docs`, { docs: [note('after-revoke2', 'ana')] }],
    ['POST', `/${userDbName('ana')}/_bulk_get`, { docs: [{ id: 'note:before-revoke' }] }],
    ['POST', `/${userDbName('ana')}/_revs_diff`, {}],
    ['GET', `/${userDbName('ben')}`],
    ['GET', '/outpost/_all_docs'],
  ];

  it.each(everywhere)(
    '%s /couch%s - the revoked credential gets 401 right away',
    async (method, path, body) => {
      const r = await s.couch(method, path, { auth: d1.auth, body });
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('unauthorized');
    },
  );

  it('GET /userdb-ana straight at the embedded server - 401 there too', async () => {
    const r = await s.direct('GET', `/${db()}`, { auth: d1.auth });
    expect({ status: r.status, body: r.body }).toEqual({ status: 401, body: UNAUTHORIZED });
  });

  it('POST /couch/_session - the revoked secret cannot log in for a cookie either', async () => {
    const r = await s.couch('POST', '/_session', {
      body: { name: d1.username, password: d1.password },
    });
    expect({ status: r.status, body: r.body }).toEqual({ status: 401, body: UNAUTHORIZED });
  });

  it('replaying the revoked credential later still fails, and wrote nothing', async () => {
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 3; i++) {
      const r = await s.couch('PUT', `/${db()}/note:replay${i}`, {
        auth: d1.auth,
        body: note(`replay${i}`, 'ana'),
      });
      expect(r.status).toBe(401);
    }
    const all = await s.asAdmin('GET', `/${db()}/_all_docs`);
    const ids = all.body.rows.map((r: { id: string }) => r.id);
    expect(ids).toContain('note:before-revoke');
    expect(ids.filter((id: string) => /after-revoke|replay/.test(id))).toEqual([]);
  });

  it("GET /couch/userdb-ana - the owner's other device keeps working", async () => {
    expect((await s.couch('GET', `/${db()}`, { auth: d2.auth })).status).toBe(200);
  });

  it('POST /api/enrol - re-enrolling the revoked device issues a new secret; the old one stays dead', async () => {
    const again = await enrolDevice('phone-revoked');
    expect(again.username).toBe(d1.username);
    expect(again.password).not.toBe(d1.password);
    expect((await s.couch('GET', `/${db()}`, { auth: again.auth })).status).toBe(200);
    expect((await s.couch('GET', `/${db()}`, { auth: d1.auth })).status).toBe(401);
  });

  it('POST /api/enrol - re-enrolling a device that was not revoked replaces its secret at once', async () => {
    const first = await enrolDevice('laptop-rekeyed');
    expect((await s.couch('GET', `/${db()}`, { auth: first.auth })).status).toBe(200);
    const second = await enrolDevice('laptop-rekeyed');
    expect(second.password).not.toBe(first.password);
    expect((await s.couch('GET', `/${db()}`, { auth: first.auth })).status).toBe(401);
    expect((await s.couch('GET', `/${db()}`, { auth: second.auth })).status).toBe(200);
    await s.expectAlive();
  });
});
