import { afterEach, describe, expect, it } from 'vitest';
import {
  createCredentialStore,
  enrolDevice,
  signInMessage,
  type Enrolment,
} from '$lib/auth/enrolment';
import { exportLocalData } from '$lib/auth/export';
import type { OutpostError } from '$lib/errors';
import { destroyMemoryDbs, memoryDb } from '../helpers/memory-db';

afterEach(destroyMemoryDbs);

const OK_BODY = {
  person: { name: 'ana', role: 'rep', team: 'demo', displayName: 'Ana Ortiz' },
  db: 'userdb-616e61',
  credentials: { username: 'ana~dev-1234', password: 's3cret' },
};

function fakeFetch(
  status: number,
  body: unknown,
  calls: { url: string; init?: RequestInit }[] = [],
) {
  return async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
  };
}

describe('enrolDevice (client)', () => {
  it('POST /api/enrol with name, password and device id; returns the credential', async () => {
    const calls: { url: string; init?: RequestInit }[] = [];
    const now = () => new Date('2026-11-22T08:00:00.000Z');
    const result = await enrolDevice(
      { name: 'ana', password: 'pw', deviceId: 'dev-1234' },
      { fetch: fakeFetch(201, OK_BODY, calls), now },
    );
    expect(result).toEqual({ ...OK_BODY, enrolledAt: '2026-11-22T08:00:00.000Z' });
    expect(calls[0].url).toBe('/api/enrol');
    expect(JSON.parse(String(calls[0].init?.body))).toEqual({
      name: 'ana',
      password: 'pw',
      deviceId: 'dev-1234',
    });
  });

  it('a wrong password is an unauthorized error with a plain message', async () => {
    const err = (await enrolDevice(
      { name: 'ana', password: 'bad', deviceId: 'dev-1234' },
      {
        fetch: fakeFetch(401, { error: 'unauthorized', reason: 'Name or password is incorrect.' }),
      },
    ).catch((e: unknown) => e)) as OutpostError;
    expect(err.code).toBe('unauthorized');
    expect(err.status).toBe(401);
    expect(signInMessage(err)).toBe('Name or password is incorrect.');
  });

  it('429 after too many failed sign-ins: rate_limited, with the wait from Retry-After in words', async () => {
    const now = () => new Date('2026-11-22T08:00:00.000Z');
    const tooMany = (retryAfter: string | null) => async () =>
      new Response(
        JSON.stringify({
          error: 'too_many_requests',
          reason: 'Too many failed sign-ins. Try again in 30 seconds.',
        }),
        { status: 429, headers: retryAfter ? { 'retry-after': retryAfter } : {} },
      );
    const attempt = (retryAfter: string | null) =>
      enrolDevice(
        { name: 'ana', password: 'pw', deviceId: 'dev-1234' },
        { fetch: tooMany(retryAfter), now },
      ).then(
        () => {
          throw new Error('enrolled despite a 429');
        },
        (e: unknown) => e as OutpostError,
      );
    const seconds = await attempt('30');
    expect(seconds).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 30_000 });
    expect(signInMessage(seconds)).toBe('Too many failed sign-ins. Try again in 30 seconds.');
    const date = await attempt('Sun, 22 Nov 2026 08:00:01 GMT');
    expect(date.retryAfterMs).toBe(1000);
    expect(signInMessage(date)).toBe('Too many failed sign-ins. Try again in 1 second.');
    expect((await attempt(null)).retryAfterMs).toBe(30_000);
  });

  it('no network is a network error that says sign-in needs the network once', async () => {
    const err = (await enrolDevice(
      { name: 'ana', password: 'pw', deviceId: 'dev-1234' },
      { fetch: () => Promise.reject(new TypeError('Failed to fetch')) },
    ).catch((e: unknown) => e)) as OutpostError;
    expect(err.code).toBe('network');
    expect(err.message).toMatch(/needs the network once/);
  });

  it('a server answer that is not JSON or lacks the credential is an error, not a half sign-in', async () => {
    const notJson = (await enrolDevice(
      { name: 'ana', password: 'pw', deviceId: 'dev-1234' },
      { fetch: fakeFetch(502, '<html>bad gateway</html>') },
    ).catch((e: unknown) => e)) as OutpostError;
    expect(notJson.status).toBe(502);
    const partial = (await enrolDevice(
      { name: 'ana', password: 'pw', deviceId: 'dev-1234' },
      { fetch: fakeFetch(201, { person: OK_BODY.person }) },
    ).catch((e: unknown) => e)) as OutpostError;
    expect(partial.code).toBe('internal');
  });
});

describe('credential store', () => {
  const enrolment: Enrolment = { ...OK_BODY, enrolledAt: '2026-11-22T08:00:00.000Z' } as Enrolment;

  it('keeps the enrolment in a _local doc that replication never copies', async () => {
    const db = memoryDb();
    const store = createCredentialStore(db);
    expect(await store.load()).toBeNull();
    await store.save(enrolment);
    expect(await store.load()).toEqual(enrolment);
    expect((await db.allDocs()).rows).toHaveLength(0); // _local docs are not listed or replicated
    await store.save({ ...enrolment, db: 'userdb-other' });
    expect((await store.load())?.db).toBe('userdb-other');
    await store.clear();
    expect(await store.load()).toBeNull();
  });
});

describe('exportLocalData', () => {
  it('exports every document (not design docs) with metadata', async () => {
    const db = memoryDb();
    await db.bulkDocs([
      { _id: 'note:1', type: 'note' },
      { _id: 'stop:1', type: 'stop' },
      { _id: '_design/x' },
    ]);
    const out = await exportLocalData(db, {
      user: 'ana',
      deviceId: 'dev-1',
      now: () => new Date(0),
    });
    expect(out).toMatchObject({
      user: 'ana',
      deviceId: 'dev-1',
      count: 2,
      exportedAt: '1970-01-01T00:00:00.000Z',
    });
    expect(out.docs.map((d) => (d as { _id: string })._id)).toEqual(['note:1', 'stop:1']);
  });
});
