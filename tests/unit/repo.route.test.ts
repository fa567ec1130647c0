import { afterEach, describe, expect, it } from 'vitest';
import { accountDoc, putAll, stopDoc } from '../helpers/docs';
import { destroyMemoryDbs } from '../helpers/memory-db';
import { rejectionOf, testRepo } from '../helpers/repo';

afterEach(destroyMemoryDbs);

const DAY = '2026-11-22';

async function seededRoute() {
  const t = testRepo();
  await putAll(t.db, [
    accountDoc('a1', { name: 'Harbor Hardware' }),
    accountDoc('a2', { name: 'Maple Pharmacy' }),
    accountDoc('a3', { name: 'Cedar Cafe' }),
    // Inserted out of route order on purpose.
    stopDoc('s3', { seq: 3, accountId: 'account:a3' }),
    stopDoc('s1', { seq: 1, accountId: 'account:a1' }),
    stopDoc('s2', { seq: 2, accountId: 'account:a2' }),
    // Someone else's stop the same day, and our stop on another day.
    stopDoc('b1', { seq: 1, assignee: 'ben', accountId: 'account:a1' }),
    stopDoc('s-next-day', { seq: 1, date: '2026-11-23', accountId: 'account:a1' }),
    stopDoc('s-prev-day', { seq: 1, date: '2026-11-21', accountId: 'account:a1' }),
  ]);
  return t;
}

describe('dayRoute', () => {
  it("returns the signed-in rep's stops of the day ordered by seq, with their accounts", async () => {
    const { repo } = await seededRoute();
    const day = await repo.dayRoute(DAY);
    expect(day.date).toBe(DAY);
    expect(day.assignee).toBe('ana');
    expect(day.stops.map((r) => r.stop._id)).toEqual(['stop:s1', 'stop:s2', 'stop:s3']);
    expect(day.stops.map((r) => r.account?.name)).toEqual([
      'Harbor Hardware',
      'Maple Pharmacy',
      'Cedar Cafe',
    ]);
  });

  it("includes only the assignee's stops", async () => {
    const { repo } = await seededRoute();
    const ana = await repo.dayRoute(DAY);
    expect(ana.stops.every((r) => r.stop.assignee === 'ana')).toBe(true);
    const ben = await repo.dayRoute(DAY, 'ben');
    expect(ben.assignee).toBe('ben');
    expect(ben.stops.map((r) => r.stop._id)).toEqual(['stop:b1']);
  });

  it('excludes other days', async () => {
    const { repo } = await seededRoute();
    const day = await repo.dayRoute(DAY);
    expect(day.stops.map((r) => r.stop.date)).toEqual([DAY, DAY, DAY]);
    const next = await repo.dayRoute('2026-11-23');
    expect(next.stops.map((r) => r.stop._id)).toEqual(['stop:s-next-day']);
  });

  it('returns an empty route for a day without stops', async () => {
    const { repo } = await seededRoute();
    const day = await repo.dayRoute('2027-01-01');
    expect(day.stops).toEqual([]);
    expect(day.total).toBe(0);
    expect(day.completed).toBe(0);
    expect(day.next).toBeNull();
  });

  it('counts progress: done and skipped complete, cancelled does not count', async () => {
    const { db, repo } = testRepo();
    await putAll(db, [
      accountDoc('a1'),
      stopDoc('s1', { seq: 1, status: 'done' }),
      stopDoc('s2', { seq: 2, status: 'skipped' }),
      stopDoc('s3', { seq: 3, status: 'cancelled' }),
      stopDoc('s4', { seq: 4, status: 'arrived' }),
      stopDoc('s5', { seq: 5, status: 'planned' }),
      stopDoc('s6', { seq: 6, status: 'en_route' }),
    ]);
    const day = await repo.dayRoute(DAY);
    expect(day.byStatus).toEqual({
      planned: 1,
      en_route: 1,
      arrived: 1,
      done: 1,
      skipped: 1,
      cancelled: 1,
    });
    expect(day.completed).toBe(2);
    expect(day.total).toBe(5);
    // The first stop still to visit, in route order: the one we are at.
    expect(day.next?.stop._id).toBe('stop:s4');
  });

  it('has no next stop when every stop is finished', async () => {
    const { db, repo } = testRepo();
    await putAll(db, [
      stopDoc('s1', { seq: 1, status: 'done' }),
      stopDoc('s2', { seq: 2, status: 'cancelled' }),
    ]);
    const day = await repo.dayRoute(DAY);
    expect(day.next).toBeNull();
    expect(day.completed).toBe(1);
    expect(day.total).toBe(1);
  });

  it('picks the next stop in route order, not insertion order', async () => {
    const { db, repo } = testRepo();
    await putAll(db, [
      stopDoc('z', { seq: 3 }),
      stopDoc('y', { seq: 2 }),
      stopDoc('x', { seq: 1, status: 'done' }),
    ]);
    expect((await repo.dayRoute(DAY)).next?.stop._id).toBe('stop:y');
  });

  it('follows check-ins: progress and next stop move on', async () => {
    const { repo } = await seededRoute();
    await repo.checkIn('stop:s1');
    await repo.checkOut('stop:s1');
    const day = await repo.dayRoute(DAY);
    expect(day.completed).toBe(1);
    expect(day.total).toBe(3);
    expect(day.next?.stop._id).toBe('stop:s2');
  });

  it('gives a null account when the account has not reached the device', async () => {
    const { db, repo } = testRepo();
    await putAll(db, [stopDoc('s1', { accountId: 'account:elsewhere' })]);
    const day = await repo.dayRoute(DAY);
    expect(day.stops).toHaveLength(1);
    expect(day.stops[0].account).toBeNull();
  });

  it("does not treat a non-account document as the stop's account", async () => {
    const { db, repo } = testRepo();
    // A (bad) stop pointing at an id that belongs to a note-like doc.
    await putAll(db, [
      { _id: 'account:fake', type: 'note', text: 'not an account' },
      stopDoc('s1', { accountId: 'account:fake' }),
    ]);
    expect((await repo.dayRoute(DAY)).stops[0].account).toBeNull();
  });

  it('migrates old stops on read (a v0 stop without status shows as planned)', async () => {
    const { db, repo } = testRepo();
    const { schema: _s, status: _st, ...v0 } = stopDoc('s1');
    await putAll(db, [v0]);
    const day = await repo.dayRoute(DAY);
    expect(day.stops[0].stop.status).toBe('planned');
    expect(day.stops[0].stop.schema).toBe(1);
    expect(day.byStatus.planned).toBe(1);
    expect(day.next?.stop._id).toBe('stop:s1');
  });

  it('orders stops with the same seq by id (stable)', async () => {
    const { db, repo } = testRepo();
    await putAll(db, [
      stopDoc('b', { seq: 1 }),
      stopDoc('a', { seq: 1 }),
      stopDoc('c', { seq: 1 }),
    ]);
    const day = await repo.dayRoute(DAY);
    expect(day.stops.map((r) => r.stop._id)).toEqual(['stop:a', 'stop:b', 'stop:c']);
  });
});

describe('query errors', () => {
  it('stopDetail throws not_found for a missing id and for an id of another type', async () => {
    const { repo } = await seededRoute();
    expect(await rejectionOf(repo.stopDetail('stop:missing'))).toMatchObject({
      code: 'not_found',
      status: 404,
    });
    expect(await rejectionOf(repo.stopDetail('account:a1'))).toMatchObject({ code: 'not_found' });
  });

  it('accountDetail throws not_found for a missing id and for an id of another type', async () => {
    const { repo } = await seededRoute();
    expect(await rejectionOf(repo.accountDetail('account:missing'))).toMatchObject({
      code: 'not_found',
    });
    expect(await rejectionOf(repo.accountDetail('stop:s1'))).toMatchObject({ code: 'not_found' });
  });
});
