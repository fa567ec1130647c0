/**
 * A revoked device credential replayed in a tight loop through the `/couch` front, from the
 * moment of revocation: no 2xx, ever, for its Basic secret nor for a session cookie made with
 * it. Revoked both ways an admin can: the revoke call of the running server (the front is told
 * at once) and `revokeDevice` from another client, as `npm run device:revoke` does (the front
 * hears of it from `_users`; CouchDB confirms before the call returns). And the front's own
 * refusal, shown where CouchDB would still accept the credential.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeDevice } from '../../src/lib/server/revoke';
import {
  basicAuth,
  note,
  startSecurityServer,
  waitUntil,
  type Answer,
  type SecurityServer,
} from './server-harness';

const UNAUTHORIZED = { error: 'unauthorized', reason: 'Name or password is incorrect.' };
/** Each replay loop stops after this many requests or this long, whichever comes first. */
const MAX_REQUESTS = 400;
const MAX_MS = 3_000;

let s: SecurityServer;

beforeAll(async () => {
  s = await startSecurityServer();
}, 120_000);

afterAll(async () => {
  await s?.close();
});

interface Device {
  username: string;
  password: string;
  auth: string;
  /** `AuthSession=...` from signing in at `/couch/_session` with the device's secret. */
  cookie: string;
}

async function enrol(deviceId: string): Promise<Device> {
  const r = await s.app('POST', '/api/enrol', {
    body: { name: s.rep1.name, password: s.rep1.password, deviceId },
  });
  expect(r.status).toBe(201);
  const { username, password } = r.body.credentials as { username: string; password: string };
  const login = await s.couch('POST', '/_session', { body: { name: username, password } });
  expect(login.status).toBe(200);
  const cookie = /AuthSession=[^;]+/.exec(String(login.headers['set-cookie']));
  expect(cookie).not.toBeNull();
  return { username, password, auth: basicAuth(username, password), cookie: cookie![0] };
}

/** What the device does with a credential: read its db, read changes, write a note. */
function replay(d: Device, by: 'basic' | 'cookie', i: number): Promise<Answer> {
  const who = by === 'basic' ? { auth: d.auth } : { headers: { cookie: d.cookie } };
  const db = s.rep1.db;
  switch (i % 3) {
    case 0:
      return s.couch('GET', `/${db}`, who);
    case 1:
      return s.couch('GET', `/${db}/_changes?since=0&limit=1`, who);
    default:
      return s.couch('PUT', `/${db}/note:replay-${d.username}-${by}-${i}`, {
        ...who,
        body: note(`replay-${d.username}-${by}-${i}`, s.rep1.name),
      });
  }
}

interface Sent {
  sentAt: number;
  status: number;
}

/**
 * Replays the credential one request after another until `stopAt()` (a time) has passed by
 * MAX_MS, or MAX_REQUESTS were sent.
 */
async function replayLoop(d: Device, by: 'basic' | 'cookie', stopAt: () => number | null) {
  const sent: Sent[] = [];
  for (let i = 0; i < MAX_REQUESTS; i++) {
    const end = stopAt();
    if (end !== null && Date.now() > end + MAX_MS) break;
    const sentAt = performance.now();
    sent.push({ sentAt, status: (await replay(d, by, i)).status });
  }
  return sent;
}

/**
 * Runs Basic and cookie replay loops while `revoke` runs and after it returned; every request
 * sent after it returned must get 401. Resolves with all answers.
 */
async function replayAround(d: Device, revoke: () => Promise<boolean>) {
  let revokedAt: number | null = null;
  let revokedWall: number | null = null;
  const stopAt = () => revokedWall;
  const loops = [
    replayLoop(d, 'basic', stopAt),
    replayLoop(d, 'cookie', stopAt),
    replayLoop(d, 'basic', stopAt),
    replayLoop(d, 'cookie', stopAt),
  ];
  expect(await revoke()).toBe(true);
  revokedAt = performance.now();
  revokedWall = Date.now();
  const [basicA, cookieA, basicB, cookieB] = await Promise.all(loops);
  const after = (list: Sent[]) => list.filter((x) => x.sentAt >= (revokedAt as number));
  const basic = [...after(basicA), ...after(basicB)];
  const cookie = [...after(cookieA), ...after(cookieB)];
  return { basic, cookie, all: [...basicA, ...cookieA, ...basicB, ...cookieB] };
}

/** Statuses that are not 401, with how many of each (empty when every answer was 401). */
function not401(list: Sent[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const x of list) if (x.status !== 401) out[x.status] = (out[x.status] ?? 0) + 1;
  return out;
}

describe('a revoked credential replayed from the moment of revocation', () => {
  it("revoked by the running server's own revoke call: the front refuses it, Basic and cookie", async () => {
    const d = await enrol('phone-inproc');
    const r = await replayAround(d, () => s.outpost.revokeDevice(d.username));
    expect(r.basic.length).toBeGreaterThan(0);
    expect(r.cookie.length).toBeGreaterThan(0);
    expect(not401(r.basic)).toEqual({});
    expect(not401(r.cookie)).toEqual({});
    expect(s.outpost.revocations.isRevoked(d.username)).toBe(true);
  });

  it('revoked from another client (as `npm run device:revoke`): refused as soon as the call returns', async () => {
    const d = await enrol('phone-cli');
    const r = await replayAround(d, () => revokeDevice(s.outpost.couchAdmin, d.username));
    expect(r.basic.length).toBeGreaterThan(0);
    expect(r.cookie.length).toBeGreaterThan(0);
    expect(not401(r.basic)).toEqual({});
    expect(not401(r.cookie)).toEqual({});
    // The front also learns it from `_users`, through the watcher that provisions.
    await waitUntil('the front to learn the revocation from _users', async () =>
      s.outpost.revocations.isRevoked(d.username),
    );
  });

  it('nothing the replays sent after the revocation was written', async () => {
    const all = await s.asAdmin('GET', `/${s.rep1.db}/_all_docs`);
    expect(all.status).toBe(200);
    const written = (all.body.rows as { id: string }[]).map((row) => row.id);
    // Writes sent before the revocation may have landed; none has a 2xx after it (tests above),
    // and the ones that landed are the device's own, made while it was still enrolled.
    for (const id of written.filter((x) => x.startsWith('note:replay-'))) {
      expect(id).toMatch(/^note:replay-ana~phone-(inproc|cli)-(basic|cookie)-\d+$/);
    }
  });
});

describe("the front's own refusal (CouchDB would still accept the credential)", () => {
  let d: Device;

  beforeAll(async () => {
    d = await enrol('tablet-front');
    s.outpost.revocations.revoke(d.username); // known revoked; its user is untouched in CouchDB
  });

  it('GET /couch/userdb-ana with the Basic secret - 401 from the front', async () => {
    const r = await s.couch('GET', `/${s.rep1.db}`, { auth: d.auth });
    expect({ status: r.status, body: r.body }).toEqual({ status: 401, body: UNAUTHORIZED });
    expect((await s.direct('GET', `/${s.rep1.db}`, { auth: d.auth })).status).toBe(200);
  });

  it('GET /couch/userdb-ana with the session cookie - 401 from the front', async () => {
    const r = await s.couch('GET', `/${s.rep1.db}`, { headers: { cookie: d.cookie } });
    expect({ status: r.status, body: r.body }).toEqual({ status: 401, body: UNAUTHORIZED });
  });

  it('a revoked cookie next to a valid credential of someone else - still 401', async () => {
    const r = await s.couch('GET', `/${s.rep1.db}`, {
      auth: s.rep1.auth,
      headers: { cookie: `theme=dark; ${d.cookie}` },
    });
    expect(r.status).toBe(401);
  });

  it.each([
    ['JSON', { name: 'NAME', password: 'PW' }, 'application/json'],
    ['a form', 'name=NAME&password=PW', 'application/x-www-form-urlencoded'],
  ])('POST /couch/_session with %s - no session for a revoked name', async (_how, body, type) => {
    const fill = (x: string) =>
      x.replace('NAME', encodeURIComponent(d.username)).replace('PW', d.password);
    const sent = typeof body === 'string' ? fill(body) : JSON.parse(fill(JSON.stringify(body)));
    const r = await s.couch('POST', '/_session', { body: sent, type });
    expect({ status: r.status, body: r.body }).toEqual({ status: 401, body: UNAUTHORIZED });
    expect(r.headers['set-cookie']).toBeUndefined();
    // Other spellings of the path: whatever the server makes of them, never a session.
    for (const path of ['//_session?x=1', '/%5Fsession']) {
      const other = await s.couch('POST', path, { body: sent, type });
      expect(other.status, path).toBeGreaterThanOrEqual(400);
      expect(String(other.headers['set-cookie'] ?? ''), path).not.toMatch(/AuthSession=[^;]/);
    }
  });

  it('other credentials of the same person pass, and enrolling the device again clears it', async () => {
    expect((await s.couch('GET', `/${s.rep1.db}`, { auth: s.rep1.auth })).status).toBe(200);
    const again = await enrol('tablet-front');
    expect(s.outpost.revocations.isRevoked(d.username)).toBe(false);
    expect((await s.couch('GET', `/${s.rep1.db}`, { auth: again.auth })).status).toBe(200);
    expect((await s.couch('GET', `/${s.rep1.db}`, { auth: d.auth })).status).toBe(401);
    await s.expectAlive();
  });
});
