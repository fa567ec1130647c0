import { afterEach, describe, expect, it } from 'vitest';
import { compareHlc } from '$lib/clock/hlc';
import { validateDoc } from '$lib/domain/validate';
import type { StopDoc } from '$lib/domain/types';
import {
  SEED_HLC,
  accountDoc,
  docsOfType,
  eventDoc,
  putAll,
  revOf,
  stopDoc,
} from '../helpers/docs';
import { destroyMemoryDbs } from '../helpers/memory-db';
import { rejectionOf, testRepo } from '../helpers/repo';

afterEach(destroyMemoryDbs);

const T = Date.parse('2026-11-22T08:00:00.000Z');

async function seeded(opts: { role?: 'rep' | 'supervisor'; status?: StopDoc['status'] } = {}) {
  const t = testRepo({ role: opts.role });
  await putAll(t.db, [
    accountDoc('a1'),
    stopDoc('s1', { accountId: 'account:a1', status: opts.status ?? 'planned' }),
  ]);
  return t;
}

const stopStatus = async (db: Awaited<ReturnType<typeof seeded>>['db'], id = 'stop:s1') =>
  ((await db.get(id)) as unknown as StopDoc).status;

describe('checkIn', () => {
  it('creates an immutable event with corrected and raw device time and moves the stop to arrived', async () => {
    const { db, clock, repo } = await seeded();
    clock.setServerOffset(90_000); // the server is 90 s ahead of this device
    const { event, created } = await repo.checkIn('stop:s1');

    expect(created).toBe(true);
    expect(event._id).toMatch(/^event:/);
    expect(event).toMatchObject({
      type: 'event',
      kind: 'check_in',
      stopId: 'stop:s1',
      accountId: 'account:a1',
      owner: 'ana',
      updatedBy: 'ana',
      deviceId: 'dev-ana',
      occurredAt: new Date(T + 90_000).toISOString(),
      deviceTime: new Date(T).toISOString(),
    });
    expect(validateDoc(event)).toEqual({});

    const stored = await db.get(event._id);
    expect(stored).toMatchObject({
      kind: 'check_in',
      occurredAt: event.occurredAt,
      _rev: event._rev,
    });
    expect(await stopStatus(db)).toBe('arrived');
  });

  it('records the time of the tap, not the time of the write, and keeps it on a replay', async () => {
    const { clock, repo } = await seeded();
    clock.setServerOffset(-30_000);
    const tappedAt = T - 4_000; // the write ran 4 s after the tap (a slow device)
    const { event } = await repo.checkIn('stop:s1', { eventId: 'event:tap-9', tappedAt });
    expect(event.deviceTime).toBe(new Date(tappedAt).toISOString());
    expect(event.occurredAt).toBe(new Date(tappedAt - 30_000).toISOString());
    const replay = await repo.checkIn('stop:s1', { eventId: 'event:tap-9', tappedAt: T });
    expect(replay).toMatchObject({ created: false, event: { occurredAt: event.occurredAt } });
  });

  it('refuses a tap time that is not a plausible device time, writing nothing', async () => {
    const { db, repo } = await seeded();
    for (const tappedAt of [NaN, Infinity, T + 3_600_000, T - 30 * 86_400_000]) {
      const err = await rejectionOf(repo.checkIn('stop:s1', { tappedAt }));
      expect(err).toMatchObject({
        code: 'invalid',
        message: 'The time of the tap is not a valid device time.',
      });
    }
    expect(await docsOfType(db, 'event')).toEqual([]);
    expect(await stopStatus(db)).toBe('planned');
  });

  it('records the status change with a newer field clock on status only', async () => {
    const { db, repo } = await seeded();
    await repo.checkIn('stop:s1');
    const stop = (await db.get('stop:s1')) as unknown as StopDoc;
    expect(compareHlc(stop.fieldClock!.status, SEED_HLC)).toBeGreaterThan(0);
    expect(stop.updatedAt).toBe(stop.fieldClock!.status);
    for (const field of ['date', 'seq', 'accountId', 'assignee', 'window', 'purpose']) {
      expect(stop.fieldClock![field]).toBe(SEED_HLC);
    }
  });

  it('gives the event to the stop owner even when someone else checks in', async () => {
    const t = testRepo({ user: 'sam', role: 'supervisor' });
    await putAll(t.db, [accountDoc('a1'), stopDoc('s1', { assignee: 'ben' })]);
    const { event } = await t.repo.checkIn('stop:s1');
    expect(event.owner).toBe('ben');
    expect(event.updatedBy).toBe('sam');
  });

  it('replayed with the same eventId returns the first event and writes no duplicate', async () => {
    const { db, repo, wall } = await seeded();
    const first = await repo.checkIn('stop:s1', { eventId: 'event:tap-1' });
    wall.advance(5_000);
    const again = await repo.checkIn('stop:s1', { eventId: 'event:tap-1' });
    expect(first.created).toBe(true);
    expect(first.event._id).toBe('event:tap-1');
    expect(again.created).toBe(false);
    expect(again.event._id).toBe('event:tap-1');
    expect(again.event._rev).toBe(first.event._rev);
    expect(again.event.occurredAt).toBe(first.event.occurredAt);
    expect(await docsOfType(db, 'event')).toHaveLength(1);
  });

  it('replayed concurrently with the same eventId creates one event', async () => {
    const { db, repo } = await seeded();
    const results = await Promise.all([
      repo.checkIn('stop:s1', { eventId: 'event:tap-1' }),
      repo.checkIn('stop:s1', { eventId: 'event:tap-1' }),
      repo.checkIn('stop:s1', { eventId: 'event:tap-1' }),
    ]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.event._id))).toEqual(new Set(['event:tap-1']));
    expect(await docsOfType(db, 'event')).toHaveLength(1);
    expect(await stopStatus(db)).toBe('arrived');
  });

  it('a double tap (two concurrent check-ins without eventId) creates one event', async () => {
    const { db, repo } = await seeded();
    const [a, b] = await Promise.all([repo.checkIn('stop:s1'), repo.checkIn('stop:s1')]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(a.event._id).toBe(b.event._id);
    expect(await docsOfType(db, 'event')).toHaveLength(1);
    expect(await stopStatus(db)).toBe('arrived');
  });

  it('a failed check-in does not block the next one on the same stop', async () => {
    const { db, repo } = await seeded();
    const [bad, good] = await Promise.allSettled([
      repo.checkIn('stop:s1', { eventId: 'note:not-an-event' }),
      repo.checkIn('stop:s1'),
    ]);
    expect(bad.status).toBe('rejected');
    expect(good.status).toBe('fulfilled');
    expect(await docsOfType(db, 'event')).toHaveLength(1);
  });

  it('checking in twice returns the first event', async () => {
    const { db, repo, wall } = await seeded();
    const first = await repo.checkIn('stop:s1');
    wall.advance(60_000);
    const second = await repo.checkIn('stop:s1');
    const third = await repo.checkIn('stop:s1', { eventId: 'event:another-tap' });
    expect(second).toEqual({ event: first.event, created: false });
    expect(third.created).toBe(false);
    expect(third.event._id).toBe(first.event._id);
    expect(await docsOfType(db, 'event')).toHaveLength(1);
  });

  it('a repeated check-in finishes a status change that was interrupted', async () => {
    // The event was written but the app died before the stop moved to arrived.
    const { db, repo } = await seeded();
    await putAll(db, [eventDoc('earlier', { kind: 'check_in' })]);
    const { event, created } = await repo.checkIn('stop:s1');
    expect(created).toBe(false);
    expect(event._id).toBe('event:earlier');
    expect(await stopStatus(db)).toBe('arrived');
  });

  it('a replayed eventId finishes a status change that was interrupted', async () => {
    const { db, repo } = await seeded();
    await putAll(db, [eventDoc('tap-1', { kind: 'check_in' })]);
    const { created } = await repo.checkIn('stop:s1', { eventId: 'event:tap-1' });
    expect(created).toBe(false);
    expect(await stopStatus(db)).toBe('arrived');
  });

  it('refuses a cancelled stop and writes nothing', async () => {
    const { db, repo } = await seeded({ status: 'cancelled' });
    const rev = await revOf(db, 'stop:s1');
    const err = await rejectionOf(repo.checkIn('stop:s1'));
    expect(err).toMatchObject({ code: 'invalid' });
    expect(err.message).toMatch(/cancelled by your supervisor/);
    expect(await docsOfType(db, 'event')).toHaveLength(0);
    expect(await revOf(db, 'stop:s1')).toBe(rev);
  });

  it('refuses a skipped stop', async () => {
    const { db, repo } = await seeded({ status: 'skipped' });
    expect(await rejectionOf(repo.checkIn('stop:s1'))).toMatchObject({ code: 'invalid' });
    expect(await docsOfType(db, 'event')).toHaveLength(0);
  });

  it('throws not_found for a missing stop and for an id of another type', async () => {
    const { db, repo } = await seeded();
    expect(await rejectionOf(repo.checkIn('stop:missing'))).toMatchObject({ code: 'not_found' });
    expect(await rejectionOf(repo.checkIn('account:a1'))).toMatchObject({ code: 'not_found' });
    expect(await docsOfType(db, 'event')).toHaveLength(0);
  });

  it('rejects an eventId that is not an event id', async () => {
    const { db, repo } = await seeded();
    expect(await rejectionOf(repo.checkIn('stop:s1', { eventId: 'note:x' }))).toMatchObject({
      code: 'invalid',
    });
    expect(await docsOfType(db, 'event')).toHaveLength(0);
    expect(await stopStatus(db)).toBe('planned');
  });
});

describe('checkOut', () => {
  it('requires a check-in first and writes nothing without one', async () => {
    const { db, repo } = await seeded();
    const err = await rejectionOf(repo.checkOut('stop:s1'));
    expect(err).toMatchObject({ code: 'invalid', message: 'Check in before checking out.' });
    expect(await docsOfType(db, 'event')).toHaveLength(0);
    expect(await stopStatus(db)).toBe('planned');
  });

  it('records the check-out and moves the stop to done', async () => {
    const { db, repo, wall } = await seeded();
    const checkIn = await repo.checkIn('stop:s1');
    wall.advance(20 * 60_000);
    const { event, created } = await repo.checkOut('stop:s1', { eventId: 'event:out-1' });
    expect(created).toBe(true);
    expect(event).toMatchObject({
      _id: 'event:out-1',
      kind: 'check_out',
      stopId: 'stop:s1',
      occurredAt: new Date(T + 20 * 60_000).toISOString(),
    });
    expect(await stopStatus(db)).toBe('done');
    const detail = await repo.stopDetail('stop:s1');
    expect(detail.checkIn?._id).toBe(checkIn.event._id);
    expect(detail.checkOut?._id).toBe('event:out-1');
    expect(detail.events.map((e) => e.kind)).toEqual(['check_in', 'check_out']);
  });

  it('is idempotent like check-in', async () => {
    const { db, repo } = await seeded();
    await repo.checkIn('stop:s1');
    const first = await repo.checkOut('stop:s1', { eventId: 'event:out-1' });
    const replay = await repo.checkOut('stop:s1', { eventId: 'event:out-1' });
    const again = await repo.checkOut('stop:s1');
    expect(replay).toEqual({ event: first.event, created: false });
    expect(again.event._id).toBe('event:out-1');
    expect(await docsOfType(db, 'event')).toHaveLength(2);
  });
});

describe('stop status only moves forward', () => {
  it('setStopStatus back to planned after arrived throws invalid and changes nothing', async () => {
    const { db, repo } = await seeded();
    await repo.checkIn('stop:s1');
    const rev = await revOf(db, 'stop:s1');
    const err = await rejectionOf(repo.setStopStatus('stop:s1', 'planned'));
    expect(err).toMatchObject({ code: 'invalid' });
    expect((err.fields as Record<string, string>).status).toMatch(/cannot go back/);
    expect(await stopStatus(db)).toBe('arrived');
    expect(await revOf(db, 'stop:s1')).toBe(rev);
  });

  it('a replayed check-in after check-out leaves the stop done', async () => {
    const { db, repo } = await seeded();
    await repo.checkIn('stop:s1', { eventId: 'event:in-1' });
    await repo.checkOut('stop:s1', { eventId: 'event:out-1' });
    const rev = await revOf(db, 'stop:s1');
    const replay = await repo.checkIn('stop:s1', { eventId: 'event:in-1' });
    expect(replay.created).toBe(false);
    await repo.checkIn('stop:s1');
    expect(await stopStatus(db)).toBe('done');
    expect(await revOf(db, 'stop:s1')).toBe(rev);
    expect(await docsOfType(db, 'event')).toHaveLength(2);
  });

  it('a rep can move a stop forward (en route, then check-in)', async () => {
    const { db, repo } = await seeded();
    const stop = await repo.setStopStatus('stop:s1', 'en_route');
    expect(stop.status).toBe('en_route');
    expect(await stopStatus(db)).toBe('en_route');
    await repo.checkIn('stop:s1');
    expect(await stopStatus(db)).toBe('arrived');
  });

  it('setting the same status again writes nothing', async () => {
    const { db, repo } = await seeded({ status: 'en_route' });
    const rev = await revOf(db, 'stop:s1');
    const stop = await repo.setStopStatus('stop:s1', 'en_route');
    expect(stop.status).toBe('en_route');
    expect(await revOf(db, 'stop:s1')).toBe(rev);
  });

  it.each(['skipped', 'cancelled'] as const)('a rep cannot mark a stop %s', async (status) => {
    const { db, repo } = await seeded();
    const rev = await revOf(db, 'stop:s1');
    const err = await rejectionOf(repo.setStopStatus('stop:s1', status));
    expect(err).toMatchObject({ code: 'invalid' });
    expect((err.fields as Record<string, string>).status).toMatch(/Only a supervisor/);
    expect(await stopStatus(db)).toBe('planned');
    expect(await revOf(db, 'stop:s1')).toBe(rev);
  });

  it.each(['skipped', 'cancelled'] as const)('a supervisor can mark a stop %s', async (status) => {
    const { db, repo } = await seeded({ role: 'supervisor' });
    const stop = await repo.setStopStatus('stop:s1', status);
    expect(stop.status).toBe(status);
    expect(await stopStatus(db)).toBe(status);
  });

  it('a supervisor cannot cancel a stop that is already done', async () => {
    const { db, repo } = await seeded({ role: 'supervisor', status: 'done' });
    expect(await rejectionOf(repo.setStopStatus('stop:s1', 'cancelled'))).toMatchObject({
      code: 'invalid',
    });
    expect(await stopStatus(db)).toBe('done');
  });

  it('a stop cancelled by the supervisor refuses a later check-in on the rep device', async () => {
    const sup = await seeded({ role: 'supervisor' });
    await sup.repo.setStopStatus('stop:s1', 'cancelled');
    const rep = testRepo({ db: sup.db, user: 'ana', role: 'rep' });
    expect(await rejectionOf(rep.repo.checkIn('stop:s1'))).toMatchObject({ code: 'invalid' });
    expect(await docsOfType(sup.db, 'event')).toHaveLength(0);
  });

  it('setStopStatus throws not_found for a missing stop and for an id of another type', async () => {
    const { repo } = await seeded();
    expect(await rejectionOf(repo.setStopStatus('stop:nope', 'en_route'))).toMatchObject({
      code: 'not_found',
    });
    expect(await rejectionOf(repo.setStopStatus('account:a1', 'en_route'))).toMatchObject({
      code: 'not_found',
    });
  });
});
