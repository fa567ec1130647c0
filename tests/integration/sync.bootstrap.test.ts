import { describe, expect, it } from 'vitest';
import { openRemoteDb } from '$lib/sync/remote';
import { startSync } from '$lib/sync/sync';
import { memoryDb } from '../helpers/memory-db';
import { createUserDb, serverDocs, switchableFetch, useSyncFixture, waitFor } from './sync-setup';

const fx = useSyncFixture();
const { users, controllers } = fx;

const note = (id: string, text: string) => ({
  _id: id,
  type: 'note',
  text,
  deviceId: 'dev-elsewhere',
});

/** An empty device's first pull pages `_all_docs`; what it ends with must equal a full replication. */
describe('first pull of an empty device', () => {
  it('GET /{db}/_all_docs - copies plain docs, conflicts with their history, attachments byte for byte', async () => {
    const user = await createUserDb(fx.couch);
    users.push(user);
    const plain = Array.from({ length: 45 }, (_, i) =>
      note(`note:p-${String(i).padStart(3, '0')}`, `n${i}`),
    );
    expect((await fx.couch.admin$('POST', `/${user.db}/_bulk_docs`, { docs: plain })).status).toBe(
      201,
    );
    // Edited twice on the server: a history of 3 revisions.
    let rev = '';
    for (const text of ['v1', 'v2', 'v3']) {
      const r = await fx.couch.admin$('PUT', `/${user.db}/note:edited`, {
        ...note('note:edited', text),
        ...(rev ? { _rev: rev } : {}),
      });
      rev = r.body.rev;
    }
    // A conflict: two leaves of one doc.
    await fx.couch.admin$('POST', `/${user.db}/_bulk_docs`, {
      new_edits: false,
      docs: [
        {
          ...note('note:conflicted', 'left'),
          _rev: '2-aaa',
          _revisions: { start: 2, ids: ['aaa', 'root'] },
        },
        {
          ...note('note:conflicted', 'right'),
          _rev: '2-bbb',
          _revisions: { start: 2, ids: ['bbb', 'root'] },
        },
      ],
    });
    // A doc with an attachment, and a deleted doc.
    const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
    await fx.couch.admin$('PUT', `/${user.db}/photo:one`, {
      type: 'photo',
      deviceId: 'dev-elsewhere',
      _attachments: { 'full.jpg': { content_type: 'image/jpeg', data: bytes.toString('base64') } },
    });
    const gone = await fx.couch.admin$('PUT', `/${user.db}/note:gone`, note('note:gone', 'x'));
    await fx.couch.admin$('DELETE', `/${user.db}/note:gone?rev=${gone.body.rev}`);

    const local = memoryDb('bootstrap');
    const net = switchableFetch();
    const sync = startSync(
      local,
      openRemoteDb(user.url, { username: user.name, password: user.password, fetchImpl: net.impl }),
      { deviceId: 'dev-new', batchSize: 20 },
    );
    controllers.push(sync);
    await waitFor(
      'first pull',
      async () => (await local.info()).doc_count === 48 && sync.status.state === 'idle',
    );
    expect(net.seen.some((r) => r.url.includes('/_all_docs?'))).toBe(true);
    expect(net.seen.some((r) => /_changes\?.*since=0(&|$)/.test(r.url))).toBe(false);

    // Same winners and bodies as the server.
    const server = await serverDocs(fx.couch, user.db);
    const mine = (await local.allDocs({ include_docs: true, conflicts: true })).rows
      .map((r) => r.doc as Record<string, unknown>)
      .filter((d) => !String(d._id).startsWith('_design/'));
    const strip = (d: Record<string, unknown>) => {
      const { _attachments, ...rest } = d;
      return { ...rest, attachments: Object.keys((_attachments as object) ?? {}) };
    };
    expect(mine.map(strip)).toEqual(server.map(strip));
    // The conflict arrived with both leaves and their history.
    const leaves = await local.get('note:conflicted', { open_revs: 'all', revs: true });
    expect(leaves.map((l) => ('ok' in l ? l.ok._revisions : null))).toEqual(
      expect.arrayContaining([
        { start: 2, ids: ['aaa', 'root'] },
        { start: 2, ids: ['bbb', 'root'] },
      ]),
    );
    // The attachment byte for byte.
    const data = (await local.getAttachment('photo:one', 'full.jpg')) as Buffer;
    expect(Buffer.from(data).equals(bytes)).toBe(true);

    // Later changes on either side merge as children of the copied revisions: no conflicts.
    const edited = await local.get('note:edited');
    await local.put({ ...edited, text: 'v4 on the device', deviceId: 'dev-new' });
    const later = await fx.couch.admin$('PUT', `/${user.db}/note:p-000`, {
      ...(server.find((d) => d._id === 'note:p-000') as object),
      text: 'changed on the server',
    });
    expect(later.status).toBe(201);
    await waitFor('both edits everywhere', async () => {
      const s = (await fx.couch.admin$('GET', `/${user.db}/note:edited`)).body;
      const d = (await local.get('note:p-000')) as unknown as { text: string };
      return s.text === 'v4 on the device' && d.text === 'changed on the server';
    });
    const history = await fx.couch.admin$(
      'GET',
      `/${user.db}/note:edited?revs=true&conflicts=true`,
    );
    expect(history.body._conflicts).toBeUndefined();
    expect(history.body._revisions.start).toBe(4);
    expect(history.body._revisions.ids).toHaveLength(4);
    const p0 = await local.get('note:p-000', { conflicts: true });
    expect(p0._conflicts).toBeUndefined();
  });

  it('a device that already holds docs pulls through the changes feed instead', async () => {
    const user = await createUserDb(fx.couch);
    users.push(user);
    await fx.couch.admin$('POST', `/${user.db}/_bulk_docs`, { docs: [note('note:s1', 'server')] });
    const local = memoryDb('bootstrap-not-empty');
    await local.put(note('note:mine', 'written offline before the first sync'));
    const net = switchableFetch();
    const sync = startSync(
      local,
      openRemoteDb(user.url, { username: user.name, password: user.password, fetchImpl: net.impl }),
      { deviceId: 'dev-x' },
    );
    controllers.push(sync);
    await waitFor('pulled', async () => (await local.info()).doc_count === 2);
    // (The consistency check lists `_all_docs` without bodies; the bootstrap pages them with.)
    expect(net.seen.some((r) => /\/_all_docs\?.*include_docs=true/.test(r.url))).toBe(false);
  });

  it('GET /{db}/_all_docs - a doc deleted between two pages makes the next page skip nothing', async () => {
    const user = await createUserDb(fx.couch);
    users.push(user);
    const docs = ['a', 'b', 'c', 'd', 'e'].map((k) => note(`note:${k}`, k));
    expect((await fx.couch.admin$('POST', `/${user.db}/_bulk_docs`, { docs })).status).toBe(201);
    const local = memoryDb('bootstrap-deleted-between-pages');
    let pages = 0;
    const fetchImpl: typeof fetch = async (input, init) => {
      if (String(input).includes('include_docs=true') && ++pages === 2) {
        // The last doc of the first page (pages of 2) goes away before the second is read.
        const b = await fx.couch.admin$('GET', `/${user.db}/note:b`);
        await fx.couch.admin$('DELETE', `/${user.db}/note:b?rev=${b.body._rev}`);
      }
      return fetch(input, init);
    };
    const sync = startSync(
      local,
      openRemoteDb(user.url, { username: user.name, password: user.password, fetchImpl }),
      { deviceId: 'dev-y', batchSize: 2, check: false },
    );
    controllers.push(sync);
    await waitFor('every live doc, and b gone', async () => {
      const ids = (await local.allDocs()).rows.map((r) => r.id);
      return sync.status.state === 'idle' && ids.join() === 'note:a,note:c,note:d,note:e';
    });
  });
});
