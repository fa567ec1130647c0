import { describe, expect, it } from 'vitest';
import type { LocalDb } from '$lib/db/pouch';
import { localDbId } from '$lib/sync/push-lane';
import type { FetchImpl } from '$lib/sync/remote';
import { memoryDb } from '../helpers/memory-db';
import { createUserDb, syncUserDb, useSyncFixture, waitFor, type UserDb } from './sync-setup';

const fx = useSyncFixture();

/** Sets the device's pull checkpoint (`id`, seen in the pull trace) to the server db's sequence. */
async function movePullCheckpoint(local: LocalDb, user: UserDb, id: string) {
  const seq = (await fx.couch.admin$('GET', `/${user.db}`)).body.update_seq;
  const doc = await local.get(id);
  await local.put({ ...doc, last_seq: seq });
}

const idle = (s: { status: { state: string } }) => s.status.state === 'idle';

/** The safety net: a device compared with its server db now and then, healing what sync missed. */
describe('consistency check', () => {
  it('POST /{db}/_bulk_get - a revision the pull lane skipped is fetched, and the heal is counted', async () => {
    const user = await createUserDb(fx.couch);
    fx.users.push(user);
    const put = (doc: object) => fx.couch.admin$('POST', `/${user.db}`, doc);
    const first = await put({ _id: 'account:acme', type: 'account', name: 'Acme' });
    await put({ _id: 'account:bolt', type: 'account', name: 'Bolt' });
    const local = memoryDb('check-pull');
    let checkpointId = '';
    const sync = syncUserDb(fx, local, user, {
      deviceId: 'dev-a',
      check: false,
      pullTrace: (e) => {
        if (e.type === 'checkpoint') checkpointId = e.id;
      },
    });
    await waitFor(
      'first pull',
      async () => idle(sync) && checkpointId && (await local.allDocs()).rows.length === 2,
    );
    await sync.stop();

    // The server changes while the device is away, and the device's checkpoint says it has it.
    const edited = await fx.couch.admin$('PUT', `/${user.db}/account:acme`, {
      _rev: first.body.rev,
      type: 'account',
      name: 'Acme Ltd',
    });
    await movePullCheckpoint(local, user, checkpointId);

    const again = syncUserDb(fx, local, user, { deviceId: 'dev-a', check: false });
    await waitFor('idle', () => idle(again));
    expect((await local.get('account:acme'))._rev).toBe(first.body.rev); // missed for good

    const result = await again.check();
    expect(result?.healed?.pulled).toEqual([`account:acme@${edited.body.rev}`]);
    expect(result?.healed?.pushed).toEqual([]);
    expect(await local.get('account:acme')).toMatchObject({
      _rev: edited.body.rev,
      name: 'Acme Ltd',
    });
    expect(again.status.heals).toBe(1);
    expect(again.status.lastHeal?.pulled).toEqual([`account:acme@${edited.body.rev}`]);

    // Nothing left to heal: a second check compares and writes nothing.
    const second = await again.check();
    expect(second).toMatchObject({ differed: 0, healed: null });
    expect(again.status.heals).toBe(1);
  });

  it('POST /{db}/_bulk_docs - a revision of this device the server lost is pushed again', async () => {
    const user = await createUserDb(fx.couch);
    fx.users.push(user);
    const local = memoryDb('check-push');
    const sync = syncUserDb(fx, local, user, { deviceId: 'dev-b', check: false });
    await local.put({ _id: 'note:kept', type: 'note', text: 'kept', deviceId: 'dev-b' });
    const lost = await local.put({
      _id: 'note:lost',
      type: 'note',
      text: 'lost',
      deviceId: 'dev-b',
    });
    await waitFor('pushed', async () => {
      const r = await fx.couch.admin$('GET', `/${user.db}/note:lost`);
      return r.status === 200 && idle(sync) && sync.status.pending === 0;
    });
    await sync.stop();

    // The server loses the doc, keeping its `_local` docs (a restore from a file backup): the
    // origin id and the push checkpoint both say nothing is missing.
    const keep = [];
    for (const id of ['_local/outpost-origin', ...(await pushCheckpointIds(local))]) {
      const r = await fx.couch.admin$('GET', `/${user.db}/${id}`);
      if (r.status === 200) keep.push(r.body as Record<string, unknown>);
    }
    const docs = (await fx.couch.admin$('GET', `/${user.db}/_all_docs?include_docs=true`)).body
      .rows as { id: string; doc: Record<string, unknown> }[];
    await fx.couch.admin$('DELETE', `/${user.db}`);
    await fx.couch.admin$('PUT', `/${user.db}`);
    await fx.couch.admin$('PUT', `/${user.db}/_security`, {
      admins: { names: [], roles: [] },
      members: { names: [user.name], roles: [] },
    });
    await fx.couch.admin$('POST', `/${user.db}/_bulk_docs`, {
      docs: docs.filter((r) => r.id !== 'note:lost').map((r) => r.doc),
      new_edits: false,
    });
    for (const { _rev: _, ...doc } of keep) {
      await fx.couch.admin$('PUT', `/${user.db}/${String(doc._id)}`, doc);
    }

    const again = syncUserDb(fx, local, user, { deviceId: 'dev-b', check: false });
    await waitFor('idle', () => idle(again));
    expect((await fx.couch.admin$('GET', `/${user.db}/note:lost`)).status).toBe(404);

    const result = await again.check();
    expect(result?.healed?.pushed).toEqual([`note:lost@${lost.rev}`]);
    expect(result?.healed?.pulled).toEqual([]);
    expect((await fx.couch.admin$('GET', `/${user.db}/note:lost`)).body).toMatchObject({
      _rev: lost.rev,
      text: 'lost',
    });
    expect(again.status.heals).toBe(1);
  });

  it('a change the lanes deliver in their fresh round is not a heal', async () => {
    const user = await createUserDb(fx.couch);
    fx.users.push(user);
    const local = memoryDb('check-late');
    // Live reads hang (a feed that stalled without an error): only catch-up reads deliver.
    const stalledFeed: FetchImpl = (input, init) =>
      String(input).includes('feed=longpoll')
        ? new Promise((_, reject) =>
            init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
          )
        : fetch(input, init);
    const sync = syncUserDb(fx, local, user, {
      deviceId: 'dev-d',
      check: false,
      fetchImpl: stalledFeed,
    });
    await waitFor('idle', () => idle(sync));
    await fx.couch.admin$('POST', `/${user.db}`, { _id: 'account:late', type: 'account' });

    const result = await sync.check();
    expect(result).toMatchObject({ differed: 1, healed: null });
    expect((await local.get('account:late'))._id).toBe('account:late');
    expect(sync.status.heals).toBe(0);
  });

  it('a doc that changes again while the lanes run their fresh round is left to them', async () => {
    const user = await createUserDb(fx.couch);
    fx.users.push(user);
    const local = memoryDb('check-moving');
    let fetched = false;
    const net: FetchImpl = async (input, init) => {
      const url = String(input);
      if (url.includes('feed=longpoll')) {
        return new Promise((_, reject) =>
          init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
        );
      }
      const res = await fetch(input, init);
      if (url.includes('/_bulk_get') && !fetched) {
        // The check's fresh round fetched the doc; it changes again right after.
        fetched = true;
        const cur = (await fx.couch.admin$('GET', `/${user.db}/account:moving`)).body;
        await fx.couch.admin$('PUT', `/${user.db}/account:moving`, { ...cur, phone: '2' });
      }
      return res;
    };
    const sync = syncUserDb(fx, local, user, { deviceId: 'dev-e', check: false, fetchImpl: net });
    await waitFor('idle', () => idle(sync));
    await fx.couch.admin$('POST', `/${user.db}`, { _id: 'account:moving', type: 'account' });

    const result = await sync.check();
    expect(result).toMatchObject({ differed: 1, healed: null });
    expect((await local.get('account:moving'))._rev).toMatch(/^1-/); // the next round brings 2
    expect(sync.status.heals).toBe(0);
  });

  it('runs on its own after the first sync of a session, and heals nothing when all is well', async () => {
    const user = await createUserDb(fx.couch);
    fx.users.push(user);
    await fx.couch.admin$('POST', `/${user.db}`, { _id: 'account:one', type: 'account' });
    const local = memoryDb('check-session');
    const requests: string[] = [];
    const sync = syncUserDb(fx, local, user, {
      deviceId: 'dev-c',
      fetchImpl: (input, init) => {
        requests.push(`${init?.method ?? 'GET'} ${String(input)}`);
        return fetch(input, init);
      },
    });
    await waitFor('the session check', () =>
      requests.some((r) => /^GET .*\/_all_docs\?limit=/.test(r)),
    );
    await waitFor('idle', () => idle(sync));
    expect(sync.status.heals).toBe(0);
    expect(sync.status.lastHeal).toBeNull();
  });
});

/** Ids of the push lanes' checkpoints in the user's db (named after the device's db id). */
async function pushCheckpointIds(local: LocalDb): Promise<string[]> {
  const id = await localDbId(local);
  return [`_local/outpost-push-${id}`, `_local/outpost-media-${id}`];
}
