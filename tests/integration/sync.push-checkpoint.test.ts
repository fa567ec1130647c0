import { describe, expect, it } from 'vitest';
import { openRemoteDb } from '$lib/sync/remote';
import { startSync } from '$lib/sync/sync';
import { memoryDb } from '../helpers/memory-db';
import { createUserDb, serverDocs, useSyncFixture, waitFor } from './sync-setup';

const DEVICE = 'dev-ckpt';
const fx = useSyncFixture();
const { users, controllers } = fx;

const notes = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => ({
    _id: `note:${prefix}-${String(i).padStart(3, '0')}`,
    type: 'note',
    text: `note ${i}`,
    deviceId: DEVICE,
  }));

/** The push lane's checkpoint lives on the server, keyed by the local db: neither side can lose writes. */
describe('push checkpoint', () => {
  it('a server db that lost its data gets every local doc again', async () => {
    const user = await createUserDb(fx.couch);
    users.push(user);
    const local = memoryDb('ckpt');
    await local.bulkDocs(notes(40, 'a'));
    const connect = () => {
      const s = startSync(
        local,
        openRemoteDb(user.url, { username: user.name, password: user.password }),
        { deviceId: DEVICE },
      );
      controllers.push(s);
      return s;
    };
    let sync = connect();
    await waitFor('first push', () => sync.status.pending === 0 && sync.status.docsPushed >= 40);
    await sync.stop();

    // The admin restores an empty db (e.g. from an old backup): same name, no data.
    expect((await fx.couch.admin$('DELETE', `/${user.db}`)).status).toBe(200);
    expect((await fx.couch.admin$('PUT', `/${user.db}`)).status).toBe(201);
    const security = {
      admins: { names: [], roles: [] },
      members: { names: [user.name], roles: [] },
    };
    await fx.couch.admin$('PUT', `/${user.db}/_security`, security);

    sync = connect();
    await waitFor(
      'all docs back on the server',
      async () => (await serverDocs(fx.couch, user.db)).length === 40,
    );
  });

  it('a new local db (app data cleared) on the same server db never skips its new writes', async () => {
    const user = await createUserDb(fx.couch);
    users.push(user);
    const first = memoryDb('ckpt-first');
    await first.bulkDocs(notes(30, 'old'));
    const s1 = startSync(
      first,
      openRemoteDb(user.url, { username: user.name, password: user.password }),
      { deviceId: DEVICE },
    );
    controllers.push(s1);
    await waitFor('first push', () => s1.status.pending === 0 && s1.status.docsPushed >= 30);
    await s1.stop();

    const fresh = memoryDb('ckpt-fresh'); // local sequences start again at 0
    await fresh.bulkDocs(notes(5, 'new'));
    const s2 = startSync(
      fresh,
      openRemoteDb(user.url, { username: user.name, password: user.password }),
      { deviceId: DEVICE },
    );
    controllers.push(s2);
    await waitFor('new docs pushed', async () => {
      const ids = (await serverDocs(fx.couch, user.db)).map((d) => String(d._id));
      return ids.filter((id) => id.startsWith('note:new-')).length === 5;
    });
    await waitFor(
      'the old docs pulled into the new local db',
      async () =>
        (await fresh.allDocs()).rows.filter((r) => r.id.startsWith('note:old-')).length === 30,
    );
  });
});
