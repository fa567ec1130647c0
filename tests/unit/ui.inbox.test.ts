import { afterEach, describe, expect, it } from 'vitest';
import { parseHlc } from '$lib/clock/hlc';
import { resolveAll } from '$lib/conflicts';
import type { InboxItem } from '$lib/conflicts/inbox';
import type { LocalDb } from '$lib/db/pouch';
import { loadDemoDay } from '$lib/demo/load';
import type { ConflictDoc } from '$lib/domain/types';
import { createRepo } from '$lib/repo';
import { createActions } from '$lib/ui/actions';
import { clockTime } from '$lib/ui/format';
import {
  badgeLabel,
  changedFields,
  describeDoc,
  explainWords,
  fieldLabel,
  firstWords,
  formatValue,
  hlcWhen,
  inboxEntry,
  keptRows,
  kindLabel,
  restoreQuestion,
} from '$lib/ui/inbox';
import { inboxCount, inboxOwners, loadInbox } from '$lib/ui/inbox-query';
import { Toasts } from '$lib/ui/toasts.svelte';
import { accountDoc, noteDoc, stopDoc } from '../helpers/docs';
import { hlc, writeConflict } from '../helpers/conflicts';
import { destroyMemoryDbs, fakeHlc, memoryDb } from '../helpers/memory-db';

afterEach(destroyMemoryDbs);

const DATE = '2026-11-22';
/** "Now" for the wording: the same local day as the helpers' HLCs (09:00 UTC + minutes). */
const NOW = new Date(Date.parse('2026-11-22T12:00:00.000Z'));
const noNames = () => null;

/** Ana's note edited on two devices (ana's text earlier, sam's later), in `db`, resolved. */
async function noteConflict(db: LocalDb, key = 'n1', owner = 'ana') {
  const base = noteDoc(key, { owner, accountId: 'account:a1' });
  const fc = base.fieldClock as Record<string, string>;
  const edit = (text: string, at: string, by: string) => ({
    ...base,
    text,
    updatedAt: at,
    updatedBy: by,
    deviceId: at.split('-').slice(2).join('-'),
    fieldClock: { ...fc, text: at },
  });
  await writeConflict(db, base._id, base, {
    aaaa: edit('Gate code 1234 - ask for Maria at the back door', hlc(10, 'dev-ana'), 'ana'),
    bbbb: edit('Gate code changed to 9876', hlc(20, 'dev-sam'), 'sam'),
  });
  await resolveAll(db);
  return base._id;
}

describe('inbox words', () => {
  it('firstWords keeps the first few words and says when it cut', () => {
    expect(firstWords('Gate code 1234')).toBe('Gate code 1234');
    expect(firstWords('  one two\nthree  ')).toBe('one two three');
    expect(firstWords('a b c d e f g h', 6)).toBe('a b c d e f…');
    expect(firstWords('Deliveries only at the back door after ten', 20, 24)).toBe(
      'Deliveries only at the…',
    );
    expect(firstWords('x'.repeat(60), 6, 10)).toBe(`${'x'.repeat(10)}…`);
    expect(firstWords('')).toBe('');
  });

  it('labels fields and kinds in words', () => {
    expect(fieldLabel('text')).toBe('Text');
    expect(fieldLabel('window')).toBe('Time window');
    expect(fieldLabel('seq')).toBe('Route position');
    expect(fieldLabel('colour')).toBe('Colour');
    expect(kindLabel('note')).toBe('Note');
    expect(kindLabel('event')).toBe('Check-in record');
    expect(kindLabel('invoice')).toBe('Invoice');
    expect(kindLabel('')).toBe('Document');
    expect(badgeLabel(2)).toBe('Inbox, 2 to review');
  });

  it('formats values as people read them', () => {
    expect(formatValue('text', 'Hello')).toBe('Hello');
    expect(formatValue('text', '')).toBe('Not set');
    expect(formatValue('text', undefined)).toBe('Not set');
    expect(formatValue('done', true)).toBe('Done');
    expect(formatValue('done', false)).toBe('Not done');
    expect(formatValue('status', 'en_route')).toBe('On the way');
    expect(formatValue('date', '2026-11-22')).toBe('Sun 22 Nov');
    expect(formatValue('assignee', 'ana')).toBe('Ana Ortiz');
    expect(formatValue('formerAssignees', ['ana', 'ben'])).toBe('Ana Ortiz, Ben Okafor');
    expect(formatValue('window', { start: '09:00', end: '10:00' })).toBe('09:00–10:00');
    expect(formatValue('address', { street: '1 Main St', city: 'Fairview' })).toBe(
      '1 Main St, Fairview',
    );
    expect(formatValue('contacts', [{ name: 'Maria' }, { name: 'Joe' }])).toBe('Maria, Joe');
    expect(formatValue('contacts', [])).toBe('None');
    expect(formatValue('seq', 3)).toBe('3');
    expect(formatValue('flag', false)).toBe('No');
    expect(formatValue('extra', { b: 1, a: 2 })).toBe('{"a":2,"b":1}');
    const at = '2026-11-22T09:05:00.000Z';
    expect(formatValue('doneAt', at, new Date(at))).toBe(clockTime(at));
  });

  it('hlcWhen shows an HLC in local time (time only today, with the day otherwise)', () => {
    const stamp = hlc(30);
    const local = clockTime(new Date(parseHlc(stamp).wall).toISOString());
    expect(hlcWhen(stamp, new Date(parseHlc(stamp).wall))).toBe(local);
    expect(hlcWhen(stamp, new Date(Date.parse('2026-12-25T12:00:00.000Z')))).toMatch(
      new RegExp(`^2[12] Nov, ${local}$`),
    );
    expect(hlcWhen('not an hlc')).toBeNull();
    expect(hlcWhen(undefined)).toBeNull();
  });
});

describe("explainWords: the stored sentence in the reader's words", () => {
  it('names the time in local time and the person by name (or "you")', () => {
    const at = '2026-11-22T09:20:00.000Z';
    const audit = {
      explain: 'Kept the text written last (09:20 UTC by sam); the other text is in the inbox.',
      explainAt: at,
      explainBy: 'sam',
    };
    const local = hlcWhen(hlc(20, 'dev-sam'), NOW);
    expect(local).toBe(clockTime(at));
    expect(explainWords(audit, NOW, 'ana')).toBe(
      `Kept the text written last (${local} by Sam Lindqvist); the other text is in the inbox.`,
    );
    expect(explainWords(audit, NOW, 'sam')).toContain(`(${local} by you)`);
    // Another day's time carries its date; an audit written before these fields stays as it is.
    expect(explainWords(audit, new Date('2026-11-25T12:00:00Z'), 'ana')).toContain('22 Nov, ');
    expect(explainWords({ explain: audit.explain }, NOW, 'ana')).toBe(audit.explain);
    expect(
      explainWords(
        {
          explain:
            'This note was deleted by ben on one device while it was changed on another; kept the changed version - restore the deletion from the inbox if it should go.',
          explainBy: 'ben',
        },
        NOW,
        'ana',
      ),
    ).toMatch(/^This note was deleted by Ben Okafor on one device/);
  });

  it('the resolver stores the time and author its sentence names', async () => {
    const db = memoryDb();
    await noteConflict(db);
    const [item] = await loadInbox(
      createRepo(db, { user: 'ana', role: 'rep', clock: fakeHlc('dev-ana').clock }),
      DATE,
      NOW,
    );
    const audit = (await db.get(item.id)) as unknown as ConflictDoc;
    expect(audit.explain).toBe(
      'Kept the text written last (09:20 UTC by sam); the other text is in the inbox.',
    );
    expect(audit.explainAt).toBe(new Date(parseHlc(hlc(20, 'dev-sam')).wall).toISOString());
    expect(audit.explainBy).toBe('sam');
  });
});

describe('changedFields', () => {
  it('lists only the data fields that differ, most telling first, in words', () => {
    const kept = { ...stopDoc('s1'), status: 'arrived', seq: 2, updatedAt: hlc(5) };
    const other = {
      ...stopDoc('s1'),
      status: 'planned',
      seq: 2,
      purpose: undefined,
      window: { start: '10:00', end: '11:00' },
      newField: 'from a newer app',
      updatedAt: hlc(1),
      fieldClock: {},
    };
    const changes = changedFields(kept, other);
    expect(changes.map((c) => c.field)).toEqual(['status', 'window', 'purpose', 'newField']);
    expect(changes[0]).toEqual({
      field: 'status',
      label: 'Status',
      kept: 'Checked in',
      other: 'Planned',
    });
    expect(changes[1]).toMatchObject({ kept: '08:00–09:00', other: '10:00–11:00' });
    expect(changes[2]).toMatchObject({ label: 'Purpose', kept: 'Restock visit', other: 'Not set' });
    expect(changes[3]).toMatchObject({ label: 'NewField', kept: 'Not set' });
  });

  it('finds nothing when only bookkeeping differs, and handles a missing kept body', () => {
    const a = noteDoc('n1');
    const b = { ...a, updatedAt: hlc(9), updatedBy: 'ben', deviceId: 'x', fieldClock: {} };
    expect(changedFields(a, b)).toEqual([]);
    expect(changedFields(null, { text: 'Hi', type: 'note' }).map((c) => c.field)).toEqual(['text']);
  });
});

describe('keptRows', () => {
  it('lists each field any other version changed once, in first-seen order', () => {
    const change = (field: string, other: string) => ({
      field,
      label: fieldLabel(field),
      kept: 'k',
      other,
    });
    const others = [
      { rev: '2-a', deleted: false, meta: { by: null, at: null }, changes: [change('text', 'x')] },
      { rev: '2-b', deleted: true, meta: { by: null, at: null }, changes: [] },
      {
        rev: '2-c',
        deleted: false,
        meta: { by: null, at: null },
        changes: [change('title', 'y'), change('text', 'z')],
      },
    ];
    expect(keptRows(others).map((r) => [r.field, r.kept])).toEqual([
      ['text', 'k'],
      ['title', 'k'],
    ]);
  });
});

describe('describeDoc', () => {
  const names = (id: string) => (id === 'account:a1' ? 'Maple Hardware #3' : null);

  it("titles a note by its first words and its account's name", () => {
    const note = { ...noteDoc('n1'), text: 'Manager asked for a call back before Friday noon' };
    expect(describeDoc('note', 'note:n1', note, names)).toEqual({
      kind: 'Note',
      title: '“Manager asked for a call back…”',
      detail: 'Maple Hardware #3',
    });
    expect(describeDoc('note', 'note:n1', { ...note, text: '' }, noNames)).toEqual({
      kind: 'Note',
      title: 'Note',
      detail: null,
    });
  });

  it('titles a stop by account and date, a task by title, an account by name', () => {
    expect(describeDoc('stop', 'stop:s1', stopDoc('s1', { seq: 4 }), names)).toEqual({
      kind: 'Stop',
      title: 'Maple Hardware #3',
      detail: 'Sun 22 Nov, stop #4',
    });
    expect(describeDoc('task', 'task:t1', { title: ' Count stock ' }, names)).toMatchObject({
      kind: 'Task',
      title: 'Count stock',
    });
    expect(describeDoc('account', 'account:a1', accountDoc('a1'), names)).toMatchObject({
      kind: 'Account',
      title: 'Account a1',
    });
    expect(describeDoc('invoice', 'invoice:9', {}, names)).toEqual({
      kind: 'Invoice',
      title: 'invoice:9',
      detail: null,
    });
  });
});

describe('inboxEntry and loadInbox', () => {
  it('shows a note conflict: title, explanation, time, kept vs the other text', async () => {
    const db = memoryDb();
    await db.put(accountDoc('a1', { name: 'Maple Hardware #3' }));
    await noteConflict(db);
    const { clock } = fakeHlc('dev-ana');
    const repo = createRepo(db, { user: 'ana', role: 'rep', clock });

    const entries = await loadInbox(repo, DATE, NOW);
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry).toMatchObject({
      section: 'needs-review',
      docId: 'note:n1',
      kind: 'Note',
      noun: 'note',
      title: '“Gate code changed to 9876”',
      detail: 'Maple Hardware #3',
      ownerName: null,
      when: hlcWhen(hlc(20, 'dev-sam'), NOW),
      kept: { by: 'Sam Lindqvist', at: hlcWhen(hlc(20, 'dev-sam'), NOW) },
    });
    // Stored in UTC with the user name; shown in this device's local time with the name.
    expect(entry.explain).toBe(
      `Kept the text written last (${hlcWhen(hlc(20, 'dev-sam'), NOW)} by Sam Lindqvist); the other text is in the inbox.`,
    );
    expect(entry.others).toHaveLength(1);
    expect(entry.others[0]).toMatchObject({
      deleted: false,
      meta: { by: 'you', at: hlcWhen(hlc(10, 'dev-ana'), NOW) },
      changes: [
        {
          field: 'text',
          label: 'Text',
          kept: 'Gate code changed to 9876',
          other: 'Gate code 1234 - ask for Maria at the back door',
        },
      ],
    });
    expect(restoreQuestion(entry, entry.others[0])).toBe(
      'Restore the other version? Its text replaces the current one on every device.',
    );
    expect(await inboxCount(repo, DATE)).toBe(1);
  });

  it("a supervisor sees the team's items (reps with stops that day), naming the owner", async () => {
    const db = memoryDb();
    const { clock } = fakeHlc('dev-sam');
    await loadDemoDay(db, DATE, clock);
    await noteConflict(db, 'ana-note', 'ana');
    await noteConflict(db, 'zoe-note', 'zoe'); // not on the team today
    const sam = createRepo(db, { user: 'sam', role: 'supervisor', clock });
    expect(await inboxOwners(sam, DATE)).toEqual(['ana', 'ben', 'sam']);
    const entries = await loadInbox(sam, DATE, NOW);
    expect(entries.map((e) => [e.docId, e.ownerName])).toEqual([['note:ana-note', 'Ana Ortiz']]);
    expect(await inboxCount(sam, DATE)).toBe(1);

    const ana = createRepo(db, { user: 'ana', role: 'rep', clock });
    expect(await inboxOwners(ana, DATE)).toEqual(['ana']);
    const ben = createRepo(db, { user: 'ben', role: 'rep', clock });
    expect(await inboxCount(ben, DATE)).toBe(0);
  });

  it('words a deleted other version and a deleted document', () => {
    const audit = {
      _id: 'conflict:note:n1:abc',
      type: 'conflict',
      docId: 'note:n1',
      docType: 'note',
      rule: 'edit-beats-delete',
      explain: 'This note was deleted on one device while it was changed on another.',
      needsReview: true,
      reviewed: false,
      keptRev: '3-x',
      leafRevs: ['2-a'],
      losers: [{ rev: '2-a', body: { type: 'note', owner: 'ana' }, deleted: true }],
      kept: { ...noteDoc('n1'), text: 'Still here' },
      owner: 'ana',
      updatedAt: hlc(3),
    } as unknown as ConflictDoc;
    const item: InboxItem = { section: 'needs-review', audit };
    const entry = inboxEntry(item, noNames, 'sam', NOW);
    expect(entry.ownerName).toBe('Ana Ortiz');
    expect(entry.title).toBe('“Still here”');
    expect(entry.others[0]).toMatchObject({ deleted: true, changes: [] });
    expect(restoreQuestion(entry, entry.others[0])).toBe(
      'Restore the deletion? The note is deleted on every device.',
    );
    const gone = inboxEntry({ ...item, audit: { ...audit, kept: null } }, noNames, 'ana', NOW);
    expect(gone.kept).toBeNull();
  });
});

describe('inbox actions', () => {
  it('"Restore other" makes the other text current; "Dismiss" marks reviewed; both toast', async () => {
    const db = memoryDb();
    await db.put(accountDoc('a1'));
    const noteId = await noteConflict(db);
    await noteConflict(db, 'n2');
    const { clock } = fakeHlc('dev-ana', '2026-11-22T10:00:00.000Z');
    const repo = createRepo(db, { user: 'ana', role: 'rep', clock });
    const toasts = new Toasts();
    const actions = createActions(repo, toasts, () => true);

    const [first, second] = await loadInbox(repo, DATE, NOW);
    const target = first.docId === noteId ? first : second;
    expect(await actions.restoreVersion(target.id, target.others[0].rev)).toBeNull();
    const note = await db.get(noteId);
    expect(note.text).toBe('Gate code 1234 - ask for Maria at the back door');
    expect(note.updatedBy).toBe('ana');
    expect(note.deviceId).toBe('dev-ana');
    expect((await db.get(target.id)).resolution).toBe('restored');

    const other = target === first ? second : first;
    expect(await actions.dismissConflict(other.id, 'dismiss')).toBeNull();
    expect((await db.get(other.id)).reviewed).toBe(true);
    expect(toasts.items.map((t) => t.text)).toEqual(['Restored the other version', 'Dismissed']);
    expect(await loadInbox(repo, DATE, NOW)).toEqual([]);

    // An unknown version is refused in words, as a toast.
    expect((await actions.restoreVersion(other.id, '9-nope'))?.code).toBe('not_found');
    expect(toasts.items.at(-1)).toMatchObject({
      kind: 'error',
      text: 'That version is not in this inbox item.',
    });
  });

  it('"Keep this" toasts in its own words', async () => {
    const db = memoryDb();
    await noteConflict(db);
    const { clock } = fakeHlc('dev-ana');
    const repo = createRepo(db, { user: 'ana', role: 'rep', clock });
    const toasts = new Toasts();
    const actions = createActions(repo, toasts, () => false);
    const [entry] = await loadInbox(repo, DATE, NOW);
    expect(await actions.dismissConflict(entry.id, 'keep')).toBeNull();
    expect(toasts.items.map((t) => t.text)).toEqual(['Kept the current version (offline)']);
    expect(await inboxCount(repo, DATE)).toBe(0);
  });
});
