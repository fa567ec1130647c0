import { afterEach, describe, expect, it } from 'vitest';
import { validateDoc } from '$lib/domain/validate';
import { accountDoc, putAll, stopDoc } from '../helpers/docs';
import { destroyMemoryDbs } from '../helpers/memory-db';
import { addTestPhoto, fakeImage, sha256Hex } from '../helpers/photos';
import { rejectionOf, testRepo } from '../helpers/repo';

afterEach(destroyMemoryDbs);

async function seeded() {
  const t = testRepo();
  await putAll(t.db, [accountDoc('a1'), stopDoc('s1', { accountId: 'account:a1' })]);
  return t;
}

describe('addPhoto', () => {
  it('stores one immutable photo doc with the thumbnail and the full image as attachments', async () => {
    const { db, clock, repo } = await seeded();
    clock.setServerOffset(-30_000);
    const photo = await addTestPhoto(repo, { caption: '  Shelf after restock ' });
    expect(photo._id).toMatch(/^photo:[0-9a-f-]{36}$/);
    expect(photo).toMatchObject({
      type: 'photo',
      schema: 1,
      owner: 'ana',
      stopId: 'stop:s1',
      caption: 'Shelf after restock',
      capturedAt: '2026-11-22T07:59:30.000Z',
      width: 1600,
      height: 1200,
      deviceId: 'dev-ana',
    });
    const stored = await db.get(photo._id);
    expect(stored._attachments).toMatchObject({
      thumb: { content_type: 'image/jpeg', length: 9_000 },
      full: { content_type: 'image/jpeg', length: 300_000 },
    });
    expect(validateDoc(stored)).toEqual({});
  });

  it('reads back the exact bytes of both images', async () => {
    const { repo } = await seeded();
    const photo = await addTestPhoto(repo, { fullBytes: 123_457, seed: 5 });
    const full = await repo.photoFullImage(photo._id);
    expect(full?.type).toBe('image/jpeg');
    expect(sha256Hex(full!.bytes)).toBe(sha256Hex(fakeImage(123_457, 5)));
    const [view] = await repo.photosOf('stop:s1');
    expect(sha256Hex(await view.thumbnail())).toBe(sha256Hex(fakeImage(9_000, 6)));
    expect(view.fullOnDevice).toBe(true);
  });

  it('saves the same tap once', async () => {
    const { db, repo } = await seeded();
    const first = await addTestPhoto(repo, { id: 'photo:tap-1' });
    const again = await addTestPhoto(repo, { id: 'photo:tap-1', seed: 9 });
    expect(again._rev).toBe(first._rev);
    expect((await db.allDocs({ startkey: 'photo:', endkey: 'photo:\uffff' })).rows).toHaveLength(1);
  });

  it('refuses bad input with field messages and stores nothing', async () => {
    const { db, repo } = await seeded();
    const cases = [
      [{ stopId: undefined }, 'stopId', 'A photo must belong to a stop or an inspection.'],
      [{ stopId: 'account:a1' }, 'stopId', 'Stop must reference a stop.'],
      [{ fullType: 'image/png' }, 'full', 'The photo must be a JPEG or WebP image.'],
      [{ fullBytes: 5 * 1024 * 1024 }, 'full', 'The photo is too large (at most 4 MB).'],
      [{ thumb: new Uint8Array(0) }, 'thumb', 'The thumbnail is empty.'],
      [{ width: 0 }, 'width', 'Photo width must be a whole number of pixels.'],
      [{ caption: 'x'.repeat(501) }, 'caption', 'Caption is too long (at most 500 characters).'],
    ] as const;
    for (const [over, field, message] of cases) {
      const err = await rejectionOf(addTestPhoto(repo, over));
      expect(err.code, field).toBe('invalid');
      expect((err.fields as Record<string, string>)[field]).toBe(message);
    }
    expect((await db.allDocs({ startkey: 'photo:', endkey: 'photo:\uffff' })).rows).toHaveLength(0);
  });
});

describe('photosOf', () => {
  it('lists the photos of one stop or one inspection, oldest first', async () => {
    const { repo, wall } = await seeded();
    await putAll(repo.db, [stopDoc('s2', { accountId: 'account:a1' })]);
    const a = await addTestPhoto(repo);
    wall.advance(1000);
    const b = await addTestPhoto(repo, { inspectionId: 'inspection:i1', questionId: 'q3' });
    wall.advance(1000);
    await addTestPhoto(repo, { stopId: 'stop:s2' });
    const ofStop = await repo.photosOf('stop:s1');
    expect(ofStop.map((p) => p.doc._id)).toEqual([a._id, b._id]);
    const ofInspection = await repo.photosOf('inspection:i1');
    expect(ofInspection.map((p) => [p.doc._id, p.doc.questionId])).toEqual([[b._id, 'q3']]);
    expect(await repo.photosOf('stop:none')).toEqual([]);
  });

  it('reports a photo whose full image left the device, thumbnail still readable', async () => {
    const { db, repo } = await seeded();
    const photo = await addTestPhoto(repo);
    const doc = await db.get(photo._id);
    await db.put({
      ...doc,
      evictedAt: '2026-11-23T09:00:00.000Z',
      _attachments: { thumb: doc._attachments!.thumb },
    });
    const [view] = await repo.photosOf('stop:s1');
    expect(view.fullOnDevice).toBe(false);
    expect((await view.thumbnail()).byteLength).toBe(9_000);
    expect(await repo.photoFullImage(photo._id)).toBeNull();
  });
});
