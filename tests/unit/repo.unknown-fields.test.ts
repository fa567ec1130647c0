/**
 * Unknown fields written by a newer schema survive every write this build makes (DESIGN.md
 * section 4), and the newer schema number is never lowered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { compareHlc } from '$lib/clock/hlc';
import { SEED_HLC, accountDoc, noteDoc, putAll, stopDoc, taskDoc } from '../helpers/docs';
import { destroyMemoryDbs } from '../helpers/memory-db';
import { testRepo } from '../helpers/repo';

afterEach(destroyMemoryDbs);

const FUTURE = { futureField: { x: 1, nested: ['a', { b: true }] }, rating: 4.5 };
const NEWER = { schema: 2, ...FUTURE };

async function seeded() {
  const t = testRepo();
  await putAll(t.db, [
    accountDoc('a1', NEWER),
    stopDoc('s1', { accountId: 'account:a1', ...NEWER }),
    taskDoc('t1', { stopId: 'stop:s1', ...NEWER }),
    noteDoc('n1', { stopId: 'stop:s1', ...NEWER }),
  ]);
  return t;
}

async function expectPreserved(
  db: Awaited<ReturnType<typeof seeded>>['db'],
  id: string,
  changed: string[],
) {
  const doc = (await db.get(id)) as Record<string, unknown> & {
    fieldClock: Record<string, string>;
  };
  expect(doc._rev).toMatch(/^2-/); // really written
  expect(doc.futureField).toEqual(FUTURE.futureField);
  expect(doc.rating).toBe(4.5);
  expect(doc.schema).toBe(2);
  for (const [field, hlc] of Object.entries(doc.fieldClock)) {
    if (changed.includes(field)) expect(compareHlc(hlc, SEED_HLC)).toBeGreaterThan(0);
    else expect(hlc).toBe(SEED_HLC);
  }
  expect(doc.fieldClock.futureField).toBeUndefined();
  return doc;
}

describe('unknown fields survive repo writes', () => {
  it('setTaskDone', async () => {
    const { db, repo } = await seeded();
    await repo.setTaskDone('task:t1', true);
    const doc = await expectPreserved(db, 'task:t1', ['done', 'doneAt']);
    expect(doc.done).toBe(true);
  });

  it('editNote', async () => {
    const { db, repo } = await seeded();
    await repo.editNote('note:n1', 'rewritten');
    const doc = await expectPreserved(db, 'note:n1', ['text']);
    expect(doc.text).toBe('rewritten');
  });

  it('updateAccount', async () => {
    const { db, repo } = await seeded();
    await repo.updateAccount('account:a1', { name: 'New name' });
    const doc = await expectPreserved(db, 'account:a1', ['name']);
    expect(doc.name).toBe('New name');
  });

  it("check-in's stop status change", async () => {
    const { db, repo } = await seeded();
    await repo.checkIn('stop:s1');
    const doc = await expectPreserved(db, 'stop:s1', ['status']);
    expect(doc.status).toBe('arrived');
  });

  it('setStopStatus', async () => {
    const { db, repo } = await seeded();
    await repo.setStopStatus('stop:s1', 'en_route');
    const doc = await expectPreserved(db, 'stop:s1', ['status']);
    expect(doc.status).toBe('en_route');
  });

  it('reads return the unknown fields too', async () => {
    const { repo } = await seeded();
    const detail = await repo.stopDetail('stop:s1');
    expect(detail.stop.futureField).toEqual(FUTURE.futureField);
    expect(detail.account?.futureField).toEqual(FUTURE.futureField);
    expect(detail.tasks[0].futureField).toEqual(FUTURE.futureField);
    expect(detail.notes[0].futureField).toEqual(FUTURE.futureField);
  });

  it('a current-schema doc with unknown fields keeps them and its schema', async () => {
    const { db, repo } = testRepo();
    await putAll(db, [taskDoc('t1', FUTURE)]);
    await repo.setTaskDone('task:t1', true);
    const doc = await db.get('task:t1');
    expect(doc).toMatchObject({ ...FUTURE, schema: 1, done: true });
  });
});
