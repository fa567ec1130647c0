import { afterEach, describe, expect, it, vi } from 'vitest';
import { PHOTO_ATTACHMENTS } from '$lib/domain/photo';
import { CONFIRMED_PHOTOS_ID, evictConfirmedPhotos, fetchFullImage } from '$lib/sync/evict';
import { startSync, type SyncController } from '$lib/sync/sync';
import type { SyncStatus } from '$lib/sync/status';
import { accountDoc, putAll, stopDoc } from '../helpers/docs';
import { destroyMemoryDbs, memoryDb } from '../helpers/memory-db';
import { addTestPhoto, fakeImage, sha256Hex } from '../helpers/photos';
import { testRepo } from '../helpers/repo';

const running: SyncController[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await destroyMemoryDbs();
});

const DAY = 24 * 60 * 60 * 1000;

/** Waits (bounded) until the status passes `done`. */
function statusWhere(sync: SyncController, done: (s: SyncStatus) => boolean, ms = 10_000) {
  return new Promise<SyncStatus>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`status never matched; last: ${JSON.stringify(sync.status)}`));
    }, ms);
    const off = sync.subscribe((s) => {
      if (!done(s)) return;
      clearTimeout(timer);
      queueMicrotask(() => off());
      resolve(s);
    });
  });
}

const settled = (s: SyncStatus) =>
  s.state === 'idle' && s.pending === 0 && (s.photos ?? []).every((p) => p.state === 'synced');

/** A rep's device with 6 stops and a server db (both memory dbs). */
async function day() {
  const t = testRepo();
  const stops = Array.from({ length: 6 }, (_, i) =>
    stopDoc(`s${i + 1}`, { accountId: 'account:a1', seq: i + 1 }),
  );
  await putAll(t.db, [accountDoc('a1'), ...stops]);
  const remote = memoryDb('server');
  const start = (opts: { photoLane?: boolean; now?: () => number } = {}) => {
    const sync = startSync(t.db, remote, {
      deviceId: 'dev-ana',
      backoff: { baseMs: 20, maxMs: 100 },
      ...opts,
    });
    running.push(sync);
    return sync;
  };
  return { ...t, remote, start };
}

/** Records the ids of every `_bulk_docs` request the server gets. */
function requestsTo(remote: PouchDB.Database<Record<string, unknown>>) {
  const requests: string[][] = [];
  const bulkDocs = remote.bulkDocs.bind(remote);
  vi.spyOn(remote, 'bulkDocs').mockImplementation(((docs: { _id: string }[], opts: object) => {
    requests.push(docs.map((d) => d._id.split(':')[0]));
    return bulkDocs(docs as never, opts);
  }) as never);
  return requests;
}

/** The ids the server received, in the order it stored them. */
async function arrivalOrder(remote: PouchDB.Database<Record<string, unknown>>) {
  const changes = await remote.changes({ since: 0 });
  return changes.results
    .sort((a, b) => Number(a.seq) - Number(b.seq))
    .map((r) => r.id)
    .filter((id) => id.startsWith('event:') || id.startsWith('photo:'));
}

describe('the media push lane', () => {
  it('sends check-ins before photos taken earlier, then every photo intact', async () => {
    const { repo, remote, start } = await day();
    const photos = [];
    for (let i = 0; i < 3; i++)
      photos.push(await addTestPhoto(repo, { fullBytes: 200_000 + i, seed: i + 1 }));
    for (let i = 1; i <= 6; i++) await repo.checkIn(`stop:s${i}`);
    const sync = start();
    const status = await statusWhere(sync, settled);
    const order = await arrivalOrder(remote);
    expect(order.slice(0, 6).every((id) => id.startsWith('event:'))).toBe(true);
    expect(order.slice(6)).toEqual(photos.map((p) => p._id));
    expect(status.photos?.map((p) => [p.id, p.state, p.bytes])).toEqual(
      photos.map((p, i) => [p._id, 'synced', 200_000 + i + 9_000]),
    );
    const onServer = await remote.getAttachment(photos[2]._id, PHOTO_ATTACHMENTS.full);
    expect(sha256Hex(onServer as Uint8Array)).toBe(sha256Hex(fakeImage(200_002, 3)));
  });

  it('counts a photo as pending until it is on the server', async () => {
    const { repo, start } = await day();
    const sync = start();
    const before = await statusWhere(sync, settled);
    await addTestPhoto(repo);
    const waiting = await statusWhere(sync, (s) => s.pending === 1);
    expect(waiting.pending).toBe(1);
    const done = await statusWhere(sync, settled);
    expect(done.photos?.map((p) => p.state)).toEqual(['synced']);
    expect(done.docsPushed - before.docsPushed).toBe(1);
  });

  it('sends a check-in in a request of its own, never in one with a photo', async () => {
    const { repo, remote, start } = await day();
    await addTestPhoto(repo);
    await repo.checkIn('stop:s1');
    const requests = requestsTo(remote);
    await statusWhere(start(), settled);
    expect(requests.map((types) => [...new Set(types)].sort())).toEqual([
      ['account', 'event', 'stop'],
      ['photo'],
    ]);
  });

  it('without the photo lane, the check-in travels with the photo taken before it', async () => {
    const { repo, remote, start } = await day();
    await addTestPhoto(repo);
    await repo.checkIn('stop:s1');
    const requests = requestsTo(remote);
    const status = await statusWhere(start({ photoLane: false }), settled);
    expect(status.photos).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toEqual(expect.arrayContaining(['photo', 'event']));
  });
});

describe('evicting full images', () => {
  it('drops the full image a day after the server confirmed it, keeping the thumbnail', async () => {
    const { db, repo, remote } = await day();
    const photo = await addTestPhoto(repo, { fullBytes: 150_000, seed: 4 });
    await db.replicate.to(remote);
    let now = Date.parse('2026-11-22T09:00:00.000Z');
    const clock = () => now;
    expect(await evictConfirmedPhotos(db, remote, { now: clock })).toEqual({
      confirmed: 1,
      evicted: [],
    });
    now += DAY - 1;
    expect((await evictConfirmedPhotos(db, remote, { now: clock })).evicted).toEqual([]);
    now += 1;
    expect((await evictConfirmedPhotos(db, remote, { now: clock })).evicted).toEqual([photo._id]);

    const [view] = await repo.photosOf('stop:s1');
    expect(view.fullOnDevice).toBe(false);
    expect((await view.thumbnail()).byteLength).toBe(9_000);
    expect(((await db.get(CONFIRMED_PHOTOS_ID)) as unknown as { seen: object }).seen).toEqual({});
    const fetched = await fetchFullImage(remote, photo._id);
    expect(sha256Hex(fetched.bytes)).toBe(sha256Hex(fakeImage(150_000, 4)));
  });

  it('never sends an eviction to the server, even pushing again from checkpoint 0', async () => {
    const { db, repo, remote, start } = await day();
    const photo = await addTestPhoto(repo);
    const first = start();
    await statusWhere(first, settled);
    const serverRev = (await remote.get(photo._id))._rev;
    await evictConfirmedPhotos(db, remote, { afterMs: 0 });
    expect((await db.get(photo._id))._rev).not.toBe(serverRev);
    await first.stop();

    // Forget every checkpoint: the lanes start from sequence 0.
    for (const id of (await remote.allDocs({ startkey: '_local/', endkey: '_local/\uffff' }))
      .rows) {
      await remote.remove(id.id, id.value.rev).catch(() => undefined);
    }
    const local = await db.allDocs({ startkey: '_local/', endkey: '_local/\uffff' });
    for (const row of local.rows)
      if (row.id !== '_local/outpost-db-id')
        await db.remove(row.id, row.value.rev).catch(() => undefined);
    const again = start();
    const status = await statusWhere(again, settled);
    expect(status.pending).toBe(0);
    const onServer = await remote.get(photo._id, { revs_info: true, conflicts: true });
    expect(onServer._rev).toBe(serverRev);
    expect(onServer._conflicts).toBeUndefined();
    expect(onServer).not.toHaveProperty('evictedAt');
    expect((onServer as unknown as { _attachments: object })._attachments).toHaveProperty('full');
  });

  it('keeps photos the server does not have yet', async () => {
    const { db, repo, remote } = await day();
    await addTestPhoto(repo);
    expect(await evictConfirmedPhotos(db, remote, { afterMs: 0 })).toEqual({
      confirmed: 0,
      evicted: [],
    });
    expect((await repo.photosOf('stop:s1'))[0].fullOnDevice).toBe(true);
  });
});
