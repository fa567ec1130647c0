/**
 * Regressions found by the chaos harness (tests/chaos, docs/RELIABILITY.md), at the repo level.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { applyRule, type Leaf } from '$lib/conflicts';
import { formatHlc } from '$lib/clock/hlc';
import { loadDemoDay } from '$lib/demo/load';
import type { TaskDoc } from '$lib/domain/types';
import { destroyMemoryDbs } from '../helpers/memory-db';
import { testRepo } from '../helpers/repo';

afterEach(destroyMemoryDbs);

const DATE = '2026-11-22';
const STOP = `stop:demo-${DATE}-ana-03`;

describe('chaos regressions', () => {
  it('an edit is stamped after the version it edits, even from a device whose clock lags (seed 100 rural)', async () => {
    const ana = testRepo({ user: 'ana', deviceId: 'dev-fast' });
    await loadDemoDay(ana.db, DATE, ana.clock);
    const { tasks } = await ana.repo.stopDetail(STOP);
    // Another device, 3 minutes ahead, ticked the task; this device's clock is behind it.
    const ahead = formatHlc({ wall: ana.wall() + 180_000, counter: 0, deviceId: 'dev-ahead' });
    const current = (await ana.db.get(tasks[0]._id)) as unknown as TaskDoc;
    await ana.db.put({
      ...current,
      done: true,
      updatedAt: ahead,
      deviceId: 'dev-ahead',
      fieldClock: { ...current.fieldClock, done: ahead },
    });
    const edited = await ana.repo.setTaskDone(tasks[0]._id, false);
    expect((edited.fieldClock?.done ?? '') > ahead).toBe(true);
    expect(edited.updatedAt > ahead).toBe(true);
  });

  it('a new doc clocks its owner, so a later edit by the old owner does not undo a transfer (seed 2 moving-vehicle)', async () => {
    const sam = testRepo({ user: 'sam', role: 'supervisor', deviceId: 'dev-sam' });
    await loadDemoDay(sam.db, DATE, sam.clock);
    const { tasks } = await sam.repo.stopDetail(STOP);
    const before = (await sam.db.get(tasks[0]._id)) as unknown as Leaf;
    expect(before.fieldClock).toHaveProperty('owner');
    await sam.repo.reassignStop(STOP, 'ben');
    const moved = (await sam.db.get(tasks[0]._id)) as unknown as Leaf;
    // Meanwhile ana (the old owner) ticked the task on her device, later by the clock.
    const later = formatHlc({ wall: sam.wall() + 60_000, counter: 0, deviceId: 'dev-ana' });
    const ticked: Leaf = {
      ...before,
      _rev: '2-aaaa',
      done: true,
      updatedAt: later,
      deviceId: 'dev-ana',
      fieldClock: { ...(before.fieldClock as Record<string, string>), done: later },
    };
    const merged = applyRule([ticked, { ...moved, _rev: '2-bbbb' }]).merged;
    expect(merged).toMatchObject({ owner: 'ben', done: true, formerAssignees: ['ana'] });
  });

  it("moved tasks remember their previous owner, so the old rep's db keeps receiving them (seed 2 moving-vehicle)", async () => {
    const sam = testRepo({ user: 'sam', role: 'supervisor', deviceId: 'dev-sam' });
    await loadDemoDay(sam.db, DATE, sam.clock);
    const { tasks } = await sam.repo.stopDetail(STOP);
    await sam.repo.reassignStop(STOP, 'ben');
    for (const t of tasks) {
      expect(await sam.db.get(t._id)).toMatchObject({ owner: 'ben', formerAssignees: ['ana'] });
    }
    await sam.repo.reassignStop(STOP, 'ana');
    for (const t of tasks) {
      expect(await sam.db.get(t._id)).toMatchObject({ owner: 'ana', formerAssignees: ['ben'] });
    }
  });

  it('a rep cannot write at a stop reassigned away from her: refused on the device, nothing written (seeds 11 warehouse-wifi, 258 and 518 moving-vehicle)', async () => {
    const sam = testRepo({ user: 'sam', role: 'supervisor', deviceId: 'dev-sam' });
    await loadDemoDay(sam.db, DATE, sam.clock);
    const { tasks } = await sam.repo.stopDetail(STOP);
    await sam.repo.reassignStop(STOP, 'ben');
    // Ana's device pulls the reassignment just as she taps: the server refuses her writes for
    // ben's docs, so accepting them here would keep them on her device only.
    const ana = testRepo({ user: 'ana', deviceId: 'dev-ana' });
    await sam.db.replicate.to(ana.db);
    const before = await ana.db.info();
    const reassigned = 'This stop was reassigned to ben; it is no longer on your route.';
    await expect(ana.repo.checkIn(STOP)).rejects.toMatchObject({
      code: 'forbidden',
      message: reassigned,
    });
    await expect(ana.repo.setTaskDone(tasks[0]._id, true)).rejects.toMatchObject({
      code: 'forbidden',
      message: 'This task belongs to ben; only they can change it.',
    });
    const { stop } = await ana.repo.stopDetail(STOP);
    await expect(
      ana.repo.addNote({ accountId: stop.accountId, stopId: STOP, text: 'Gate code 4411' }),
    ).rejects.toMatchObject({ code: 'forbidden', message: reassigned });
    expect((await ana.db.info()).update_seq).toBe(before.update_seq);
    // Her own docs stay writable.
    const note = await ana.repo.addNote({ accountId: stop.accountId, text: 'Call back Monday' });
    expect(note.owner).toBe('ana');
  });
});
