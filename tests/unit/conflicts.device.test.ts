import { afterEach, describe, expect, it } from 'vitest';
import { createPullResolver, leaveToServer, resolvePulled, writerFor } from '$lib/conflicts';
import { taskDoc } from '../helpers/docs';
import { conflictedIds, hlc, writeConflict } from '../helpers/conflicts';
import { destroyMemoryDbs, memoryDb } from '../helpers/memory-db';

afterEach(destroyMemoryDbs);

/**
 * A task ana ticked on her device while the supervisor moved it (with its stop) to ben: the
 * leaves name different owners. Ana's device may push the tombstone of her own leaf but not
 * the merge nor the audit (both ben's): resolving it there lost her tick (chaos seed 115).
 */
function transferRace(db: ReturnType<typeof memoryDb>) {
  const base = taskDoc('t1', { owner: 'ana' });
  const clock = (base.fieldClock ?? {}) as Record<string, string>;
  return writeConflict(db, 'task:t1', base, {
    aaaa: {
      ...base,
      done: true,
      doneAt: '2026-11-22T09:40:00.000Z',
      updatedAt: hlc(40, 'dev-ana'),
      updatedBy: 'ana',
      deviceId: 'dev-ana',
      fieldClock: { ...clock, done: hlc(40, 'dev-ana'), doneAt: hlc(40, 'dev-ana') },
    },
    bbbb: {
      ...base,
      owner: 'ben',
      formerAssignees: ['ana'],
      updatedAt: hlc(30, 'dev-sam'),
      updatedBy: 'sam',
      deviceId: 'dev-sam',
      fieldClock: { ...clock, owner: hlc(30, 'dev-sam'), formerAssignees: hlc(30, 'dev-sam') },
    },
  });
}

describe('device resolver', () => {
  it('leaves a conflict whose leaves name different owners to the server', async () => {
    const db = memoryDb('device');
    await transferRace(db);
    expect(await leaveToServer(db, 'task:t1')).toBe(true);
    expect(await resolvePulled(db, [{ _id: 'task:t1' }])).toBe(0);
    expect(await conflictedIds(db)).toEqual(['task:t1']);
    // Nothing written: no tombstone of ana's leaf, no merge, no audit doc.
    const leaves = await db.get('task:t1', { open_revs: 'all' });
    expect(leaves).toHaveLength(2);
    expect((await db.allDocs({ startkey: 'conflict:', endkey: 'conflict:\uffff' })).rows).toEqual(
      [],
    );
  });

  it('does not resolve such a conflict left over from an earlier run either', async () => {
    const db = memoryDb('device');
    await transferRace(db);
    await createPullResolver(db)([]);
    expect(await conflictedIds(db)).toEqual(['task:t1']);
  });

  it('still resolves conflicts between leaves of one owner', async () => {
    const db = memoryDb('device');
    const base = taskDoc('t2', { owner: 'ana' });
    const clock = (base.fieldClock ?? {}) as Record<string, string>;
    await writeConflict(db, 'task:t2', base, {
      aaaa: {
        ...base,
        done: true,
        updatedAt: hlc(40, 'dev-a'),
        fieldClock: { ...clock, done: hlc(40, 'dev-a') },
      },
      bbbb: {
        ...base,
        title: 'Count the back room too',
        updatedAt: hlc(41, 'dev-b'),
        fieldClock: { ...clock, title: hlc(41, 'dev-b') },
      },
    });
    expect(await leaveToServer(db, 'task:t2')).toBe(false);
    expect(await resolvePulled(db, [{ _id: 'task:t2' }])).toBe(1);
    expect(await conflictedIds(db)).toEqual([]);
    expect(await db.get('task:t2')).toMatchObject({
      done: true,
      title: 'Count the back room too',
    });
  });

  it("leaves another rep's doc to the server on a rep's device; a supervisor resolves it", async () => {
    const rep = memoryDb('ana-device');
    const supervisor = memoryDb('sam-device');
    for (const db of [rep, supervisor]) {
      const base = taskDoc('t3', { owner: 'ben' });
      const clock = (base.fieldClock ?? {}) as Record<string, string>;
      await writeConflict(db, 'task:t3', base, {
        aaaa: { ...base, done: true, fieldClock: { ...clock, done: hlc(40, 'dev-b1') } },
        bbbb: { ...base, title: 'Recount', fieldClock: { ...clock, title: hlc(41, 'dev-b2') } },
      });
    }
    const ana = writerFor({ name: 'ana', role: 'rep' });
    expect(await leaveToServer(rep, 'task:t3', ana)).toBe(true);
    await createPullResolver(rep, undefined, ana)([{ _id: 'task:t3' }]);
    expect(await conflictedIds(rep)).toEqual(['task:t3']);
    expect((await rep.allDocs({ startkey: 'conflict:', endkey: 'conflict:\uffff' })).rows).toEqual(
      [],
    );
    const sam = writerFor({ name: 'sam', role: 'supervisor' });
    await createPullResolver(supervisor, undefined, sam)([{ _id: 'task:t3' }]);
    expect(await conflictedIds(supervisor)).toEqual([]);
    expect(await supervisor.get('task:t3')).toMatchObject({ done: true, title: 'Recount' });
  });
});
