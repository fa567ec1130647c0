import { describe, expect, it } from 'vitest';
import { openRemoteDb } from '$lib/sync/remote';
import { memoryDb } from '../helpers/memory-db';
import {
  createUserDb,
  noteDocs,
  serverDocs,
  switchableFetch,
  syncUserDb,
  useSyncFixture,
  waitFor,
} from './sync-setup';

const DEVICE = 'dev-ckpt';
const fx = useSyncFixture();
const { users } = fx;

const notes = (n: number, prefix: string) => noteDocs(n, prefix, DEVICE);

/** The push lane's checkpoint lives on the server, keyed by the local db: neither side can lose writes. */
describe('push checkpoint', () => {
  it('a server db that lost its data gets every local doc again', async () => {
    const user = await createUserDb(fx.couch);
    users.push(user);
    const local = memoryDb('ckpt');
    await local.bulkDocs(notes(40, 'a'));
    const connect = () => syncUserDb(fx, local, user, { deviceId: DEVICE });
    let sync = connect();
    await waitFor('first push', () => sync.status.pending === 0 && sync.status.docsPushed >= 40);
    await sync.stop();

    // The admin restores an empty db (e.g. from an old backup): same name, no data.
    expect((await fx.couch.admin$('DELETE', `/${user.db}`)).status).toBe(200);
    expect((await fx.couch.admin$('PUT', `/${user.db}`)).status).toBe(201);
    const security = {
      admins: { names: [], roles: [] },
      members: { names: [user.name], roles: [] },
    };
    await fx.couch.admin$('PUT', `/${user.db}/_security`, security);

    sync = connect();
    await waitFor(
      'all docs back on the server',
      async () => (await serverDocs(fx.couch, user.db)).length === 40,
    );
  });

  it('a new local db (app data cleared) on the same server db never skips its new writes', async () => {
    const user = await createUserDb(fx.couch);
    users.push(user);
    const first = memoryDb('ckpt-first');
    await first.bulkDocs(notes(30, 'old'));
    const s1 = syncUserDb(fx, first, user, { deviceId: DEVICE });
    await waitFor('first push', () => s1.status.pending === 0 && s1.status.docsPushed >= 30);
    await s1.stop();

    const fresh = memoryDb('ckpt-fresh'); // local sequences start again at 0
    await fresh.bulkDocs(notes(5, 'new'));
    syncUserDb(fx, fresh, user, { deviceId: DEVICE });
    await waitFor('new docs pushed', async () => {
      const ids = (await serverDocs(fx.couch, user.db)).map((d) => String(d._id));
      return ids.filter((id) => id.startsWith('note:new-')).length === 5;
    });
    await waitFor(
      'the old docs pulled into the new local db',
      async () =>
        (await fresh.allDocs()).rows.filter((r) => r.id.startsWith('note:old-')).length === 30,
    );
  });
  it("sends this device's own revisions without asking _revs_diff, and asks about the rest", async () => {
    const user = await createUserDb(fx.couch);
    users.push(user);
    // Docs another device wrote, already on the server, reach this local db outside this sync
    // (as after an earlier session): the push lane must ask before sending them back.
    const elsewhere = notes(12, 'other').map((d) => ({ ...d, deviceId: 'dev-elsewhere' }));
    const seeded = await fx.couch.admin$('POST', `/${user.db}/_bulk_docs`, { docs: elsewhere });
    expect(seeded.status).toBe(201);
    const local = memoryDb('ckpt-own');
    const server = openRemoteDb(user.url, { username: user.name, password: user.password });
    await local.replicate.from(server);
    await local.bulkDocs(notes(25, 'own'));
    const net = switchableFetch();
    const askedAbout: string[] = [];
    const recording: typeof net.impl = (input, init) => {
      if (String(input).includes('/_revs_diff') && typeof init?.body === 'string') {
        askedAbout.push(...Object.keys(JSON.parse(init.body) as object));
      }
      return net.impl(input, init);
    };
    const sync = syncUserDb(fx, local, user, { deviceId: DEVICE, fetchImpl: recording });
    await waitFor(
      'own docs pushed',
      () => sync.status.pending === 0 && sync.status.docsPushed >= 25,
    );
    expect([...new Set(askedAbout)].sort()).toEqual(elsewhere.map((d) => d._id)); // never the own ones
    expect(net.bulkDocsSent()).toBe(25); // only the own ones travelled
    const onServer = await serverDocs(fx.couch, user.db);
    expect(onServer.filter((d) => String(d._id).startsWith('note:own-'))).toHaveLength(25);
    expect(onServer.every((d) => !d._conflicts)).toBe(true);
  });

  it('resending own revisions after a lost checkpoint changes nothing on the server', async () => {
    const user = await createUserDb(fx.couch);
    users.push(user);
    const local = memoryDb('ckpt-resend');
    await local.bulkDocs(notes(30, 'r'));
    const connect = (fetchImpl?: ReturnType<typeof switchableFetch>['impl']) =>
      syncUserDb(fx, local, user, { deviceId: DEVICE, fetchImpl });
    let sync = connect();
    await waitFor('first push', () => sync.status.pending === 0 && sync.status.docsPushed >= 30);
    await sync.stop();
    const before = await serverDocs(fx.couch, user.db);

    // The checkpoint is gone (a restored server, an admin's cleanup): everything goes again.
    const { id } = (await local.get('_local/outpost-db-id')) as unknown as { id: string };
    const checkpoint = await fx.couch.admin$('GET', `/${user.db}/_local/outpost-push-${id}`);
    expect(checkpoint.status).toBe(200);
    const removed = await fx.couch.admin$(
      'DELETE',
      `/${user.db}/_local/outpost-push-${id}?rev=${checkpoint.body._rev}`,
    );
    expect(removed.status).toBe(200);
    const net = switchableFetch();
    sync = connect(net.impl);
    await waitFor('resent', () => net.bulkDocsSent() >= 30 && sync.status.state === 'idle');
    expect(sync.status.lastError).toBeNull(); // nothing refused
    expect(await serverDocs(fx.couch, user.db)).toEqual(before);
  });

  it('keeps two writes in flight but never checkpoints past a batch that failed', async () => {
    const user = await createUserDb(fx.couch);
    users.push(user);
    const local = memoryDb('ckpt-inflight');
    await local.bulkDocs(notes(50, 'f'));
    let bulkCalls = 0;
    // The second of five batches of 10 fails once; the ones after it may be written meanwhile.
    const net = switchableFetch();
    const failing: typeof net.impl = async (input, init) => {
      if (String(input).includes('/_bulk_docs') && ++bulkCalls === 2) {
        throw new TypeError('fetch failed');
      }
      return net.impl(input, init);
    };
    const sync = syncUserDb(fx, local, user, {
      deviceId: DEVICE,
      batchSize: 10,
      backoff: { baseMs: 50, maxMs: 100 },
      fetchImpl: failing,
    });
    await waitFor('all pushed', () => sync.status.pending === 0 && sync.status.state === 'idle');
    const onServer = await serverDocs(fx.couch, user.db);
    expect(onServer.map((d) => d._id).sort()).toEqual(notes(50, 'f').map((d) => d._id));
    expect(onServer.every((d) => !d._conflicts)).toBe(true);
  });
});
