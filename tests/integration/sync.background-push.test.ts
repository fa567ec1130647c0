import { describe, expect, it } from 'vitest';
import type { Enrolment } from '$lib/auth/enrolment';
import { backgroundPush, SYNC_NOW_MESSAGE } from '$lib/sync/background-push';
import { pushOnce } from '$lib/sync/push-once';
import { openRemoteDb } from '$lib/sync/remote';
import { memoryDb } from '../helpers/memory-db';
import { createUserDb, noteDocs, serverDocs, switchableFetch, useSyncFixture } from './sync-setup';

const fx = useSyncFixture();
const { users } = fx;

const notes = (n: number) => noteDocs(n, 'bg', 'dev-bg');
const photo = {
  _id: 'photo:bg-1',
  type: 'photo',
  deviceId: 'dev-bg',
  _attachments: {
    'full.jpg': { content_type: 'image/jpeg', data: Buffer.from('jpeg bytes').toString('base64') },
  },
};

/** The service worker's one-shot push (Background Sync) against the server, over CouchDB HTTP. */
describe('background push (the service worker sync event)', () => {
  it('POST /{db}/_bulk_docs - pushes every waiting write once, photos after the rest', async () => {
    const user = await createUserDb(fx.couch);
    users.push(user);
    const local = memoryDb('bg-push');
    await local.bulkDocs([...notes(8), photo]);
    const net = switchableFetch();
    const remote = openRemoteDb(user.url, {
      username: user.name,
      password: user.password,
      fetchImpl: net.impl,
    });
    const result = await pushOnce(local, remote, { deviceId: 'dev-bg' });
    expect(result).toEqual({ pushed: 9, refused: 0 });
    const ids = (await serverDocs(fx.couch, user.db)).map((d) => d._id).sort();
    expect(ids).toEqual([...notes(8).map((d) => d._id), photo._id].sort());
    const writes = net.seen.filter((r) => r.url.includes('/_bulk_docs'));
    expect(writes.at(-1)?.bulkDocs).toBe(1); // the photo went last, on its own
    // Nothing live is left running: no request after it resolved.
    const after = net.seen.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(net.seen.length).toBe(after);
  });

  it('rejects while offline, so the browser offers the sync again, and loses nothing', async () => {
    const user = await createUserDb(fx.couch);
    users.push(user);
    const local = memoryDb('bg-push-offline');
    await local.bulkDocs(notes(3));
    const net = switchableFetch();
    net.online = false;
    const remote = openRemoteDb(user.url, {
      username: user.name,
      password: user.password,
      fetchImpl: net.impl,
    });
    await expect(pushOnce(local, remote)).rejects.toThrow(/fetch failed/);
    net.online = true;
    expect((await pushOnce(local, remote)).pushed).toBe(3);
    expect(await serverDocs(fx.couch, user.db)).toHaveLength(3);
  });

  it('leaves the work to an open tab, does nothing signed out, else pushes and closes the db', async () => {
    const user = await createUserDb(fx.couch);
    users.push(user);
    const enrolment: Enrolment = {
      person: { name: user.name, role: 'rep', team: 't', displayName: user.name },
      db: user.db,
      credentials: { username: user.name, password: user.password },
      enrolledAt: new Date().toISOString(),
    };
    const local = memoryDb('bg-push-worker');
    await local.bulkDocs(notes(2));
    const posted: unknown[] = [];
    let closed = false;
    const deps = (windows: number, signedIn = true) => ({
      windows: async () =>
        Array.from({ length: windows }, () => ({ postMessage: (m: unknown) => posted.push(m) })),
      loadEnrolment: async () => (signedIn ? enrolment : null),
      openLocal: () =>
        Object.assign(Object.create(local) as typeof local, {
          close: async () => void (closed = true),
        }),
      openRemote: () => openRemoteDb(user.url, { username: user.name, password: user.password }),
    });
    expect(await backgroundPush(deps(2))).toEqual({ kind: 'tab' });
    expect(posted).toEqual([SYNC_NOW_MESSAGE, SYNC_NOW_MESSAGE]);
    expect(await serverDocs(fx.couch, user.db)).toHaveLength(0);
    expect(await backgroundPush(deps(0, false))).toEqual({ kind: 'signed-out' });
    expect(await backgroundPush(deps(0))).toEqual({ kind: 'pushed', pushed: 2, refused: 0 });
    expect(closed).toBe(true);
    expect(await serverDocs(fx.couch, user.db)).toHaveLength(2);
  });
});
