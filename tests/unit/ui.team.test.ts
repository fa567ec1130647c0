import { afterEach, describe, expect, it } from 'vitest';
import { loadDemoDay } from '$lib/demo/load';
import { createRepo } from '$lib/repo';
import { nextDay, teamOverview } from '$lib/ui/team';
import { destroyMemoryDbs, fakeHlc, memoryDb } from '../helpers/memory-db';

afterEach(destroyMemoryDbs);

const DATE = '2026-11-22';

describe('teamOverview - the supervisor screens', () => {
  it("lists each rep of the day's stops with progress, counts and account names", async () => {
    const db = memoryDb('team');
    const { clock } = fakeHlc('dev-sam');
    await loadDemoDay(db, DATE, clock);
    const repo = createRepo(db, { user: 'sam', role: 'supervisor', clock });
    const team = await teamOverview(repo, DATE);
    expect(team.map((m) => [m.rep, m.displayName, m.total, m.completed])).toEqual([
      ['ana', 'Ana Ortiz', 20, 0],
      ['ben', 'Ben Okafor', 20, 0],
    ]);
    expect(team[0].byStatus.planned).toBe(20);
    expect(team[0].stops[0].accountName).toMatch(/#1$/);

    // A reassignment moves the stop to the other rep.
    await repo.reassignStop(team[0].stops[9].stop._id, 'ben');
    const after = await teamOverview(repo, DATE);
    expect(after.map((m) => m.total)).toEqual([19, 21]);
  });

  it('nextDay crosses months and years', () => {
    expect(nextDay('2026-11-22')).toBe('2026-11-23');
    expect(nextDay('2026-11-30')).toBe('2026-12-01');
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
  });
});
