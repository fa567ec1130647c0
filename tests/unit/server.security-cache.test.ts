import { describe, expect, it } from 'vitest';
import { createSecurityCache } from '../../src/lib/server/embedded/security-cache';

/** A security store read through a counter, with reads that can be held open. */
function store() {
  const objects = new Map<string, { v: number }>([['a', { v: 1 }]]);
  let reads = 0;
  let hold: Promise<void> | null = null;
  return {
    objects,
    reads: () => reads,
    holdReads(until: Promise<void>) {
      hold = until;
    },
    read: async (db: string) => {
      reads += 1;
      const value = objects.get(db) ?? null; // what the db holds when the read starts
      if (hold) await hold;
      return value;
    },
  };
}

describe('the embedded server security cache', () => {
  it('reads a db once, then answers from memory', async () => {
    const s = store();
    const cache = createSecurityCache(s.read);
    expect(await cache.get('a')).toEqual({ v: 1 });
    expect(await cache.get('a')).toEqual({ v: 1 });
    expect(s.reads()).toBe(1);
  });

  it('does not keep a missing db', async () => {
    const s = store();
    const cache = createSecurityCache(s.read);
    expect(await cache.get('b')).toBeNull();
    s.objects.set('b', { v: 7 });
    expect(await cache.get('b')).toEqual({ v: 7 });
  });

  it('reads fresh while a change runs, and again once it ended', async () => {
    const s = store();
    const cache = createSecurityCache(s.read);
    await cache.get('a');
    const end = cache.changing('a');
    s.objects.set('a', { v: 2 });
    expect(await cache.get('a')).toEqual({ v: 2 });
    expect(await cache.get('a')).toEqual({ v: 2 });
    expect(s.reads()).toBe(3);
    end();
    expect(await cache.get('a')).toEqual({ v: 2 });
    expect(await cache.get('a')).toEqual({ v: 2 });
    expect(s.reads()).toBe(4);
  });

  it('does not keep a read that started before a change and ended after it', async () => {
    const s = store();
    const cache = createSecurityCache(s.read);
    let release!: () => void;
    s.holdReads(new Promise<void>((r) => (release = r)));
    const stale = cache.get('a'); // reads { v: 1 }, then waits
    const end = cache.changing('a');
    s.objects.set('a', { v: 2 });
    end();
    release();
    expect(await stale).toEqual({ v: 1 });
    s.holdReads(Promise.resolve());
    expect(await cache.get('a')).toEqual({ v: 2 });
  });

  it('keeps a db uncached while a change never reported its end (an aborted request)', async () => {
    const s = store();
    const cache = createSecurityCache(s.read);
    cache.changing('a');
    await cache.get('a');
    await cache.get('a');
    expect(s.reads()).toBe(2);
  });

  it('starts again empty past its size', async () => {
    const s = store();
    for (const db of ['b', 'c', 'd']) s.objects.set(db, { v: 0 });
    const cache = createSecurityCache(s.read, 2);
    for (const db of ['a', 'b', 'c', 'a']) await cache.get(db);
    expect(s.reads()).toBe(4);
  });
});
