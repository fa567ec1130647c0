import { afterEach, describe, expect, it } from 'vitest';
import { electLeader, type Leadership, type LockManagerLike } from '$lib/sync/leader';
import type { SyncStatus } from '$lib/sync/status';

/** An exclusive-only Web Locks API: one holder per name, waiters served in order, abortable. */
class FakeLocks implements LockManagerLike {
  private held = new Set<string>();
  private queues = new Map<string, (() => void)[]>();

  request(
    name: string,
    options: { signal?: AbortSignal },
    callback: (lock: unknown) => Promise<unknown>,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        this.held.add(name);
        callback({ name })
          .then(resolve, reject)
          .finally(() => this.releaseLock(name));
      };
      if (!this.held.has(name)) return grant();
      const queue = this.queues.get(name) ?? [];
      queue.push(grant);
      this.queues.set(name, queue);
      options.signal?.addEventListener('abort', () => {
        const i = queue.indexOf(grant);
        if (i >= 0) {
          queue.splice(i, 1);
          reject(new DOMException('aborted', 'AbortError'));
        }
      });
    });
  }

  private releaseLock(name: string) {
    this.held.delete(name);
    this.queues.get(name)?.shift()?.();
  }
}

const status = (state: SyncStatus['state'], pending = 0): SyncStatus => ({
  state,
  online: true,
  pending,
  pushing: false,
  pulling: false,
  lastSuccessAt: null,
  lastError: null,
  docsPushed: 0,
  docsPulled: 0,
});

/** Waits (bounded) until `check` passes. */
async function eventually(check: () => void, ms = 2000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

const open: Leadership[] = [];
const join = (opts: Parameters<typeof electLeader>[0]) => {
  const l = electLeader(opts);
  open.push(l);
  return l;
};
afterEach(() => open.splice(0).forEach((l) => l.resign()));

describe('electLeader', () => {
  it('leads at once without the Web Locks API', async () => {
    const l = join({ name: 'x', locks: null, channel: null });
    expect(l.isLeader()).toBe(true);
    await expect(l.whenLeader).resolves.toBeUndefined();
  });

  it('with Web Locks, one tab leads and the next takes over when it resigns', async () => {
    const locks = new FakeLocks();
    const a = join({ name: 'sync', locks, channel: null });
    const b = join({ name: 'sync', locks, channel: null });
    await a.whenLeader;
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    const changes: boolean[] = [];
    b.onLeaderChange((v) => changes.push(v));
    a.resign();
    await b.whenLeader;
    expect(a.isLeader()).toBe(false);
    expect(b.isLeader()).toBe(true);
    expect(changes).toEqual([true]);
  });

  it('a queued tab that resigns never leads and leaves the queue', async () => {
    const locks = new FakeLocks();
    const a = join({ name: 'sync', locks, channel: null });
    const b = join({ name: 'sync', locks, channel: null });
    const c = join({ name: 'sync', locks, channel: null });
    await a.whenLeader;
    b.resign();
    a.resign();
    await c.whenLeader;
    expect(b.isLeader()).toBe(false);
    expect(c.isLeader()).toBe(true);
  });

  it('locks are per name', async () => {
    const locks = new FakeLocks();
    const a = join({ name: 'outpost-sync-ann', locks, channel: null });
    const b = join({ name: 'outpost-sync-bob', locks, channel: null });
    await Promise.all([a.whenLeader, b.whenLeader]);
    expect([a.isLeader(), b.isLeader()]).toEqual([true, true]);
  });

  it("followers receive the leader's status over BroadcastChannel", async () => {
    const locks = new FakeLocks();
    const name = `status-${Math.random()}`;
    const leader = join({ name, locks });
    const follower = join({ name, locks });
    await leader.whenLeader;
    const seen: string[] = [];
    const own: string[] = [];
    follower.onStatus((s) => seen.push(`${s.state}:${s.pending}`));
    leader.onStatus((s) => own.push(s.state));
    leader.publishStatus(status('syncing', 3));
    leader.publishStatus(status('idle'));
    await eventually(() => expect(seen).toEqual(['syncing:3', 'idle:0']));
    expect(own).toEqual(['syncing', 'idle']);
  });

  it('a follower ignores publishStatus (only the leader speaks)', async () => {
    const locks = new FakeLocks();
    const name = `quiet-${Math.random()}`;
    const leader = join({ name, locks });
    const follower = join({ name, locks });
    await leader.whenLeader;
    const seen: string[] = [];
    leader.onStatus((s) => seen.push(s.state));
    follower.publishStatus(status('error'));
    leader.publishStatus(status('idle'));
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual(['idle']);
  });

  it('a tab opened later gets the latest status at once', async () => {
    const locks = new FakeLocks();
    const name = `late-${Math.random()}`;
    const leader = join({ name, locks });
    await leader.whenLeader;
    leader.publishStatus(status('offline', 5));
    const late = join({ name, locks });
    const seen: SyncStatus[] = [];
    late.onStatus((s) => seen.push(s));
    await eventually(() => expect(seen.map((s) => s.state)).toEqual(['offline']));
    expect(seen[0].pending).toBe(5);
  });
});
