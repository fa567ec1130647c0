import { afterEach, describe, expect, it } from 'vitest';
import {
  dismiss,
  inboxItems,
  needsReviewCount,
  resolveAll,
  resolveConflicts,
  restoreVersion,
} from '$lib/conflicts';
import { Pouch, type LocalDb } from '$lib/db/pouch';
import type { WriteStamp } from '$lib/domain/stamp';
import { validateDoc } from '$lib/domain/validate';
import { accountDoc, noteDoc } from '../helpers/docs';
import { conflictedIds, hlc, writeConflict } from '../helpers/conflicts';
import { destroyMemoryDbs, memoryDb } from '../helpers/memory-db';
import { rejectionOf } from '../helpers/repo';

afterEach(destroyMemoryDbs);

const stamp = (minutes: number, user = 'ana'): WriteStamp => ({
  user,
  deviceId: `dev-${user}`,
  hlc: hlc(minutes, `dev-${user}`),
});

/** Two text edits of one note, the later one at `minutes` (so audits sort by it). */
function noteConflict(db: LocalDb, key: string, minutes: number, owner = 'ana') {
  const base = noteDoc(key, { owner });
  const fc = base.fieldClock as Record<string, string>;
  const edit = (text: string, at: string) => ({
    ...base,
    text,
    updatedAt: at,
    fieldClock: { ...fc, text: at },
  });
  return writeConflict(db, base._id, base, {
    aaaa: edit('First text', hlc(minutes - 1, 'dev-x')),
    bbbb: edit('Second text', hlc(minutes, 'dev-y')),
  });
}

/** Two edits of different account fields: merged cleanly, "resolved for you". */
function accountConflict(db: LocalDb, key: string, minutes: number) {
  const base = accountDoc(key);
  const fc = base.fieldClock as Record<string, string>;
  return writeConflict(db, base._id, base, {
    aaaa: {
      ...base,
      name: 'New name',
      updatedAt: hlc(minutes - 1),
      fieldClock: { ...fc, name: hlc(minutes - 1) },
    },
    bbbb: {
      ...base,
      phone: '+1 555',
      updatedAt: hlc(minutes),
      fieldClock: { ...fc, phone: hlc(minutes) },
    },
  });
}

describe('inboxItems', () => {
  it('lists needs-review first, then resolved for you, newest first, per owner', async () => {
    const db = memoryDb();
    await noteConflict(db, 'old', 10);
    await noteConflict(db, 'new', 30);
    await noteConflict(db, 'bens', 40, 'ben');
    await accountConflict(db, 'acc-old', 5);
    await accountConflict(db, 'acc-new', 50);
    await resolveAll(db);

    const items = await inboxItems(db, { owners: ['ana'] });
    expect(items.map((i) => [i.section, i.audit.docId])).toEqual([
      ['needs-review', 'note:new'],
      ['needs-review', 'note:old'],
      ['resolved', 'account:acc-new'],
      ['resolved', 'account:acc-old'],
    ]);
    expect(items[2].audit.explain).toBe(
      'Kept the newest name and phone number - both versions are in the inbox.',
    );
    expect((await inboxItems(db)).map((i) => i.audit.docId)).toContain('note:bens');
    expect(await inboxItems(db, { owners: ['ben'] })).toHaveLength(1);
    expect(await needsReviewCount(db, { owners: ['ana'] })).toBe(2);
  });
});

describe('dismiss', () => {
  it('marks the item reviewed with a normal edit; the current version stays', async () => {
    const db = memoryDb();
    await noteConflict(db, 'n1', 10);
    const { auditId, keptRev } = await resolveConflicts(db, 'note:n1');
    const rev = await dismiss(db, auditId as string, stamp(20));
    expect(rev).toMatch(/^2-/);
    const audit = await db.get(auditId as string);
    expect(audit).toMatchObject({
      reviewed: true,
      resolution: 'dismissed',
      updatedBy: 'ana',
      deviceId: 'dev-ana',
      updatedAt: hlc(20, 'dev-ana'),
    });
    expect((audit.fieldClock as Record<string, string>).reviewed).toBe(hlc(20, 'dev-ana'));
    expect(validateDoc(audit)).toEqual({});
    expect(await inboxItems(db)).toEqual([]);
    expect((await db.get('note:n1'))._rev).toBe(keptRev);
  });
});

describe('restoreVersion', () => {
  it('writes the losing body as a new edit with fresh field clocks, and marks reviewed', async () => {
    const db = memoryDb();
    await noteConflict(db, 'n1', 10);
    const { auditId, keptRev } = await resolveConflicts(db, 'note:n1');
    const newRev = await restoreVersion(db, auditId as string, '2-aaaa', stamp(20));
    // A normal edit on top of what was kept (here 2-bbbb, which held every newest field).
    expect(keptRev).toBe('2-bbbb');
    expect(newRev).toMatch(/^3-/);
    const doc = await db.get('note:n1', { conflicts: true });
    expect(doc).toMatchObject({
      text: 'First text',
      owner: 'ana',
      updatedAt: hlc(20, 'dev-ana'),
      updatedBy: 'ana',
      deviceId: 'dev-ana',
    });
    expect(doc._conflicts).toBeUndefined();
    const fc = doc.fieldClock as Record<string, string>;
    expect(fc.text).toBe(hlc(20, 'dev-ana'));
    expect(fc.accountId).toBe(hlc(20, 'dev-ana'));
    expect(validateDoc(doc)).toEqual({});
    expect(await db.get(auditId as string)).toMatchObject({
      reviewed: true,
      resolution: 'restored',
      restoredRev: '2-aaaa',
    });
    expect(keptRev).not.toBe(newRev);
    expect(await inboxItems(db)).toEqual([]);
  });

  it('refuses to restore over a submitted order or inspection, changing nothing', async () => {
    const db = memoryDb();
    for (const type of ['order', 'inspection']) {
      const docId = `${type}:o1`;
      const kept = { _id: docId, type, owner: 'ana', status: 'submitted', note: 'kept' };
      const { rev } = await db.put(kept);
      await db.put({
        _id: `conflict:${docId}:h1`,
        type: 'conflict',
        owner: 'ana',
        docId,
        docType: type,
        losers: [{ rev: '2-draft', body: { ...kept, status: 'draft', note: 'lost' } }],
      });
      const err = await rejectionOf(
        restoreVersion(db, `conflict:${docId}:h1`, '2-draft', stamp(20)),
      );
      expect(err).toMatchObject({
        code: 'invalid',
        message: `This ${type} was submitted and can no longer be changed.`,
      });
      expect(await db.get(docId)).toMatchObject({ _rev: rev, status: 'submitted', note: 'kept' });
    }
  });

  it('the restored text becomes current on a replica that resolved the same conflict', async () => {
    const a = memoryDb('rep');
    const b = memoryDb('sup');
    await noteConflict(a, 'n1', 10);
    await Pouch.replicate(a, b);
    const { auditId } = await resolveConflicts(a, 'note:n1');
    await resolveConflicts(b, 'note:n1');
    await restoreVersion(a, auditId as string, '2-aaaa', stamp(20));
    await Pouch.replicate(a, b);
    await Pouch.replicate(b, a);
    expect(await conflictedIds(b)).toEqual([]);
    expect((await b.get('note:n1')).text).toBe('First text');
    expect((await b.get(auditId as string)).reviewed).toBe(true);
  });

  it('restoring a deletion that lost to an edit deletes the doc', async () => {
    const db = memoryDb();
    const base = noteDoc('n2');
    await db.bulkDocs(
      [
        { ...base, _rev: '1-base', _revisions: { start: 1, ids: ['base'] } },
        {
          ...base,
          text: 'Edited',
          _rev: '2-edit',
          _revisions: { start: 2, ids: ['edit', 'base'] },
        },
        {
          _id: 'note:n2',
          _deleted: true,
          _rev: '2-gone',
          _revisions: { start: 2, ids: ['gone', 'base'] },
        },
      ] as Record<string, unknown>[],
      { new_edits: false },
    );
    const { deletionAuditIds } = await resolveConflicts(db, 'note:n2');
    const items = await inboxItems(db);
    expect(items.map((i) => i.audit.rule)).toEqual(['edit-beats-delete']);
    await restoreVersion(db, deletionAuditIds[0], '2-gone', stamp(20));
    expect((await rejectionOf(db.get('note:n2'))).status).toBe(404);
    expect(await inboxItems(db)).toEqual([]);
  });

  it('refuses a revision that is not in the item', async () => {
    const db = memoryDb();
    await noteConflict(db, 'n1', 10);
    const { auditId } = await resolveConflicts(db, 'note:n1');
    const err = await rejectionOf(restoreVersion(db, auditId as string, '9-nope', stamp(20)));
    expect(err).toMatchObject({ code: 'not_found' });
  });
});
