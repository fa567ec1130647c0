/**
 * Password guessing on the two sign-in routes of the full server, `POST /api/enrol` and
 * `POST /couch/_session`, and with a Basic credential on any other `/couch` path or `/metrics`
 * (each of them checks a password too): after a few failures an attempt gets 429 with `Retry-After` and a
 * CouchDB-shaped error (its password is not even checked), and once the delay has passed the
 * right password works again. The limiter runs on a clock the test moves: nothing sleeps.
 * Addresses are told apart by X-Forwarded-For, which the app trusts from a loopback peer (a
 * reverse proxy on the same host).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignInLimiter } from '../../src/lib/server/sign-in-limiter';
import { basicAuth, startSecurityServer, type Answer, type SecurityServer } from './server-harness';

let s: SecurityServer;
let now = Date.parse('2026-11-22T08:00:00.000Z');
const advance = (ms: number) => (now += ms);

beforeAll(async () => {
  s = await startSecurityServer({ signInLimiter: createSignInLimiter({ now: () => now }) });
}, 120_000);

afterAll(async () => {
  await s?.close();
});

const from = (address: string) => ({ 'x-forwarded-for': address });
const enrol = (name: string, password: string, address: string) =>
  s.app('POST', '/api/enrol', {
    body: { name, password, deviceId: 'dev-limits' },
    headers: from(address),
  });
const session = (name: string, password: string, address: string, form = false) =>
  s.couch('POST', '/_session', {
    body: form
      ? `name=${encodeURIComponent(name)}&password=${encodeURIComponent(password)}`
      : { name, password },
    type: form ? 'application/x-www-form-urlencoded' : 'application/json',
    headers: from(address),
  });

function expectTooMany(r: Answer, seconds: number) {
  expect({ status: r.status, retryAfter: r.headers['retry-after'], body: r.body }).toEqual({
    status: 429,
    retryAfter: String(seconds),
    body: {
      error: 'too_many_requests',
      reason: `Too many failed sign-ins. Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`,
    },
  });
}

describe('brute force on POST /api/enrol', () => {
  it('5 wrong passwords get 401, the 6th attempt 429 - even with the right password', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await enrol(s.rep1.name, `wrong-${i}`, '192.0.2.10')).status).toBe(401);
    }
    expectTooMany(await enrol(s.rep1.name, 'wrong-5', '192.0.2.10'), 1);
    expectTooMany(await enrol(s.rep1.name, s.rep1.password, '192.0.2.10'), 1);
  });

  it('waits double with each failure; the right password works once the wait is over', async () => {
    advance(1000);
    expect((await enrol(s.rep1.name, 'wrong-6', '192.0.2.10')).status).toBe(401);
    expectTooMany(await enrol(s.rep1.name, s.rep1.password, '192.0.2.10'), 2);
    advance(2000);
    const ok = await enrol(s.rep1.name, s.rep1.password, '192.0.2.10');
    expect(ok.status).toBe(201);
    expect(ok.body.credentials.username).toMatch(/^ana~/);
    // The success cleared the name: a typo is a plain 401 again.
    expect((await enrol(s.rep1.name, 'typo', '192.0.2.10')).status).toBe(401);
  });
});

describe('brute force on POST /couch/_session', () => {
  it('5 wrong passwords (JSON and form bodies) get 401, then 429; the right one works after the wait', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await session(s.rep2.name, `wrong-${i}`, '192.0.2.20', i % 2 === 1);
      expect({ status: r.status, body: r.body }).toEqual({
        status: 401,
        body: { error: 'unauthorized', reason: 'Name or password is incorrect.' },
      });
    }
    expectTooMany(await session(s.rep2.name, s.rep2.password, '192.0.2.20'), 1);
    expectTooMany(await session(s.rep2.name, s.rep2.password, '192.0.2.20', true), 1);
    advance(1000);
    const ok = await session(s.rep2.name, s.rep2.password, '192.0.2.20');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, name: s.rep2.name });
    expect(String(ok.headers['set-cookie'])).toMatch(/AuthSession=/);
  });

  it('one name hammered from many addresses: waits stay short, and her own address is not held', async () => {
    const sam = s.supervisor;
    expect((await session(sam.name, sam.password, '198.51.100.1')).status).toBe(200);
    let limited = 0;
    for (let i = 0; i < 12; i++) {
      const r = await session(sam.name, `guess-${i}`, `203.0.113.${i}`);
      if (r.status === 429) {
        limited += 1;
        expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(30);
      } else expect(r.status).toBe(401);
    }
    expect(limited).toBeGreaterThan(0);
    // From a new address she waits at most the short cap...
    const elsewhere = await session(sam.name, sam.password, '198.51.100.2');
    expect(elsewhere.status).toBe(429);
    expect(Number(elsewhere.headers['retry-after'])).toBeLessThanOrEqual(30);
    // ...and from the address she signed in from before she gets straight in.
    expect((await session(sam.name, sam.password, '198.51.100.1')).status).toBe(200);
    // That success cleared the name: the new address gets in too.
    expect((await session(sam.name, sam.password, '198.51.100.2')).status).toBe(200);
  });

  it('one address trying many names is slowed after 20 failures', async () => {
    for (let i = 0; i < 20; i++) {
      expect((await session(`nobody${i}`, 'pw', '192.0.2.99')).status).toBe(401);
    }
    expectTooMany(await session('nobody20', 'pw', '192.0.2.99'), 1);
    expectTooMany(await enrol('nobody21', 'pw', '192.0.2.99'), 1);
    // Other addresses are not slowed by it.
    expect((await session('nobody22', 'pw', '192.0.2.98')).status).toBe(401);
  });

  it('a Basic credential on any /couch path counts as a sign-in: 401s, then 429; the right one works after the wait', async () => {
    const ben = s.rep2;
    const get = (password: string) =>
      s.couch('GET', `/${ben.db}`, {
        auth: basicAuth(ben.name, password),
        headers: from('192.0.2.40'),
      });
    for (let i = 0; i < 5; i++) expect((await get(`guess-${i}`)).status).toBe(401);
    expectTooMany(await get('guess-5'), 1);
    expectTooMany(await get(ben.password), 1);
    advance(1000);
    const ok = await get(ben.password);
    expect({ status: ok.status, db: ok.body.db_name }).toEqual({ status: 200, db: ben.db });
    // A request without a password (a cookie, or none) is not a sign-in and is never held up.
    const anonymous = await s.couch('GET', '/', { auth: null, headers: from('192.0.2.40') });
    expect(anonymous.status).toBe(200);
  });

  it('a device credential (a random secret, nothing to guess) is never held: 401 every time', async () => {
    const enrolled = await enrol(s.rep1.name, s.rep1.password, '192.0.2.41');
    expect(enrolled.status).toBe(201);
    const device = enrolled.body.credentials as { username: string; password: string };
    const get = (password: string) =>
      s.couch('GET', `/${s.rep1.db}`, {
        auth: basicAuth(device.username, password),
        headers: from('192.0.2.41'),
      });
    for (let i = 0; i < 8; i++) expect((await get(`wrong-${i}`)).status).toBe(401);
    expect((await get(device.password)).status).toBe(200);
  });

  it("/metrics: guessing an admin's password or the token is slowed the same way", async () => {
    const scrape = (auth: string) =>
      s.app('GET', '/metrics', { auth, headers: from('192.0.2.50') });
    for (let i = 0; i < 5; i++) {
      expect((await scrape(basicAuth(s.admin.name, `guess-${i}`))).status).toBe(401);
    }
    expectTooMany(await scrape(s.admin.auth), 1);
    advance(1000);
    const ok = await scrape(s.admin.auth);
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(/^# HELP outpost_/m);
    // Wrong bearer tokens count against the address (no name to count them by).
    for (let i = 0; i < 20; i++) {
      const r = await s.app('GET', '/metrics', {
        auth: `Bearer not-the-token-${i}`,
        headers: from('192.0.2.51'),
      });
      expect(r.status).toBe(401);
    }
    expectTooMany(
      await s.app('GET', '/metrics', { auth: 'Bearer again', headers: from('192.0.2.51') }),
      1,
    );
  });

  it('nothing crashed, and the front still answers', async () => {
    await s.expectAlive();
  });
});
