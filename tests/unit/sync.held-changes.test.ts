import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLaneGate } from '$lib/sync/gate';
import { heldChanges, type ChangesFeedLike } from '$lib/sync/held-changes';
import { replicationSource, type AnyDb } from '$lib/sync/lane';

/** A changes feed as PouchDB returns one: an emitter that is also a promise, and cancellable. */
function fakeFeed() {
  const emitter = new EventEmitter();
  let finish!: (value: unknown) => void;
  const done = new Promise<unknown>((resolve) => (finish = resolve));
  const state = { cancelled: false };
  const feed = Object.assign(emitter, {
    then: done.then.bind(done),
    catch: done.catch.bind(done),
    cancel() {
      state.cancelled = true;
      finish({ status: 'cancelled' });
    },
  }) as unknown as ChangesFeedLike;
  return { feed, emitter, finish, state };
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  vi.useRealTimers();
});

describe('a changes feed held at a gate', () => {
  it('starts only when the gate opens, with the listeners given before', async () => {
    const gate = createLaneGate();
    const fake = fakeFeed();
    let started = 0;
    const held = heldChanges(gate.wait(), () => {
      started += 1;
      return fake.feed;
    });
    const seen: unknown[] = [];
    held.on('change', (change: never) => seen.push(change));
    await tick();
    expect(started).toBe(0);

    gate.open();
    await tick();
    expect(started).toBe(1);
    fake.emitter.emit('change', { id: 'note:a', seq: 1 });
    fake.finish({ results: [{ id: 'note:a' }], last_seq: 1 });
    expect(await held).toEqual({ results: [{ id: 'note:a' }], last_seq: 1 });
    expect(seen).toEqual([{ id: 'note:a', seq: 1 }]);
  });

  it('cancelled before the gate opens: resolves as a cancelled feed and never starts', async () => {
    const gate = createLaneGate();
    let started = 0;
    const held = heldChanges(gate.wait(), () => {
      started += 1;
      return fakeFeed().feed;
    });
    held.cancel();
    expect(await held).toEqual({ status: 'cancelled' });
    gate.open();
    await tick();
    expect(started).toBe(0);
  });

  it('cancelled after the start: cancels the real feed', async () => {
    const gate = createLaneGate(true);
    const fake = fakeFeed();
    const held = heldChanges(gate.wait(), () => fake.feed);
    await tick();
    held.cancel();
    expect(fake.state.cancelled).toBe(true);
    expect(await held).toEqual({ status: 'cancelled' });
  });

  it('a listener removed before the start is never attached', async () => {
    const gate = createLaneGate();
    const fake = fakeFeed();
    const held = heldChanges(gate.wait(), () => fake.feed);
    const seen: unknown[] = [];
    const listener = (change: never) => seen.push(change);
    held.on('change', listener);
    held.removeListener('change', listener);
    gate.open();
    await tick();
    fake.emitter.emit('change', { id: 'note:b' });
    expect(seen).toEqual([]);
  });

  it("the pull lane's source asks the server for changes only while the gate is open", async () => {
    const gate = createLaneGate(true);
    const fakes: ReturnType<typeof fakeFeed>[] = [];
    const db = {
      name: 'http://server/userdb-616e61',
      changes: () => {
        const fake = fakeFeed();
        fakes.push(fake);
        return fake.feed;
      },
    } as unknown as AnyDb;
    const source = replicationSource(db, 'key', { waitFor: gate });
    void source.changes({ since: 0 });
    expect(fakes).toHaveLength(1); // open: straight through

    gate.close();
    const held = source.changes({ since: 5 }) as unknown as ChangesFeedLike;
    await tick();
    expect(fakes).toHaveLength(1);
    gate.open();
    await tick();
    expect(fakes).toHaveLength(2);
    fakes[1].finish({ results: [], last_seq: 5 });
    expect(await held).toEqual({ results: [], last_seq: 5 });
  });

  it('waits for a push that hangs at most 10 s, then reads anyway', async () => {
    vi.useFakeTimers();
    const gate = createLaneGate();
    let started = 0;
    const db = {
      name: 'http://server/userdb-616e61',
      changes: () => {
        started += 1;
        return fakeFeed().feed;
      },
    } as unknown as AnyDb;
    void replicationSource(db, 'key', { waitFor: gate }).changes({ since: 5 });
    await vi.advanceTimersByTimeAsync(9_000);
    expect(started).toBe(0);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(started).toBe(1);
  });
});
