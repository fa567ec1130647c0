import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPendingTracker } from '$lib/sync/pending';
import { destroyMemoryDbs, memoryDb } from '../helpers/memory-db';

afterEach(destroyMemoryDbs);

const note = (i: number, deviceId = 'dev-ana') => ({
  _id: `note:${String(i).padStart(4, '0')}`,
  type: 'note',
  text: `note ${i}`,
  deviceId,
});

/** A tracker over a fresh db, recording every count it reports. */
async function tracked() {
  const db = memoryDb('pending');
  const heard: number[] = [];
  const tracker = createPendingTracker(db, {
    deviceId: 'dev-ana',
    remoteKey: 'http://server/userdb-616e61',
    onCount: (count) => heard.push(count),
  });
  await tracker.ready;
  return { db, heard, tracker };
}

const until = async (check: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('the pending count', () => {
  it('hears a single write at once', async () => {
    const { db, heard, tracker } = await tracked();
    await db.put(note(1));
    await until(() => heard.length > 0);
    expect(heard).toEqual([1]);
    tracker.stop();
  });

  it('reports a backlog of a thousand writes in a few updates, not one per doc, and ends exact', async () => {
    const { db, heard, tracker } = await tracked();
    await db.bulkDocs([
      ...Array.from({ length: 1000 }, (_, i) => note(i)),
      ...Array.from({ length: 20 }, (_, i) => note(2000 + i, 'dev-other')),
    ]);
    await until(() => heard.at(-1) === 1000);
    expect(tracker.count()).toBe(1000);
    expect(heard.length).toBeLessThan(100);
    tracker.stop();
  });

  it('hears a confirmation at once', async () => {
    const { db, heard, tracker } = await tracked();
    await db.bulkDocs(Array.from({ length: 5 }, (_, i) => note(i)));
    await until(() => heard.at(-1) === 5);
    const { update_seq } = await db.info();
    tracker.confirm(update_seq);
    expect(heard.at(-1)).toBe(0);
    tracker.stop();
  });

  it('hears the first write after everything was confirmed without waiting for the throttle', async () => {
    const { db, heard, tracker } = await tracked();
    await db.put(note(1));
    await until(() => heard.at(-1) === 1);
    tracker.confirm((await db.info()).update_seq);
    expect(heard.at(-1)).toBe(0);
    // The throttle's timer never fires here: only a write heard at once is heard at all.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      await db.put(note(2));
      for (let i = 0; i < 2000 && heard.at(-1) !== 1; i++) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(heard.at(-1)).toBe(1);
    } finally {
      vi.useRealTimers();
      tracker.stop();
    }
  });
});
