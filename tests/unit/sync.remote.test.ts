import { describe, expect, it } from 'vitest';
import { createHlc } from '$lib/clock/hlc';
import { OutpostError } from '$lib/errors';
import { openRemoteDb, type FetchImpl } from '$lib/sync/remote';

interface Seen {
  url: string;
  authorization: string | null;
}

/** A fetch answering every call with `status` and a JSON body, stamping `date` when given. */
function fakeFetch(opts: { status?: number; date?: string; fail?: boolean } = {}) {
  const seen: Seen[] = [];
  const impl: FetchImpl = async (input, init) => {
    seen.push({
      url: String(input),
      authorization: new Headers(init?.headers).get('authorization'),
    });
    if (opts.fail) throw new TypeError('fetch failed');
    const status = opts.status ?? 200;
    const body =
      status === 200
        ? { db_name: 'userdb', doc_count: 0, update_seq: 0 }
        : { error: 'unauthorized', reason: 'Name or password is incorrect.' };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.date) headers.date = opts.date;
    return new Response(JSON.stringify(body), { status, headers });
  };
  return { impl, seen };
}

const DEVICE_NOW = Date.parse('2026-11-22T08:00:00.000Z');

describe('openRemoteDb', () => {
  it('sends Basic auth in a header and never in the URL', async () => {
    const { impl, seen } = fakeFetch();
    const db = openRemoteDb('http://couch.test/userdb', {
      username: 'ann',
      password: 'pä:ss',
      fetchImpl: impl,
    });
    await db.info();
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) {
      expect(s.url).not.toContain('ann');
      expect(s.url).not.toContain('ss@');
      expect(s.authorization).toBe('Basic ' + Buffer.from('ann:pä:ss').toString('base64'));
    }
    expect(db.connection.url).toBe('http://couch.test/userdb');
    expect(db.connection.requests()).toBe(seen.length);
  });

  it('refuses a URL that carries credentials', () => {
    expect(() =>
      openRemoteDb('http://ann:pw@couch.test/userdb', { username: 'ann', password: 'pw' }),
    ).toThrow(OutpostError);
  });

  it('does not try to create the database (skip_setup): only the request asked for', async () => {
    const { impl, seen } = fakeFetch();
    const db = openRemoteDb('http://couch.test/userdb', {
      username: 'a',
      password: 'b',
      fetchImpl: impl,
    });
    await db.info();
    expect(seen.map((s) => s.url)).toEqual(['http://couch.test/userdb/']);
  });

  it('remembers the last HTTP status, and 0 after a network failure', async () => {
    const ok = fakeFetch();
    const db = openRemoteDb('http://couch.test/userdb', {
      username: 'a',
      password: 'b',
      fetchImpl: ok.impl,
    });
    expect(db.connection.lastStatus()).toBeNull();
    await db.info();
    expect(db.connection.lastStatus()).toBe(200);

    const denied = openRemoteDb('http://couch.test/userdb', {
      username: 'a',
      password: 'wrong',
      fetchImpl: fakeFetch({ status: 401 }).impl,
    });
    await expect(denied.get('doc')).rejects.toMatchObject({ status: 401 });
    expect(denied.connection.lastStatus()).toBe(401);

    const down = openRemoteDb('http://couch.test/userdb', {
      username: 'a',
      password: 'b',
      fetchImpl: fakeFetch({ fail: true }).impl,
    });
    await expect(down.info()).rejects.toThrow();
    expect(down.connection.lastStatus()).toBe(0);
  });

  it('setCredentials changes the header of the next requests', async () => {
    const { impl, seen } = fakeFetch();
    const db = openRemoteDb('http://couch.test/userdb', {
      username: 'a',
      password: 'old',
      fetchImpl: impl,
    });
    await db.info();
    db.connection.setCredentials({ username: 'a', password: 'new' });
    await db.info();
    expect(seen.at(-1)?.authorization).toBe('Basic ' + Buffer.from('a:new').toString('base64'));
  });

  it('learns the server clock offset from the Date header', async () => {
    const clock = createHlc({ deviceId: 'dev-1', wallClock: () => DEVICE_NOW });
    const { impl } = fakeFetch({ date: 'Sun, 22 Nov 2026 09:00:00 GMT' });
    const db = openRemoteDb('http://couch.test/userdb', {
      username: 'a',
      password: 'b',
      fetchImpl: impl,
      clock,
      now: () => DEVICE_NOW,
    });
    await db.info();
    expect(clock.serverOffset()).toBe(3_600_000 + 500);
  });

  it('does not learn from errors or from slow round trips (long-polls)', async () => {
    const clock = createHlc({ deviceId: 'dev-1' });
    const date = 'Sun, 22 Nov 2026 09:00:00 GMT';
    const err = openRemoteDb('http://couch.test/userdb', {
      username: 'a',
      password: 'b',
      fetchImpl: fakeFetch({ status: 401, date }).impl,
      clock,
      now: () => DEVICE_NOW,
    });
    await expect(err.get('doc')).rejects.toMatchObject({ status: 401 });
    expect(clock.serverOffset()).toBe(0);

    let t = DEVICE_NOW;
    const slow = openRemoteDb('http://couch.test/userdb', {
      username: 'a',
      password: 'b',
      fetchImpl: fakeFetch({ date }).impl,
      clock,
      now: () => (t += 10_000),
    });
    await slow.info();
    expect(clock.serverOffset()).toBe(0);
  });
});
