import { afterEach, describe, expect, it } from 'vitest';
import { accountDoc, eventDoc, noteDoc, putAll, stopDoc, taskDoc } from '../helpers/docs';
import { destroyMemoryDbs } from '../helpers/memory-db';
import { testRepo } from '../helpers/repo';

afterEach(destroyMemoryDbs);

async function seeded() {
  const t = testRepo();
  await putAll(t.db, [
    accountDoc('a1', { name: 'Harbor Hardware' }),
    stopDoc('s1', { accountId: 'account:a1' }),
    stopDoc('s2', { seq: 2, accountId: 'account:a1' }),
  ]);
  return t;
}

describe('stopDetail', () => {
  it('returns the stop and its account, with nothing on it yet', async () => {
    const { repo } = await seeded();
    const d = await repo.stopDetail('stop:s1');
    expect(d.stop._id).toBe('stop:s1');
    expect(d.account?.name).toBe('Harbor Hardware');
    expect(d.events).toEqual([]);
    expect(d.checkIn).toBeNull();
    expect(d.checkOut).toBeNull();
    expect(d.notes).toEqual([]);
    expect(d.tasks).toEqual([]);
  });

  it('sorts events oldest first and picks out the check-in and check-out', async () => {
    const { db, repo } = await seeded();
    await putAll(db, [
      eventDoc('out', { kind: 'check_out', occurredAt: '2026-11-22T09:10:00.000Z' }),
      eventDoc('in', { kind: 'check_in', occurredAt: '2026-11-22T08:05:00.000Z' }),
    ]);
    const d = await repo.stopDetail('stop:s1');
    expect(d.events.map((e) => e._id)).toEqual(['event:in', 'event:out']);
    expect(d.checkIn?._id).toBe('event:in');
    expect(d.checkOut?._id).toBe('event:out');
  });

  it('lists notes newest first', async () => {
    const { repo, wall } = await seeded();
    const texts = ['first', 'second', 'third'];
    for (const text of texts) {
      await repo.addNote({ accountId: 'account:a1', stopId: 'stop:s1', text });
      wall.advance(60_000);
    }
    const d = await repo.stopDetail('stop:s1');
    expect(d.notes.map((n) => n.text)).toEqual(['third', 'second', 'first']);
  });

  it('lists tasks in creation order, even when created within one millisecond', async () => {
    const { repo } = await seeded();
    const titles = Array.from({ length: 25 }, (_, i) => `Task ${i + 1}`);
    for (const title of titles) await repo.addTask('stop:s1', title);
    const d = await repo.stopDetail('stop:s1');
    expect(d.tasks.map((t) => t.title)).toEqual(titles);
  });

  it('includes only what belongs to this stop', async () => {
    const { db, repo } = await seeded();
    await putAll(db, [
      noteDoc('mine', { stopId: 'stop:s1' }),
      noteDoc('other-stop', { stopId: 'stop:s2' }),
      taskDoc('mine', { stopId: 'stop:s1' }),
      taskDoc('other-stop', { stopId: 'stop:s2' }),
      eventDoc('other-stop', { stopId: 'stop:s2' }),
    ]);
    const { stopId: _s, ...accountNote } = noteDoc('account-only');
    await putAll(db, [accountNote]);
    const d = await repo.stopDetail('stop:s1');
    expect(d.notes.map((n) => n._id)).toEqual(['note:mine']);
    expect(d.tasks.map((t) => t._id)).toEqual(['task:mine']);
    expect(d.events).toEqual([]);
  });

  it('shows the effect of check-in, notes and tasks made through the repo', async () => {
    const { repo } = await seeded();
    const { event } = await repo.checkIn('stop:s1');
    await repo.addNote({ accountId: 'account:a1', stopId: 'stop:s1', text: 'Met the buyer.' });
    const task = await repo.addTask('stop:s1', 'Count shelf stock');
    await repo.setTaskDone(task._id, true);
    const d = await repo.stopDetail('stop:s1');
    expect(d.stop.status).toBe('arrived');
    expect(d.checkIn?._id).toBe(event._id);
    expect(d.notes.map((n) => n.text)).toEqual(['Met the buyer.']);
    expect(d.tasks.map((t) => [t.title, t.done])).toEqual([['Count shelf stock', true]]);
  });

  it('gives a null account when the account is not on the device', async () => {
    const { db, repo } = testRepo();
    await putAll(db, [stopDoc('s1', { accountId: 'account:gone' })]);
    expect((await repo.stopDetail('stop:s1')).account).toBeNull();
  });
});
