import { afterEach, describe, expect, it } from 'vitest';
import type { Enrolment } from '$lib/auth/enrolment';
import { createPhotoActions } from '$lib/ui/photo-actions';
import { Toasts } from '$lib/ui/toasts.svelte';
import { accountDoc, putAll, stopDoc } from '../helpers/docs';
import { destroyMemoryDbs } from '../helpers/memory-db';
import { addTestPhoto, sha256Hex, fakeImage } from '../helpers/photos';
import { rejectionOf, testRepo } from '../helpers/repo';

afterEach(destroyMemoryDbs);

const ENROLMENT: Enrolment = {
  person: { name: 'ana', role: 'rep', team: 'demo', displayName: 'Ana Ortiz' },
  db: 'userdb-616e61',
  credentials: { username: 'ana~dev-1', password: 'device-secret' },
  enrolledAt: '2026-11-22T08:00:00.000Z',
};

async function setup(opts: { online: boolean; enrolment: Enrolment | null }) {
  const t = testRepo();
  await putAll(t.db, [accountDoc('a1'), stopDoc('s1', { accountId: 'account:a1' })]);
  const toasts = new Toasts();
  const actions = createPhotoActions({
    repo: t.repo,
    toasts,
    isOnline: () => opts.online,
    enrolment: () => opts.enrolment,
    origin: 'http://127.0.0.1:9',
  });
  return { ...t, toasts, actions };
}

async function evict(db: PouchDB.Database<Record<string, unknown>>, id: string) {
  const doc = await db.get(id);
  const thumb = (doc._attachments as Record<string, unknown>).thumb;
  await db.put({ ...doc, evictedAt: '2026-11-23T09:00:00.000Z', _attachments: { thumb } } as never);
}

describe('photo intents', () => {
  it('opens the full image from the device, offline too', async () => {
    const { repo, actions } = await setup({ online: false, enrolment: ENROLMENT });
    const photo = await addTestPhoto(repo, { fullBytes: 50_000, seed: 8 });
    const shown = await actions.fullImage(photo._id);
    const bytes = new Uint8Array(await (await fetch(shown.url)).arrayBuffer());
    expect(sha256Hex(bytes)).toBe(sha256Hex(fakeImage(50_000, 8)));
    shown.revoke();
  });

  it('says where an evicted full image is when offline, and in demo mode', async () => {
    const offline = await setup({ online: false, enrolment: ENROLMENT });
    const photo = await addTestPhoto(offline.repo);
    await evict(offline.db, photo._id);
    const err = await rejectionOf(offline.actions.fullImage(photo._id));
    expect([err.code, err.message]).toEqual([
      'network',
      'The full photo is kept on the server. Connect to the internet to see it.',
    ]);

    const demo = await setup({ online: true, enrolment: null });
    const other = await addTestPhoto(demo.repo);
    await evict(demo.db, other._id);
    expect((await rejectionOf(demo.actions.fullImage(other._id))).message).toBe(
      'The full photo is not on this device.',
    );
  });

  it('refuses a file that is not a picture, keeping nothing and saying why', async () => {
    const { repo, toasts, actions } = await setup({ online: true, enrolment: ENROLMENT });
    const error = await actions.capture(
      { stopId: 'stop:s1' },
      new Blob(['hello'], { type: 'text/plain' }),
      'photo:tap-1',
    );
    expect(error?.fields).toEqual({ photo: 'That file is not a picture.' });
    expect(toasts.items.map((t) => t.text)).toEqual(['That file is not a picture.']);
    expect(await repo.photosOf('stop:s1')).toEqual([]);
  });
});
