import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceDoc } from '$lib/domain/device';
import { createBoard } from '$lib/team/board';
import { followBoard } from '$lib/team/feed';
import { buildTimeline, minutesOfDay } from '$lib/team/timeline';
import {
  agoLabel,
  dataAgeWords,
  dayInProgress,
  deviceNotes,
  durationLabel,
} from '$lib/ui/board-words';
import { accountDoc, eventDoc, SEED_HLC, stopDoc } from '../helpers/docs';
import { destroyMemoryDbs, memoryDb } from '../helpers/memory-db';

const DATE = '2026-11-22';
const MIN = 60_000;
/** Local time on the board's day. */
const at = (hhmm: string) => new Date(`${DATE}T${hhmm}:00`).getTime();
const iso = (hhmm: string) => new Date(at(hhmm)).toISOString();

function device(owner: string, key: string, over: Partial<DeviceDoc> = {}): DeviceDoc {
  return {
    _id: `device:${owner}~${key}`,
    type: 'device',
    schema: 1,
    owner,
    updatedAt: SEED_HLC,
    updatedBy: owner,
    deviceId: key,
    label: 'Chrome on Android',
    appVersion: '0.1.0',
    build: '1000',
    lastSyncAt: iso('08:00'),
    pending: 0,
    problem: null,
    storage: { usage: 10e6, quota: 1e9, persisted: true },
    conflicts: 0,
    clockOffsetMs: 0,
    seenAt: iso('08:00'),
    ...over,
  };
}

const stop = (key: string, seq: number, assignee: string, window = ['09:00', '10:00']) =>
  stopDoc(key, {
    seq,
    assignee,
    accountId: `account:${key}`,
    date: DATE,
    window: { start: window[0], end: window[1] },
  });

const checkIn = (stopKey: string, hhmm: string, kind: 'check_in' | 'check_out' = 'check_in') =>
  eventDoc(`${stopKey}-${kind}`, {
    stopId: `stop:${stopKey}`,
    kind,
    occurredAt: iso(hhmm),
    owner: 'ana',
  });

describe('the board model', () => {
  it("builds each person's day: progress, now and next, last check-in, devices", () => {
    const board = createBoard(DATE);
    const touched = board.load([
      stop('a1', 1, 'ana', ['08:00', '09:00']),
      stop('a2', 2, 'ana', ['09:00', '10:00']),
      stop('a3', 3, 'ana', ['10:00', '11:00']),
      stop('b1', 1, 'ben'),
      { ...stop('x1', 1, 'ana'), date: '2026-11-23' },
      accountDoc('a1', { name: 'Corner Shop' }),
      accountDoc('a2', { name: 'Riverbend Market' }),
      checkIn('a1', '08:10'),
      checkIn('a1', '08:40', 'check_out'),
      checkIn('a2', '09:05'),
      device('ana', 'dev-1'),
      device('ana', 'dev-2', { seenAt: iso('08:30') }),
      device('sam', 'dev-9'),
    ]);
    expect([...touched].sort()).toEqual(['ana', 'ben', 'sam']);
    expect(board.reps()).toEqual(['ana', 'ben', 'sam']);
    const ana = board.view('ana')!;
    expect(ana.stops.map((s) => s.stop._id)).toEqual(['stop:a1', 'stop:a2', 'stop:a3']);
    expect(ana.stops[0]).toMatchObject({ accountName: 'Corner Shop', checkOut: iso('08:40') });
    expect(ana.current?.stop._id).toBe('stop:a2');
    expect(ana.next?.stop._id).toBe('stop:a3');
    expect(ana.lastCheckIn).toBe(iso('09:05'));
    expect(ana.started).toBe(true);
    expect(ana.devices.map((d) => d.doc.deviceId)).toEqual(['dev-2', 'dev-1']);
    expect(board.view('sam')).toMatchObject({
      stops: [],
      devices: [{ doc: { deviceId: 'dev-9' } }],
    });
    expect(board.missingAccounts().sort()).toEqual(['account:a3', 'account:b1']);
  });

  it('applies one doc at a time and touches only the reps it concerns', () => {
    const board = createBoard(DATE);
    board.load([stop('a1', 1, 'ana'), stop('b1', 1, 'ben'), device('ben', 'dev-b')]);
    const ben = board.view('ben');
    expect(board.apply(checkIn('a1', '09:10'))).toEqual(new Set(['ana']));
    expect(board.view('ben')).toBe(ben); // untouched: the same object
    expect(board.view('ana')!.lastCheckIn).toBe(iso('09:10'));
    // A reassignment touches both; a move to another day takes the stop off the board.
    expect(board.apply({ ...stop('a1', 2, 'ben'), formerAssignees: ['ana'] })).toEqual(
      new Set(['ana', 'ben']),
    );
    expect(board.view('ana')).toBeNull();
    expect(board.view('ben')!.stops).toHaveLength(2);
    expect(board.apply({ ...stop('a1', 2, 'ben'), date: '2026-11-25' })).toEqual(new Set(['ben']));
    // A device status update, then its deletion.
    expect(board.apply(device('ben', 'dev-b', { pending: 4 }))).toEqual(new Set(['ben']));
    expect(board.view('ben')!.devices[0].doc.pending).toBe(4);
    board.apply({ _id: 'device:ben~dev-b', _deleted: true });
    expect(board.view('ben')!.devices).toEqual([]);
    // An account rename reaches the reps with a stop there; other docs touch nobody.
    expect(board.apply(accountDoc('b1', { name: 'New name' }))).toEqual(new Set(['ben']));
    expect(board.apply({ _id: 'note:1', type: 'note' })).toEqual(new Set());
  });
});

describe('the day as a timeline', () => {
  it('puts planned windows and visits on an hour grid, coloured by what happened', () => {
    const board = createBoard(DATE);
    board.load([
      stop('a1', 1, 'ana', ['08:00', '09:00']),
      stop('a2', 2, 'ana', ['08:30', '09:30']),
      stop('a3', 3, 'ana', ['09:00', '10:00']),
      stop('a4', 4, 'ana', ['11:00', '12:00']),
      { ...stop('a5', 5, 'ana', ['12:00', '13:00']), status: 'cancelled' as const },
      checkIn('a1', '08:15'),
      checkIn('a1', '08:45', 'check_out'),
      checkIn('a2', '09:40'),
      checkIn('a2', '09:55', 'check_out'),
      checkIn('a3', '10:20'),
    ]);
    const t = buildTimeline(board.view('ana')!.stops, DATE, at('10:30'));
    expect(t.from).toBe(8 * 60);
    expect(t.to).toBe(13 * 60);
    expect(t.hours).toEqual([480, 540, 600, 660, 720, 780]);
    expect(t.now).toBe(630);
    expect(t.rows.map((r) => [r.seq, r.state])).toEqual([
      [1, 'visited'],
      [2, 'late'],
      [3, 'ongoing'],
      [4, 'open'],
      [5, 'closed'],
    ]);
    expect(t.rows[0]).toMatchObject({
      planned: { start: 480, end: 540 },
      actual: { start: 495, end: 525 },
    });
    expect(t.rows[2].actual).toEqual({ start: 620, end: 630 }); // goes on until now
    // Later that day the untouched window has passed; a day after, now is off the grid.
    expect(buildTimeline(board.view('ana')!.stops, DATE, at('12:30')).rows[3].state).toBe('missed');
    expect(
      buildTimeline(board.view('ana')!.stops, DATE, at('12:00') + 24 * 60 * MIN).now,
    ).toBeNull();
    expect(minutesOfDay(DATE, at('00:30'))).toBe(30);
  });
});

describe('board words', () => {
  it('says durations and ages for people', () => {
    expect(agoLabel(20_000)).toBe('just now');
    expect(agoLabel(4 * MIN)).toBe('4 min ago');
    expect(durationLabel(65 * MIN)).toBe('1 h 5 min');
    expect(durationLabel(120 * MIN)).toBe('2 h');
    expect(durationLabel(72 * 60 * MIN)).toBe('3 days');
  });

  it('flags a device not synced for 90 minutes only while its day is in progress', () => {
    const board = createBoard(DATE);
    board.load([
      stop('a1', 1, 'ana', ['09:00', '10:00']),
      stop('a2', 2, 'ana', ['10:00', '11:00']),
    ]);
    const ana = board.view('ana')!;
    const d = device('ana', 'dev-1', { lastSyncAt: iso('07:30'), seenAt: iso('07:30') });
    // 08:50: the day has not begun and nothing was checked in: no flag.
    expect(dayInProgress(ana, DATE, at('08:50'))).toBe(false);
    expect(deviceNotes(d, at('08:50'), { inProgress: false })).toEqual([]);
    // 09:10: under way, synced 100 min ago: flagged.
    expect(dayInProgress(ana, DATE, at('09:10'))).toBe(true);
    expect(deviceNotes(d, at('09:10'), { inProgress: true })).toEqual([
      { kind: 'stale', tone: 'attention', text: 'Not synced for 1 h 40 min' },
    ]);
    expect(deviceNotes(d, at('08:59'), { inProgress: true })).toEqual([]);
    // A check-in it stamped at 09:00 reached the board: it synced since, no flag.
    expect(deviceNotes(d, at('09:10'), { inProgress: true, activityAt: at('09:00') })).toEqual([]);
    // Everything done: not in progress any more.
    board.apply({ ...stop('a1', 1, 'ana'), status: 'done' as const });
    board.apply({ ...stop('a2', 2, 'ana'), status: 'skipped' as const });
    expect(dayInProgress(board.view('ana')!, DATE, at('10:30'))).toBe(false);
  });

  it("reads a device's own writes as signs of life", () => {
    const board = createBoard(DATE);
    board.load([stop('a1', 1, 'ana'), device('ana', 'dev-1')]);
    expect(board.view('ana')!.devices[0].activityAt).toBeNull();
    const event = {
      ...checkIn('a1', '09:05'),
      deviceId: 'dev-1',
      updatedAt: `${String(at('09:05')).padStart(15, '0')}-000000-dev-1`,
    };
    expect(board.apply(event)).toEqual(new Set(['ana']));
    expect(board.view('ana')!.devices[0].activityAt).toBe(at('09:05'));
  });

  it('names problems, storage, versions and clocks', () => {
    const d = device('ana', 'dev-1', {
      problem: { code: 'forbidden', message: '2 changes were refused by the server.' },
      storage: { usage: 950e6, quota: 1e9, persisted: false },
      build: '900',
      clockOffsetMs: -5 * MIN,
      conflicts: 2,
    });
    expect(
      deviceNotes(d, at('08:01'), { inProgress: true, build: '1000' }).map((n) => n.text),
    ).toEqual([
      '2 changes were refused by the server.',
      'Storage 95% full',
      'Storage may be cleared',
      'Older app version',
      'Clock 5 min off',
      '2 to review in the inbox',
    ]);
  });

  it('says how old the board is', () => {
    const idle = {
      state: 'idle' as const,
      online: true,
      pending: 0,
      pushing: false,
      pulling: false,
      lastSuccessAt: iso('10:00'),
      lastError: null,
      docsPushed: 0,
      docsPulled: 0,
    };
    expect(dataAgeWords(idle, at('10:00') + 30_000, 0)).toEqual({
      text: 'Live: up to date with the server (checked just now).',
      live: true,
    });
    expect(dataAgeWords({ ...idle, state: 'offline', online: false }, at('10:12'), 0)).toEqual({
      text: 'Offline: showing what this device last heard from the server, 12 min ago.',
      live: false,
    });
    expect(dataAgeWords(null, at('10:12'), 0).live).toBe(false);
  });
});

describe('the board follows a local db', () => {
  afterEach(destroyMemoryDbs);

  it('reads the day, then applies each change, touching one rep', async () => {
    const db = memoryDb('board');
    await db.bulkDocs([
      stop('a1', 1, 'ana'),
      stop('b1', 1, 'ben'),
      accountDoc('a1', { name: 'Corner Shop' }),
      checkIn('a1', '09:05'),
      { ...checkIn('old', '09:05'), occurredAt: '2026-10-01T09:00:00.000Z' },
      device('ben', 'dev-b'),
    ] as never[]);
    const updates: string[][] = [];
    const feed = followBoard(db, DATE, (touched) => updates.push([...touched].sort()));
    await feed.ready;
    expect(updates[0]).toEqual(['ana', 'ben']);
    expect(feed.model.view('ana')!.stops[0]).toMatchObject({
      accountName: 'Corner Shop',
      checkIn: iso('09:05'),
    });
    await db.put(device('ana', 'dev-a', { pending: 2 }) as never);
    await expect.poll(() => updates.at(-1)).toEqual(['ana']);
    expect(feed.model.view('ana')!.devices[0].doc.pending).toBe(2);
    // The account of a stop added later is read when it is missing.
    await db.put(accountDoc('b1', { name: 'Hill Stores' }) as never);
    await expect.poll(() => feed.model.view('ben')!.stops[0].accountName).toBe('Hill Stores');
    feed.stop();
  });
});
