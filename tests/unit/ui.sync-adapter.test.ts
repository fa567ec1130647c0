import { afterEach, describe, expect, it } from 'vitest';
import type { Enrolment } from '$lib/auth/enrolment';
import type { ChannelLike, FetchImpl } from '$lib/sync';
import { DeviceSync } from '$lib/ui/sync.svelte';
import { destroyMemoryDbs, fakeHlc, memoryDb } from '../helpers/memory-db';

const ENROLMENT: Enrolment = {
  person: { name: 'ana', role: 'rep', team: 'demo', displayName: 'Ana Ortiz' },
  db: 'userdb-616e61',
  credentials: { username: 'ana~dev-1', password: 'device-secret' },
  enrolledAt: '2026-11-22T08:00:00.000Z',
};

/** A BroadcastChannel pair in memory: what one end posts, the other hears. */
function channelPair(): [ChannelLike, ChannelLike] {
  type Listener = (event: { data: unknown }) => void;
  const make = (peer: () => Set<Listener>, own: Set<Listener>): ChannelLike => ({
    postMessage: (data) => queueMicrotask(() => peer().forEach((l) => l({ data }))),
    addEventListener: (_type, l) => own.add(l),
    removeEventListener: (_type, l) => own.delete(l),
    close: () => own.clear(),
  });
  const a = new Set<Listener>();
  const b = new Set<Listener>();
  return [make(() => b, a), make(() => a, b)];
}

const until = async (what: string, check: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const running: DeviceSync[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await destroyMemoryDbs();
});

function start(
  fetchImpl: FetchImpl,
  extra: Partial<ConstructorParameters<typeof DeviceSync>[0]> = {},
) {
  const sync = new DeviceSync({
    enrolment: ENROLMENT,
    db: memoryDb('ui-sync'),
    clock: fakeHlc('dev-1').clock,
    deviceId: 'dev-1',
    origin: 'http://outpost.test',
    locks: null,
    channel: null,
    commands: null,
    targets: null,
    isOnline: () => true,
    fetchImpl,
    background: null,
    ...extra,
  });
  running.push(sync);
  return sync;
}

describe('DeviceSync - the sync adapter of a signed-in device', () => {
  it("leads without Web Locks and syncs the person's db on this origin with the device credential", async () => {
    const seen: { url: string; auth: string | null }[] = [];
    const sync = start(async (input, init) => {
      seen.push({ url: String(input), auth: new Headers(init?.headers).get('authorization') });
      return new Response(JSON.stringify({ error: 'unauthorized', reason: 'no' }), {
        status: 401,
        headers: { 'content-type': 'application/json' },
      });
    });
    expect(sync.leader).toBe(true);
    await until('revoked', () => sync.revoked);
    expect(seen.some((r) => r.url.startsWith('http://outpost.test/couch/userdb-616e61'))).toBe(
      true,
    );
    expect(seen.every((r) => r.url.startsWith('http://outpost.test/couch/'))).toBe(true);
    expect(new Set(seen.map((r) => r.auth))).toEqual(
      new Set([`Basic ${btoa('ana~dev-1:device-secret')}`]),
    );
    expect(sync.status.state).toBe('unauthorized');
  });

  it('is not "revoked" when the server cannot be reached', async () => {
    const sync = start(async () => {
      throw new TypeError('Failed to fetch');
    });
    await until('offline', () => sync.status.state === 'offline');
    expect(sync.revoked).toBe(false);
  });

  it('a follower mirrors the leader status and passes "Sync now" to it', async () => {
    // Two tabs: the leader holds a (fake) lock; the follower waits for it.
    let held = false;
    const locks = {
      request: (_n: string, _o: unknown, cb: (lock: unknown) => Promise<unknown>) => {
        if (held) return new Promise<unknown>(() => undefined); // queued for ever
        held = true;
        return cb({});
      },
    };
    const [statusA, statusB] = channelPair();
    const [commandsA, commandsB] = channelPair();
    let requests = 0;
    const fetchImpl: FetchImpl = async () => {
      requests += 1;
      throw new TypeError('Failed to fetch');
    };
    const leader = start(fetchImpl, { locks, channel: statusA, commands: commandsA });
    await until('leader', () => leader.leader);
    const follower = start(fetchImpl, { locks, channel: statusB, commands: commandsB });
    await until('offline mirrored', () => follower.status.state === 'offline');
    expect(follower.leader).toBe(false);
    const before = requests;
    follower.syncNow();
    await until('leader restarted', () => requests > before);
  });
  it('asks for a Background Sync once per spell offline with writes waiting, and obeys the worker', async () => {
    const requests: number[] = [];
    let workerSaysSyncNow: () => void = () => undefined;
    let unsubscribed = false;
    const db = memoryDb('ui-sync-bg');
    await db.put({ _id: 'note:n1', type: 'note', text: 'written offline', deviceId: 'dev-1' });
    let calls = 0;
    const sync = start(
      async () => {
        calls += 1;
        throw new TypeError('fetch failed');
      },
      {
        db,
        isOnline: () => false,
        background: {
          request: () => requests.push(Date.now()),
          onSyncNow(handler) {
            workerSaysSyncNow = handler;
            return () => (unsubscribed = true);
          },
        },
      },
    );
    await until(
      'offline with a write waiting',
      () => sync.status.pending === 1 && sync.status.state === 'offline',
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(requests).toHaveLength(1);
    const before = calls;
    workerSaysSyncNow(); // the worker's "Sync now": the lanes start again at once
    await until('a new attempt', () => calls > before);
    await sync.stop();
    expect(unsubscribed).toBe(true);
  });
});
