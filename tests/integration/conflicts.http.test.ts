/**
 * The resolver over CouchDB HTTP (embedded server, or real CouchDB with COUCHDB_URL): the same
 * conflict resolved on the server db and on a device's memory db replicates without a new
 * conflict, and the revisions match byte for byte.
 */
import memory from '../helpers/memory-adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboxItems, readLeaves, resolveAll, resolveConflicts } from '$lib/conflicts';
import { Pouch, openLocalDb, registerAdapter, type LocalDb } from '$lib/db/pouch';
import { canonicalJson } from '$lib/domain/stamp';
import { startTestCouch, type TestCouch } from './couch-harness';

registerAdapter(memory);

let couch: TestCouch;
beforeAll(async () => {
  couch = await startTestCouch();
});
afterAll(async () => {
  await couch?.close();
});

function remoteDb(name: string): LocalDb {
  return new Pouch<Record<string, unknown>>(`${couch.url}/${name}`, {
    adapter: 'http',
    skip_setup: true,
    auth: { username: couch.admin.name, password: couch.admin.password },
  });
}

const HLC = (m: number, dev: string) => `0017638${String(m).padStart(8, '0')}-000000-${dev}`;

function branches(id: string) {
  const base = {
    _id: id,
    type: 'note',
    schema: 1,
    owner: 'ana',
    text: 'Call back',
    accountId: 'account:a1',
    createdAt: '2026-11-22T08:00:00.000Z',
    updatedAt: HLC(1, 'seed'),
    updatedBy: 'sam',
    deviceId: 'seed',
    fieldClock: { text: HLC(1, 'seed'), accountId: HLC(1, 'seed') },
  };
  const edit = (hash: string, text: string, at: string, by: string, more = {}) => ({
    ...base,
    text,
    ...more,
    updatedAt: at,
    updatedBy: by,
    deviceId: `dev-${by}`,
    fieldClock: {
      ...base.fieldClock,
      text: at,
      ...Object.fromEntries(Object.keys(more).map((k) => [k, at])),
    },
    _rev: `2-${hash}`,
    _revisions: { start: 2, ids: [hash, 'base'] },
  });
  return [
    { ...base, _rev: '1-base', _revisions: { start: 1, ids: ['base'] } },
    // The rep also moved the note to another stop: the merge takes that and the later text.
    edit('aaaa', 'Rep text', HLC(5, 'dev-ana'), 'ana', { stopId: 'stop:s2' }),
    edit('bbbb', 'Supervisor text', HLC(6, 'dev-sam'), 'sam'),
  ];
}

describe('resolver over HTTP', () => {
  it('resolves on the server and on a device identically; syncing creates no conflict', async () => {
    const name = couch.unique('conflicts');
    expect((await couch.admin$('PUT', `/${name}`)).status).toBe(201);
    const server = remoteDb(name);
    const device = openLocalDb(`device-${name}`, 'memory');
    try {
      await server.bulkDocs(branches('note:n1'), { new_edits: false });
      await Pouch.replicate(server, device);
      expect((await readLeaves(server, 'note:n1')).map((l) => l._rev).sort()).toEqual([
        '2-aaaa',
        '2-bbbb',
      ]);

      const [onServer, onDevice] = [
        await resolveConflicts(server, 'note:n1'),
        await resolveConflicts(device, 'note:n1'),
      ];
      expect(onServer.keptRev).toBe(onDevice.keptRev);
      expect(onServer.auditId).toBe(onDevice.auditId);

      await Pouch.replicate(device, server);
      await Pouch.replicate(server, device);
      const doc = await server.get('note:n1', { conflicts: true });
      expect(doc._conflicts).toBeUndefined();
      expect(doc._rev).toBe(onServer.keptRev);
      expect(doc).toMatchObject({ text: 'Supervisor text', stopId: 'stop:s2' });
      expect(doc._rev).toMatch(/^3-[0-9a-f]{32}$/);
      const auditServer = await server.get(onServer.auditId as string);
      const auditDevice = await device.get(onServer.auditId as string);
      expect(canonicalJson(auditServer)).toBe(canonicalJson(auditDevice));
      const tomb = (await readLeaves(server, 'note:n1')).find((l) => l._deleted);
      expect(tomb).toMatchObject({ owner: 'ana', type: 'note', resolvedBy: onServer.auditId });

      expect((await resolveAll(server)).resolved).toBe(0);
      expect((await inboxItems(server, { owners: ['ana'] })).map((i) => i.audit.docId)).toEqual([
        'note:n1',
      ]);
    } finally {
      await device.destroy();
      await couch.admin$('DELETE', `/${name}`);
    }
  });
});
