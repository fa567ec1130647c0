import { describe, expect, it } from 'vitest';
import { loadDemoDay } from '$lib/demo/load';
import { testRepo, rejectionOf } from '../helpers/repo';

const DATE = '2026-11-22';
const STOP = `stop:demo-${DATE}-ana-03`;

async function demo(role: 'rep' | 'supervisor' = 'supervisor') {
  const t = testRepo({ user: 'sam', role, deviceId: 'dev-sam' });
  await loadDemoDay(t.db, DATE, t.clock);
  return t;
}

describe('supervisor: reassignStop', () => {
  it('moves the stop, its owner and its open tasks to the new rep and remembers the old one', async () => {
    const { repo, db } = await demo();
    const before = await repo.stopDetail(STOP);
    const stop = await repo.reassignStop(STOP, 'ben');
    expect(stop).toMatchObject({ assignee: 'ben', owner: 'ben', formerAssignees: ['ana'] });
    expect(stop.fieldClock?.owner).toBe(stop.updatedAt);
    for (const task of before.tasks) {
      expect((await db.get(task._id)).owner).toBe('ben');
    }
    expect((await repo.dayRoute(DATE, 'ana')).stops.map((r) => r.stop._id)).not.toContain(STOP);
    expect((await repo.dayRoute(DATE, 'ben')).stops.map((r) => r.stop._id)).toContain(STOP);
  });

  it('reassigning back drops the new rep from formerAssignees and keeps the history unique', async () => {
    const { repo } = await demo();
    await repo.reassignStop(STOP, 'ben');
    const back = await repo.reassignStop(STOP, 'ana');
    expect(back).toMatchObject({ assignee: 'ana', owner: 'ana', formerAssignees: ['ben'] });
  });

  it('leaves done tasks with the rep who did them', async () => {
    const { repo, db } = await demo();
    const { tasks } = await repo.stopDetail(STOP);
    await repo.setTaskDone(tasks[0]._id, true);
    await repo.reassignStop(STOP, 'ben');
    expect((await db.get(tasks[0]._id)).owner).toBe('ana');
  });

  it('is refused for a rep, with nothing written', async () => {
    const { repo, db } = await demo('rep');
    const rev = (await db.get(STOP))._rev;
    const err = await rejectionOf(repo.reassignStop(STOP, 'ben'));
    expect(err.code).toBe('forbidden');
    expect((await db.get(STOP))._rev).toBe(rev);
  });

  it('refuses a finished stop and an empty rep name', async () => {
    const { repo } = await demo();
    expect((await rejectionOf(repo.reassignStop(STOP, '  '))).code).toBe('invalid');
    await repo.setStopStatus(STOP, 'cancelled');
    const err = await rejectionOf(repo.reassignStop(STOP, 'ben'));
    expect(err.code).toBe('invalid');
    expect(String(err.message)).toContain('cancelled');
  });
});

describe('supervisor: rescheduleStop', () => {
  it('moves a stop to another day and position', async () => {
    const { repo } = await demo();
    const stop = await repo.rescheduleStop(STOP, '2026-11-23', 4);
    expect(stop).toMatchObject({ date: '2026-11-23', seq: 4 });
    expect((await repo.dayRoute('2026-11-23', 'ana')).stops).toHaveLength(1);
    expect((await repo.dayRoute(DATE, 'ana')).total).toBe(19);
  });

  it('rejects an impossible date with a field message', async () => {
    const { repo } = await demo();
    const err = await rejectionOf(repo.rescheduleStop(STOP, '2026-02-30'));
    expect(err.code).toBe('invalid');
    expect(err.fields).toHaveProperty('date');
  });
});

describe('supervisor: teamDay', () => {
  it("lists each rep's stops and progress for the day", async () => {
    const { repo } = await demo();
    await repo.setStopStatus(`stop:demo-${DATE}-ben-01`, 'skipped');
    const team = await repo.teamDay(DATE, ['ana', 'ben']);
    expect(team.map((r) => r.rep)).toEqual(['ana', 'ben']);
    expect(team[0]).toMatchObject({ total: 20, completed: 0 });
    expect(team[1]).toMatchObject({ total: 20, completed: 1 });
    expect(team[1].byStatus.skipped).toBe(1);
    expect(team[0].stops.map((s) => s.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
