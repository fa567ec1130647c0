import { describe, expect, it } from 'vitest';
import { openRemoteDb } from '$lib/sync/remote';
import { startSync, type SyncOptions } from '$lib/sync/sync';
import { PENDING_CHECKPOINT_ID } from '$lib/sync/pending';
import type { LocalDb } from '$lib/db/pouch';
import { memoryDb } from '../helpers/memory-db';
import {
  createUserDb,
  pause,
  serverDocs,
  switchableFetch,
  waitFor,
  useSyncFixture,
} from './sync-setup';

const DEVICE = 'dev-offline';
const fx = useSyncFixture();
const { users, controllers } = fx;

/** A device whose network is down from the start. */
async function offlineDevice(opts: Partial<SyncOptions> = {}, local?: LocalDb) {
  const user = await createUserDb(fx.couch);
  users.push(user);
  const net = switchableFetch();
  net.online = false;
  const db = local ?? memoryDb('sync-offline');
  const remote = openRemoteDb(user.url, {
    username: user.name,
    password: user.password,
    fetchImpl: net.impl,
  });
  const sync = startSync(db, remote, { deviceId: DEVICE, ...opts });
  controllers.push(sync);
  return { user, net, local: db, remote, sync };
}

const notes = (n: number, prefix: string, deviceId = DEVICE) =>
  Array.from({ length: n }, (_, i) => ({
    _id: `note:${prefix}-${String(i).padStart(4, '0')}`,
    type: 'note',
    text: `Offline note ${i}: ${'x'.repeat(200)}`,
    deviceId,
  }));

describe('startSync - offline and back', () => {
  it('pushes 500 writes queued offline exactly once after reconnecting', async () => {
    const { user, net, local, sync } = await offlineDevice({
      backoff: { baseMs: 100, maxMs: 400 },
    });
    await local.bulkDocs(notes(500, 'q'));
    await waitFor(
      '500 pending, offline',
      () => sync.status.pending === 500 && sync.status.state === 'offline',
    );
    expect(sync.status.online).toBe(false);
    expect(sync.status.lastError).toEqual({
      code: 'network',
      message: 'No connection - 500 changes waiting',
    });
    const failedAttempts = net.seen.length;
    await pause(1000);
    expect(net.seen.length).toBeGreaterThan(failedAttempts); // still retrying, with back-off

    net.online = true; // the next back-off retry reconnects; no syncNow here
    await waitFor('all pushed', () => sync.status.pending === 0 && sync.status.state === 'idle');

    const docs = await serverDocs(fx.couch, user.db);
    expect(docs).toHaveLength(500);
    expect(new Set(docs.map((d) => d._id)).size).toBe(500);
    for (const d of docs) {
      expect(String(d._rev)).toMatch(/^1-/);
      expect(d._conflicts).toBeUndefined();
    }
    expect(net.bulkDocsSent()).toBe(500); // each doc went over the wire once
    expect(sync.status.docsPushed).toBe(500);
    expect(sync.status.online).toBe(true);
    expect(sync.status.lastError).toBeNull();
  });

  it('counts as pending only what this device wrote', async () => {
    const { local, sync } = await offlineDevice();
    await local.bulkDocs([...notes(3, 'mine'), ...notes(2, 'theirs', 'dev-other')]);
    await waitFor('3 pending', () => sync.status.pending === 3);
    await local.put({ ...(await local.get('note:mine-0000')), text: 'edited' });
    await pause(100);
    expect(sync.status.pending).toBe(3); // one doc edited twice is one pending doc
  });

  it('syncNow after being offline resumes at once instead of waiting out the back-off', async () => {
    const { user, net, local, sync } = await offlineDevice({
      backoff: { baseMs: 60_000, maxMs: 60_000 },
    });
    await local.bulkDocs(notes(20, 'n'));
    await waitFor('offline', () => sync.status.state === 'offline' && sync.status.pending === 20);

    net.online = true;
    await pause(200);
    expect(sync.status.state).toBe('offline'); // the next retry is a minute away
    sync.syncNow();
    await waitFor(
      'pushed',
      () => sync.status.pending === 0 && sync.status.state === 'idle',
      10_000,
    );
    expect(await serverDocs(fx.couch, user.db)).toHaveLength(20);
  });

  it('restart("online") also resumes', async () => {
    const { net, local, sync } = await offlineDevice({
      backoff: { baseMs: 60_000, maxMs: 60_000 },
    });
    await local.bulkDocs(notes(5, 'o'));
    await waitFor('offline', () => sync.status.state === 'offline' && sync.status.pending === 5);
    net.online = true;
    sync.restart('online');
    await waitFor(
      'pushed',
      () => sync.status.pending === 0 && sync.status.state === 'idle',
      10_000,
    );
  });

  it('keeps the pending count across a restart of the app', async () => {
    const first = await offlineDevice({ backoff: { baseMs: 100, maxMs: 200 } });
    await first.local.bulkDocs(notes(10, 'a'));
    first.net.online = true;
    await waitFor(
      'pushed',
      () => first.sync.status.pending === 0 && first.sync.status.state === 'idle',
    );
    await waitFor('checkpoint saved', () => first.local.get(PENDING_CHECKPOINT_ID));
    await first.sync.stop();
    await first.local.bulkDocs(notes(4, 'b'));

    // Same local db and remote, network down: only the 4 new docs are pending.
    const net = switchableFetch();
    net.online = false;
    const remote = openRemoteDb(first.user.url, {
      username: first.user.name,
      password: first.user.password,
      fetchImpl: net.impl,
    });
    const again = startSync(first.local, remote, { deviceId: DEVICE });
    controllers.push(again);
    await waitFor('4 pending', () => again.status.pending === 4);
    await pause(100);
    expect(again.status.pending).toBe(4);
  });

  it("going offline drops the long poll in flight: an answer it still gets is not 'heard' later", async () => {
    let clock = Date.parse('2026-05-04T09:00:00Z');
    const { user, net, local, sync } = await offlineDevice({ now: () => clock });
    net.online = true;
    await waitFor('idle', () => sync.status.state === 'idle');
    const heard = sync.status.lastSuccessAt;
    await waitFor('the long poll out', () =>
      net.seen.some((r) => r.url.includes('/_changes') && r.url.includes('feed=longpoll')),
    );

    // The network goes (a fetch already sent still gets its answer, as in a browser) and the
    // app hears `offline`. 95 minutes on, a revision the device already holds reaches the
    // server: the old long poll would carry it, and taking it needs no further request.
    net.online = false;
    net.failAfterMs = 200;
    sync.restart('offline');
    clock += 95 * 60_000;
    const both = {
      _id: 'note:both',
      _rev: '1-0a1b2c',
      type: 'note',
      text: 'on both',
      deviceId: 'dev-other',
    };
    await local.bulkDocs([both], { new_edits: false });
    await waitFor('offline', () => sync.status.state === 'offline');
    const put = await fx.couch.admin$('POST', `/${user.db}/_bulk_docs`, {
      docs: [both],
      new_edits: false,
    });
    expect(put.status).toBe(201);
    await pause(500);
    expect(sync.status.lastSuccessAt).toBe(heard);

    net.online = true;
    sync.restart('online');
    await waitFor('idle once back', () => sync.status.state === 'idle');
    expect(sync.status.lastSuccessAt).toBe(new Date(clock).toISOString());
  });
});
