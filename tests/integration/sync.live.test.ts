import { describe, expect, it } from 'vitest';
import { ensureIndexes } from '$lib/db/indexes';
import { openRemoteDb } from '$lib/sync/remote';
import { startSync } from '$lib/sync/sync';
import type { SyncState } from '$lib/sync/status';
import { memoryDb } from '../helpers/memory-db';
import {
  createUserDb,
  pause,
  serverDocs,
  switchableFetch,
  waitFor,
  useSyncFixture,
} from './sync-setup';

const DEVICE = 'dev-live';
const fx = useSyncFixture();
const { users, controllers } = fx;

async function setup(opts: Partial<Parameters<typeof startSync>[2]> = {}) {
  const user = await createUserDb(fx.couch);
  users.push(user);
  const local = memoryDb('sync-live');
  const remote = openRemoteDb(user.url, { username: user.name, password: user.password });
  const sync = startSync(local, remote, { deviceId: DEVICE, ...opts });
  controllers.push(sync);
  return { user, local, remote, sync };
}

const doc = (id: string, deviceId = DEVICE) => ({
  _id: id,
  type: 'note',
  text: `note ${id}`,
  deviceId,
});

describe('startSync - live pull and push', () => {
  it('pulls docs written on the server and pushes docs written locally, both live', async () => {
    const pulled: string[] = [];
    const { user, local, sync } = await setup({
      onPulled: (docs) => void pulled.push(...docs.map((d) => String(d._id))),
    });
    await waitFor('idle', () => sync.status.state === 'idle');

    const put = await fx.couch.admin$(
      'PUT',
      `/${user.db}/note:from-server`,
      doc('note:from-server', 'dev-other'),
    );
    expect(put.status).toBe(201);
    await waitFor('pulled doc', () => local.get('note:from-server'));
    await waitFor('onPulled hook', () => pulled.includes('note:from-server'));

    await local.put(doc('note:from-device'));
    await waitFor('pushed doc', async () =>
      (await serverDocs(fx.couch, user.db)).some((d) => d._id === 'note:from-device'),
    );
    await waitFor('idle again', () => sync.status.state === 'idle' && sync.status.pending === 0);
    expect(sync.status.docsPulled).toBeGreaterThanOrEqual(1);
    expect(sync.status.docsPushed).toBeGreaterThanOrEqual(1);
    expect(sync.status.lastSuccessAt).not.toBeNull();
    expect(sync.status.lastError).toBeNull();
    expect(sync.status.online).toBe(true);
  });

  it('emits status transitions: connecting -> idle, then syncing -> idle after a write', async () => {
    const { local, sync } = await setup();
    const states: SyncState[] = [];
    const unsubscribe = sync.subscribe((s) => {
      if (states.at(-1) !== s.state) states.push(s.state);
    });
    expect(states[0]).toBe('connecting');
    await waitFor('idle', () => sync.status.state === 'idle');
    const before = states.length;

    await local.bulkDocs(Array.from({ length: 50 }, (_, i) => doc(`note:t${i}`)));
    await waitFor(
      'pushed and idle',
      () =>
        sync.status.docsPushed >= 50 && sync.status.state === 'idle' && sync.status.pending === 0,
    );
    const after = states.slice(before);
    expect(after).toContain('syncing');
    expect(after.at(-1)).toBe('idle');
    expect(after.indexOf('syncing')).toBeLessThan(after.lastIndexOf('idle'));
    unsubscribe();
  });

  it('keeps design docs (pouchdb-find indexes) local: nothing refused, nothing pending', async () => {
    const { user, local, sync } = await setup();
    await ensureIndexes(local);
    await local.put(doc('note:with-index'));
    await waitFor('pushed', async () =>
      (await serverDocs(fx.couch, user.db)).some((d) => d._id === 'note:with-index'),
    );
    await waitFor('idle', () => sync.status.state === 'idle' && sync.status.pending === 0);
    const ddocs = await fx.couch.admin$(
      'GET',
      `/${user.db}/_all_docs?startkey=${encodeURIComponent('"_design/"')}&endkey=${encodeURIComponent('"_design0"')}`,
    );
    expect(ddocs.body.rows).toEqual([]);
    expect(sync.status.lastError).toBeNull();
  });

  it('stop() ends both lanes and reports stopped', async () => {
    const { local, sync, user } = await setup();
    await waitFor('idle', () => sync.status.state === 'idle');
    await sync.stop();
    expect(sync.status.state).toBe('stopped');
    await local.put(doc('note:after-stop'));
    await new Promise((r) => setTimeout(r, 300));
    expect((await serverDocs(fx.couch, user.db)).some((d) => d._id === 'note:after-stop')).toBe(
      false,
    );
  });

  it('survives the db info request failing after a pulled batch (no unhandled rejection)', async () => {
    // PouchDB's replicator calls src.info() after each batch without handling a rejection.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const user = await createUserDb(fx.couch);
      users.push(user);
      const net = switchableFetch();
      const infoUrl = `${user.url}/`;
      let infoCalls = 0;
      const failingInfo: typeof net.impl = async (input, init) => {
        if (String(input) === infoUrl && (init?.method ?? 'GET') === 'GET' && ++infoCalls > 1) {
          throw new TypeError('fetch failed');
        }
        return net.impl(input, init);
      };
      const remote = openRemoteDb(user.url, {
        username: user.name,
        password: user.password,
        fetchImpl: failingInfo,
      });
      const local = memoryDb('sync-live');
      const sync = startSync(local, remote, { deviceId: DEVICE });
      controllers.push(sync);
      await waitFor('idle', () => sync.status.state === 'idle');
      const docs = Array.from({ length: 20 }, (_, i) => doc(`note:srv${i}`, 'dev-other'));
      expect((await fx.couch.admin$('POST', `/${user.db}/_bulk_docs`, { docs })).status).toBe(201);
      await waitFor('pulled', async () => (await local.allDocs()).rows.length === 20);
      await pause(200);
      expect(infoCalls).toBeGreaterThan(1);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('POST /{db}/_bulk_get - still used after the first one failed on the network', async () => {
    // PouchDB alone would fall back to one GET per doc for the rest of the page's life.
    const user = await createUserDb(fx.couch);
    users.push(user);
    const net = switchableFetch();
    let bulkGets = 0;
    const flaky: typeof net.impl = async (input, init) => {
      if (String(input).includes('/_bulk_get') && ++bulkGets === 1) {
        throw new TypeError('fetch failed');
      }
      return net.impl(input, init);
    };
    const local = memoryDb('sync-live-bulk-get');
    await local.put(doc('note:local-first')); // not an empty device: pulls go through _bulk_get
    const remote = openRemoteDb(user.url, {
      username: user.name,
      password: user.password,
      fetchImpl: flaky,
    });
    const sync = startSync(local, remote, { deviceId: DEVICE, backoff: { baseMs: 50 } });
    controllers.push(sync);
    const first = Array.from({ length: 10 }, (_, i) => doc(`note:a${i}`, 'dev-other'));
    await fx.couch.admin$('POST', `/${user.db}/_bulk_docs`, { docs: first });
    await waitFor('first docs pulled', async () => (await local.allDocs()).rows.length === 11);
    const later = Array.from({ length: 10 }, (_, i) => doc(`note:b${i}`, 'dev-other'));
    const before = net.seen.length;
    await fx.couch.admin$('POST', `/${user.db}/_bulk_docs`, { docs: later });
    await waitFor('later docs pulled', async () => (await local.allDocs()).rows.length === 21);
    const sent = net.seen.slice(before);
    expect(sent.some((r) => r.url.includes('/_bulk_get'))).toBe(true);
    expect(sent.filter((r) => /\/note:b\d/.test(r.url))).toEqual([]); // no GET per doc
  });

  it('starts its lanes again after being idle for idleRestartMs (the stalled-feed watchdog)', async () => {
    const { user, local, sync } = await setup({ idleRestartMs: 300 });
    await waitFor('the first idle', () => sync.status.state === 'idle');
    const states: SyncState[] = [];
    const unsubscribe = sync.subscribe((s) => states.push(s.state));
    await pause(1500);
    unsubscribe();
    // idle -> (restart) -> connecting/syncing -> idle, more than once in 1.5 s.
    const restarts = states.filter((s, i) => s !== 'idle' && states[i - 1] === 'idle').length;
    expect(restarts).toBeGreaterThanOrEqual(2);
    // Still a working sync: a doc written on the server arrives.
    const put = await fx.couch.admin$('PUT', `/${user.db}/note:after-restarts`, {
      type: 'note',
      text: 'written on the server',
    });
    expect(put.status).toBe(201);
    await waitFor('the server doc on the device', () => local.get('note:after-restarts'));
  });

  it('never restarts with idleRestartMs 0', async () => {
    const { sync } = await setup({ idleRestartMs: 0 });
    await waitFor('the first idle', () => sync.status.state === 'idle');
    const states: SyncState[] = [];
    const unsubscribe = sync.subscribe((s) => states.push(s.state));
    await pause(800);
    unsubscribe();
    expect(states.every((s) => s === 'idle')).toBe(true);
  });
});
