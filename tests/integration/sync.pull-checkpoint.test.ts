import { describe, expect, it } from 'vitest';
import { SEEN_ORIGIN_ID } from '$lib/sync/pull-origin';
import { memoryDb } from '../helpers/memory-db';
import {
  createUserDb,
  noteDocs,
  switchableFetch,
  syncUserDb,
  useSyncFixture,
  waitFor,
} from './sync-setup';

const fx = useSyncFixture();
const { users } = fx;

const notes = (n: number, prefix: string) => noteDocs(n, prefix, 'dev-elsewhere');

/** The pull checkpoint lives on the device; the server db's origin id says whether it still holds. */
describe('pull checkpoint', () => {
  it('GET /{db}/_changes - a restart pulls on from the device checkpoint, not from 0', async () => {
    const user = await createUserDb(fx.couch);
    users.push(user);
    await fx.couch.admin$('POST', `/${user.db}/_bulk_docs`, { docs: notes(30, 'a') });
    const local = memoryDb('pull-ckpt-restart');
    const connect = (net = switchableFetch()) => {
      const s = syncUserDb(fx, local, user, { deviceId: 'dev-pull', fetchImpl: net.impl });
      return { s, net };
    };
    const first = connect();
    await waitFor(
      'first pull',
      () => first.s.status.docsPulled >= 30 && first.s.status.state === 'idle',
    );
    // No checkpoint traffic to the server for the pull: PouchDB's `_local/<replication id>`
    // was never written there.
    const pullCheckpoints = first.net.seen.filter(
      (r) =>
        r.method === 'PUT' && r.url.includes('/_local/') && !r.url.includes('/_local/outpost-'),
    );
    expect(pullCheckpoints).toEqual([]);
    await first.s.stop();

    await fx.couch.admin$('POST', `/${user.db}/_bulk_docs`, { docs: notes(3, 'b') });
    const second = connect();
    await waitFor(
      'the new docs',
      async () =>
        (await local.allDocs()).rows.filter((r) => r.id.startsWith('note:b-')).length === 3,
    );
    const changes = second.net.seen.filter((r) => r.url.includes('/_changes'));
    expect(changes.some((r) => /[?&]since=0(&|$)/.test(r.url))).toBe(false);
  });

  it("says idle only once the checkpoint is noted as this db's (an app closed at once pulls on from it)", async () => {
    const user = await createUserDb(fx.couch);
    users.push(user);
    await fx.couch.admin$('POST', `/${user.db}/_bulk_docs`, { docs: notes(5, 'a') });
    const local = memoryDb('pull-ckpt-noted');
    // A slow device: noting the origin takes a while.
    const put = local.put.bind(local);
    local.put = (async (doc: { _id: string }) => {
      if (doc._id === SEEN_ORIGIN_ID) await new Promise((r) => setTimeout(r, 300));
      return put(doc as never);
    }) as typeof local.put;
    const s = syncUserDb(fx, local, user, { deviceId: 'dev-pull' });
    await waitFor('first pull', () => s.status.docsPulled >= 5 && s.status.state === 'idle');
    const seen = (await local.get(SEEN_ORIGIN_ID).catch(() => null)) as {
      origins?: Record<string, string>;
    } | null;
    await s.stop();
    expect(Object.keys(seen?.origins ?? {})).toHaveLength(1);
  });

  it('a server db deleted and created again is pulled from 0, though its sequences start anew', async () => {
    const user = await createUserDb(fx.couch);
    users.push(user);
    await fx.couch.admin$('POST', `/${user.db}/_bulk_docs`, { docs: notes(30, 'old') });
    const local = memoryDb('pull-ckpt-restored');
    const connect = () => syncUserDb(fx, local, user, { deviceId: 'dev-pull' });
    const first = connect();
    await waitFor(
      'first pull',
      () => first.status.docsPulled >= 30 && first.status.state === 'idle',
    );
    await first.stop();

    // The admin restores an empty db and puts 5 docs back: sequences 1-5, far below the
    // device's checkpoint.
    expect((await fx.couch.admin$('DELETE', `/${user.db}`)).status).toBe(200);
    expect((await fx.couch.admin$('PUT', `/${user.db}`)).status).toBe(201);
    await fx.couch.admin$('PUT', `/${user.db}/_security`, {
      admins: { names: [], roles: [] },
      members: { names: [user.name], roles: [] },
    });
    await fx.couch.admin$('POST', `/${user.db}/_bulk_docs`, { docs: notes(5, 'restored') });

    connect();
    await waitFor(
      'the restored docs on the device',
      async () =>
        (await local.allDocs()).rows.filter((r) => r.id.startsWith('note:restored-')).length === 5,
    );
  });
});
