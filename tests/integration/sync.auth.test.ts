import { describe, expect, it } from 'vitest';
import { openRemoteDb } from '$lib/sync/remote';
import { startSync } from '$lib/sync/sync';
import { memoryDb } from '../helpers/memory-db';
import {
  createUserDb,
  pause,
  serverDocs,
  switchableFetch,
  waitFor,
  useSyncFixture,
  type UserDb,
} from './sync-setup';

const DEVICE = 'dev-auth';
/** A short back-off, so a lane that kept retrying would show up in the request count. */
const FAST = { baseMs: 50, maxMs: 100 };
const fx = useSyncFixture();
const { users, controllers } = fx;

async function user() {
  const u = await createUserDb(fx.couch);
  users.push(u);
  return u;
}

function device(u: UserDb, credentials: { username: string; password: string }) {
  const net = switchableFetch();
  const local = memoryDb('sync-auth');
  const remote = openRemoteDb(u.url, { ...credentials, fetchImpl: net.impl });
  const sync = startSync(local, remote, { deviceId: DEVICE, backoff: FAST });
  controllers.push(sync);
  return { net, local, remote, sync };
}

const notes = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => ({
    _id: `note:${prefix}-${i}`,
    type: 'note',
    text: 'hi',
    deviceId: DEVICE,
  }));

/** Asserts no request goes out for `ms`. */
async function expectSilence(net: ReturnType<typeof switchableFetch>, ms: number) {
  const before = net.seen.length;
  await pause(ms);
  expect(net.seen.slice(before).map((r) => `${r.method} ${r.url}`)).toEqual([]);
}

describe('startSync - credentials refused', () => {
  it('401 (wrong password) stops both lanes, says how many changes wait, keeps local data', async () => {
    const u = await user();
    const { net, local, sync } = device(u, { username: u.name, password: 'wrong' });
    await local.bulkDocs(notes(3, 'w'));
    await waitFor(
      'unauthorized',
      () => sync.status.state === 'unauthorized' && sync.status.pending === 3,
    );
    expect(sync.status.lastError).toEqual({
      code: 'unauthorized',
      status: 401,
      message: 'Sign in to sync 3 pending changes',
    });
    expect(sync.status.pushing || sync.status.pulling).toBe(false);
    await expectSilence(net, 1500); // with a 50 ms back-off, retries would have shown by now
    expect((await local.allDocs()).rows).toHaveLength(3);
    expect(await serverDocs(fx.couch, u.db)).toHaveLength(0);

    // Triggers do not hammer a refused credential; only new credentials (or Sync now) retry.
    sync.restart('online');
    sync.restart('visible');
    await expectSilence(net, 300);
    expect(sync.status.state).toBe('unauthorized');
  });

  it('a device whose user is deleted mid-session stops on the next request', async () => {
    const u = await user();
    const { net, local, sync } = device(u, { username: u.name, password: u.password });
    await local.bulkDocs(notes(2, 'before'));
    await waitFor('synced', () => sync.status.state === 'idle' && sync.status.docsPushed === 2);

    await u.deleteUser();
    await local.bulkDocs(notes(5, 'after'));
    await waitFor('unauthorized', () => sync.status.state === 'unauthorized', 30_000);
    await waitFor('pending counted', () => sync.status.pending === 5);
    expect(sync.status.lastError?.message).toBe('Sign in to sync 5 pending changes');
    await expectSilence(net, 1500);
    expect((await local.allDocs()).rows).toHaveLength(7);
  });

  it('403 (signed in, not a member) says the device may not sync this database', async () => {
    const owner = await user();
    const other = await user();
    const { net, sync } = device(owner, { username: other.name, password: other.password });
    await waitFor('unauthorized', () => sync.status.state === 'unauthorized');
    expect(sync.status.lastError).toEqual({
      code: 'forbidden',
      status: 403,
      message: 'This device is not allowed to sync this database',
    });
    await expectSilence(net, 1000);
  });

  it('setCredentials with the right password resumes and pushes what waited', async () => {
    const u = await user();
    const { local, sync } = device(u, { username: u.name, password: 'wrong' });
    await local.bulkDocs(notes(4, 'later'));
    await waitFor(
      'unauthorized',
      () => sync.status.state === 'unauthorized' && sync.status.pending === 4,
    );

    sync.setCredentials({ username: u.name, password: u.password });
    await waitFor('pushed', () => sync.status.state === 'idle' && sync.status.pending === 0);
    expect(sync.status.lastError).toBeNull();
    expect(await serverDocs(fx.couch, u.db)).toHaveLength(4);
  });

  it('syncNow retries a refused credential once, and stops again', async () => {
    const u = await user();
    const { net, sync } = device(u, { username: u.name, password: 'wrong' });
    await waitFor('unauthorized', () => sync.status.state === 'unauthorized');
    const before = net.seen.length;
    sync.syncNow();
    await waitFor('tried again', () => net.seen.length > before);
    await waitFor('unauthorized again', () => sync.status.state === 'unauthorized');
    await expectSilence(net, 1000);
  });
});
