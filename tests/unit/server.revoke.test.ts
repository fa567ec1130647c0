/**
 * revokeDevice against a stand-in CouchDB on 127.0.0.1 that records what it is asked and
 * answers `/_session` as a CouchDB whose auth cache is as slow as the test wants.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Nano from 'nano';
import { afterEach, describe, expect, it } from 'vitest';
import { OutpostError } from '../../src/lib/errors';
import { isRevokedUserDoc, revokeDevice } from '../../src/lib/server/revoke';

const NAME = 'ana~phone-1';
const ID = `org.couchdb.user:${NAME}`;

interface Fake {
  couch: Nano.ServerScope;
  /** Method and path of each request, in order, with `/_session` answers. */
  log: string[];
  /** The doc as the `_users` stand-in holds it now (null: deleted). */
  doc: Record<string, unknown> | null;
  /** Answer writes with 409, as when the doc changed since it was read. */
  conflict?: boolean;
}

let server: Server | null = null;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = null;
});

/**
 * Starts the stand-in. `cacheLag` is how many `/_session` checks still see the doc as it was
 * before the last write (CouchDB's auth cache catching up); Infinity: it never catches up.
 */
async function fakeCouch(cacheLag: number): Promise<Fake> {
  const fake: Omit<Fake, 'couch'> = {
    log: [],
    doc: { _id: ID, _rev: '1-a', name: NAME, roles: ['owner:ana'], outpost: { owner: 'ana' } },
  };
  let password = 'device-secret';
  let cached: { exists: boolean; password: string } = { exists: true, password };
  let lag = 0;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const path = (req.url ?? '').split('?')[0];
      if (path === '/_session') {
        const [name, pw] = Buffer.from(
          String(req.headers.authorization).replace(/^Basic /, ''),
          'base64',
        )
          .toString()
          .split(':');
        if (lag > 0) lag -= 1;
        else cached = { exists: fake.doc !== null, password };
        const ok = name === NAME && cached.exists && pw === cached.password;
        fake.log.push(`GET /_session ${ok ? 200 : 401}`);
        if (ok) send(200, { ok: true, userCtx: { name, roles: [] } });
        else send(401, { error: 'unauthorized', reason: 'Name or password is incorrect.' });
        return;
      }
      fake.log.push(`${req.method} ${decodeURIComponent(path)}`);
      const write = req.method === 'POST' && path === '/_users'; // nano's insert
      if (!write && decodeURIComponent(path) !== `/_users/${ID}`) {
        send(404, { error: 'not_found', reason: 'missing' });
      } else if (req.method === 'GET') {
        if (fake.doc) send(200, fake.doc);
        else send(404, { error: 'not_found', reason: 'deleted' });
      } else if (fake.conflict && req.method !== 'GET') {
        send(409, { error: 'conflict', reason: 'Document update conflict.' });
      } else if (write) {
        const body = JSON.parse(Buffer.concat(chunks as Uint8Array[]).toString()) as Record<
          string,
          unknown
        >;
        password = String(body.password);
        fake.doc = { ...body, _rev: '2-b' };
        delete fake.doc.password;
        lag = cacheLag;
        send(201, { ok: true, id: ID, rev: '2-b' });
      } else if (req.method === 'DELETE') {
        fake.doc = null;
        lag = cacheLag;
        send(200, { ok: true, id: ID, rev: '3-c' });
      } else send(405, { error: 'method_not_allowed', reason: 'no' });
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, { couch: Nano(`http://admin:pw@127.0.0.1:${port}`) });
}

describe('revokeDevice', () => {
  it('re-keys, waits for CouchDB to refuse the old secret, deletes, waits again', async () => {
    const fake = await fakeCouch(2);
    const told: string[] = [];
    let docWhenTold: unknown = 'not told';
    const ok = await revokeDevice(fake.couch, NAME, {
      onRevoking: (name) => {
        told.push(name);
        docWhenTold = fake.doc?._rev;
      },
    });
    expect(ok).toBe(true);
    expect(told).toEqual([NAME]);
    expect(docWhenTold).toBe('1-a'); // told before anything was written
    expect(fake.log).toEqual([
      `GET /_users/${ID}`,
      'POST /_users',
      'GET /_session 401', // the cache still holds the old doc...
      'GET /_session 401',
      'GET /_session 200', // ...now the new secret is taken: the old one is refused
      `DELETE /_users/${ID}`,
      'GET /_session 200', // the cache still holds the re-keyed doc...
      'GET /_session 200',
      'GET /_session 401', // ...now it has seen the deletion
    ]);
  });

  it('the re-keyed doc has no roles, a new secret and the revokedAt mark', async () => {
    const fake = await fakeCouch(Infinity);
    await expect(revokeDevice(fake.couch, NAME, { timeoutMs: 50 })).rejects.toThrow();
    expect(fake.doc).toMatchObject({ name: NAME, type: 'user', roles: [] });
    expect(isRevokedUserDoc(fake.doc!)).toBe(true);
    expect((fake.doc!.outpost as { owner?: string }).owner).toBe('ana');
  });

  it('a CouchDB that never confirms: a bounded wait, then a clear 504 error', async () => {
    const fake = await fakeCouch(Infinity);
    const err = await revokeDevice(fake.couch, NAME, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutpostError);
    expect(err).toMatchObject({ code: 'network', status: 504 });
    expect((err as Error).message).toBe(
      `CouchDB has not confirmed in time that it refuses the secret of ${NAME}. ` +
        'Its user now has a new secret and no roles; run the command again (safe to repeat).',
    );
    expect(fake.log).not.toContain(`DELETE /_users/${ID}`);
  });

  it('a device changed meanwhile (409): a conflict error in words', async () => {
    const fake = await fakeCouch(0);
    fake.conflict = true;
    await expect(revokeDevice(fake.couch, NAME)).rejects.toMatchObject({
      code: 'conflict',
      message: `${NAME} changed while it was being revoked (enrolled again?); run the command again.`,
    });
  });

  it('no such device: false, nothing written', async () => {
    const fake = await fakeCouch(0);
    fake.doc = null;
    expect(await revokeDevice(fake.couch, NAME)).toBe(false);
    expect(fake.log).toEqual([`GET /_users/${ID}`]);
  });

  it('a person, not a device: invalid, before any request', async () => {
    const fake = await fakeCouch(0);
    await expect(revokeDevice(fake.couch, 'ana')).rejects.toMatchObject({ code: 'invalid' });
    expect(fake.log).toEqual([]);
  });
});
