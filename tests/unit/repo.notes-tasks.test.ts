import { afterEach, describe, expect, it } from 'vitest';
import { compareHlc } from '$lib/clock/hlc';
import type { NoteDoc, TaskDoc } from '$lib/domain/types';
import { validateDoc } from '$lib/domain/validate';
import { accountDoc, docsOfType, noteDoc, putAll, revOf, stopDoc, taskDoc } from '../helpers/docs';
import { destroyMemoryDbs } from '../helpers/memory-db';
import { rejectionOf, testRepo } from '../helpers/repo';

afterEach(destroyMemoryDbs);

const T = Date.parse('2026-11-22T08:00:00.000Z');

async function seeded() {
  const t = testRepo();
  await putAll(t.db, [
    accountDoc('a1'),
    stopDoc('s1', { accountId: 'account:a1' }),
    stopDoc('b1', { accountId: 'account:a1', assignee: 'ben' }),
  ]);
  return t;
}

describe('addNote', () => {
  it('stores a note on a stop with the corrected creation time', async () => {
    const { db, clock, repo } = await seeded();
    clock.setServerOffset(-45_000);
    const note = await repo.addNote({
      accountId: 'account:a1',
      stopId: 'stop:s1',
      text: 'Back door.',
    });
    expect(note._id).toMatch(/^note:/);
    expect(note).toMatchObject({
      type: 'note',
      text: 'Back door.',
      accountId: 'account:a1',
      stopId: 'stop:s1',
      owner: 'ana',
      createdAt: new Date(T - 45_000).toISOString(),
    });
    expect(validateDoc(note)).toEqual({});
    expect(await db.get(note._id)).toMatchObject({ text: 'Back door.', _rev: note._rev });
  });

  it('stores a note on an account only, owned by the writer', async () => {
    const { repo } = await seeded();
    const note = await repo.addNote({ accountId: 'account:a1', text: 'Closed on Mondays.' });
    expect('stopId' in note).toBe(false);
    expect(note.owner).toBe('ana');
    expect(validateDoc(note)).toEqual({});
  });

  it("gives a supervisor's note at a rep's stop to that stop's owner", async () => {
    const t = testRepo({ user: 'sam', role: 'supervisor' });
    await putAll(t.db, [
      accountDoc('a1'),
      stopDoc('b1', { accountId: 'account:a1', assignee: 'ben' }),
    ]);
    const note = await t.repo.addNote({
      accountId: 'account:a1',
      stopId: 'stop:b1',
      text: 'Hi Ben',
    });
    expect(note.owner).toBe('ben');
    expect(note.updatedBy).toBe('sam');
  });

  it("refuses a rep's note at someone else's stop (the server would) and writes nothing", async () => {
    const { db, repo } = await seeded();
    const err = await rejectionOf(
      repo.addNote({ accountId: 'account:a1', stopId: 'stop:b1', text: 'Hi Ben' }),
    );
    expect(err).toMatchObject({
      code: 'forbidden',
      message: 'This stop was reassigned to ben; it is no longer on your route.',
    });
    expect(await docsOfType(db, 'note')).toHaveLength(0);
  });

  it('uses a given id (idempotent creation from a queued action)', async () => {
    const { db, repo } = await seeded();
    const note = await repo.addNote({ accountId: 'account:a1', text: 'x', id: 'note:fixed-1' });
    expect(note._id).toBe('note:fixed-1');
    expect(
      await rejectionOf(repo.addNote({ accountId: 'account:a1', text: 'y', id: 'note:fixed-1' })),
    ).toMatchObject({ code: 'conflict' });
    expect(await docsOfType(db, 'note')).toHaveLength(1);
  });

  it('keeps text of exactly 10,000 characters', async () => {
    const { repo } = await seeded();
    const text = 'x'.repeat(10_000);
    expect((await repo.addNote({ accountId: 'account:a1', text })).text).toBe(text);
  });

  it.each([
    ['empty', '', 'Note is required.'],
    ['whitespace', '  \n\t ', 'Note is required.'],
    ['too long', 'x'.repeat(10_001), 'Note is too long (at most 10,000 characters).'],
  ])('rejects %s text with a field message and writes nothing', async (_label, text, message) => {
    const { db, repo } = await seeded();
    const err = await rejectionOf(
      repo.addNote({ accountId: 'account:a1', stopId: 'stop:s1', text }),
    );
    expect(err).toMatchObject({ code: 'invalid', message, fields: { text: message } });
    expect(await docsOfType(db, 'note')).toHaveLength(0);
  });

  it('rejects non-text input', async () => {
    const { repo } = await seeded();
    const err = await rejectionOf(repo.addNote({ accountId: 'account:a1', text: 42 as never }));
    expect(err).toMatchObject({ code: 'invalid', fields: { text: 'Note is required.' } });
  });

  it('throws not_found for a missing account or stop and writes nothing', async () => {
    const { db, repo } = await seeded();
    expect(await rejectionOf(repo.addNote({ accountId: 'account:nope', text: 'x' }))).toMatchObject(
      {
        code: 'not_found',
      },
    );
    expect(await rejectionOf(repo.addNote({ accountId: 'stop:s1', text: 'x' }))).toMatchObject({
      code: 'not_found',
    });
    expect(
      await rejectionOf(repo.addNote({ accountId: 'account:a1', stopId: 'stop:nope', text: 'x' })),
    ).toMatchObject({ code: 'not_found' });
    expect(await docsOfType(db, 'note')).toHaveLength(0);
  });
});

describe('editNote', () => {
  it('replaces the text and advances only the text field clock', async () => {
    const { db, repo, wall } = await seeded();
    const note = await repo.addNote({ accountId: 'account:a1', stopId: 'stop:s1', text: 'draft' });
    wall.advance(60_000);
    const edited = await repo.editNote(note._id, 'final');
    expect(edited.text).toBe('final');
    expect(edited._rev).not.toBe(note._rev);
    expect(compareHlc(edited.fieldClock!.text, note.fieldClock!.text)).toBeGreaterThan(0);
    for (const f of ['accountId', 'stopId', 'createdAt']) {
      expect(edited.fieldClock![f]).toBe(note.fieldClock![f]);
    }
    expect(edited.createdAt).toBe(note.createdAt);
    const stored = (await db.get(note._id)) as unknown as NoteDoc;
    expect(stored.text).toBe('final');
    expect(stored._rev).toBe(edited._rev);
  });

  it('writes nothing when the text is unchanged', async () => {
    const { db, repo } = await seeded();
    const note = await repo.addNote({ accountId: 'account:a1', text: 'same' });
    const again = await repo.editNote(note._id, 'same');
    expect(again._rev).toBe(note._rev);
    expect(await revOf(db, note._id)).toBe(note._rev);
  });

  it.each([
    ['empty', ''],
    ['whitespace', '   '],
    ['too long', 'x'.repeat(10_001)],
  ])('rejects %s text and keeps the stored note', async (_label, text) => {
    const { db, repo } = await seeded();
    const note = await repo.addNote({ accountId: 'account:a1', text: 'keep me' });
    const err = await rejectionOf(repo.editNote(note._id, text));
    expect(err).toMatchObject({ code: 'invalid' });
    expect(Object.keys(err.fields as object)).toEqual(['text']);
    expect(await db.get(note._id)).toMatchObject({ text: 'keep me', _rev: note._rev });
  });

  it('throws not_found for a missing note and for an id of another type', async () => {
    const { repo } = await seeded();
    expect(await rejectionOf(repo.editNote('note:nope', 'x'))).toMatchObject({ code: 'not_found' });
    expect(await rejectionOf(repo.editNote('stop:s1', 'x'))).toMatchObject({ code: 'not_found' });
  });

  it('edits a note that arrived from elsewhere', async () => {
    const { db, repo } = await seeded();
    await putAll(db, [noteDoc('n1')]);
    expect((await repo.editNote('note:n1', 'updated')).text).toBe('updated');
  });
});

describe('addTask', () => {
  it('adds an open task to the stop, owned by the stop owner, title trimmed', async () => {
    const { db, repo } = testRepo({ user: 'sam', role: 'supervisor' });
    await putAll(db, [
      accountDoc('a1'),
      stopDoc('b1', { accountId: 'account:a1', assignee: 'ben' }),
    ]);
    const task = await repo.addTask('stop:b1', '  Count shelf stock  ');
    expect(task._id).toMatch(/^task:/);
    expect(task).toMatchObject({
      type: 'task',
      stopId: 'stop:b1',
      title: 'Count shelf stock',
      done: false,
      owner: 'ben',
      updatedBy: 'sam',
    });
    expect('doneAt' in task).toBe(false);
    expect(validateDoc(task)).toEqual({});
    expect(await docsOfType(db, 'task')).toHaveLength(1);
  });

  it.each([
    ['empty', '', 'Task is required.'],
    ['whitespace', '   ', 'Task is required.'],
    ['too long', 'x'.repeat(201), 'Task is too long (at most 200 characters).'],
  ])('rejects a %s title and writes nothing', async (_label, title, message) => {
    const { db, repo } = await seeded();
    const err = await rejectionOf(repo.addTask('stop:s1', title));
    expect(err).toMatchObject({ code: 'invalid', fields: { title: message } });
    expect(await docsOfType(db, 'task')).toHaveLength(0);
  });

  it('throws not_found for a missing stop and for an id of another type', async () => {
    const { db, repo } = await seeded();
    expect(await rejectionOf(repo.addTask('stop:nope', 'x'))).toMatchObject({ code: 'not_found' });
    expect(await rejectionOf(repo.addTask('account:a1', 'x'))).toMatchObject({ code: 'not_found' });
    expect(await docsOfType(db, 'task')).toHaveLength(0);
  });
});

describe('setTaskDone', () => {
  it('ticking sets done and the corrected doneAt; unticking clears doneAt', async () => {
    const { db, clock, repo, wall } = await seeded();
    clock.setServerOffset(30_000);
    const task = await repo.addTask('stop:s1', 'Check expiry dates');

    wall.advance(60_000);
    const done = await repo.setTaskDone(task._id, true);
    expect(done.done).toBe(true);
    expect(done.doneAt).toBe(new Date(T + 60_000 + 30_000).toISOString());
    expect(validateDoc(done)).toEqual({});
    expect(await db.get(task._id)).toMatchObject({ done: true, doneAt: done.doneAt });

    wall.advance(60_000);
    const undone = await repo.setTaskDone(task._id, false);
    expect(undone.done).toBe(false);
    expect('doneAt' in undone).toBe(false);
    const stored = (await db.get(task._id)) as unknown as TaskDoc;
    expect(stored.done).toBe(false);
    expect('doneAt' in stored).toBe(false);
    expect(compareHlc(stored.fieldClock!.doneAt, done.fieldClock!.doneAt)).toBeGreaterThan(0);
    expect(stored.fieldClock!.title).toBe(task.fieldClock!.title);
  });

  it('writes nothing when the task is already in that state', async () => {
    const { db, repo } = await seeded();
    const task = await repo.addTask('stop:s1', 'x');
    expect((await repo.setTaskDone(task._id, false))._rev).toBe(task._rev);
    const done = await repo.setTaskDone(task._id, true);
    const again = await repo.setTaskDone(task._id, true);
    expect(again._rev).toBe(done._rev);
    expect(again.doneAt).toBe(done.doneAt);
    expect(await revOf(db, task._id)).toBe(done._rev);
  });

  it('throws not_found for a missing task and for an id of another type', async () => {
    const { repo } = await seeded();
    expect(await rejectionOf(repo.setTaskDone('task:nope', true))).toMatchObject({
      code: 'not_found',
    });
    expect(await rejectionOf(repo.setTaskDone('stop:s1', true))).toMatchObject({
      code: 'not_found',
    });
  });

  it('ticks a v0 task that has no done flag (migrated on read)', async () => {
    const { db, repo } = await seeded();
    const { schema: _s, done: _d, ...v0 } = taskDoc('t0');
    await putAll(db, [v0]);
    const done = await repo.setTaskDone('task:t0', true);
    expect(done).toMatchObject({ done: true, schema: 1 });
    expect(await db.get('task:t0')).toMatchObject({ done: true, schema: 1 });
  });
});
