/** Shared test helpers: fresh in-memory PouchDB databases and a controllable wall clock. */
import memory from './memory-adapter';
import { openLocalDb, registerAdapter, type LocalDb } from '$lib/db/pouch';
import { createHlc, type Hlc } from '$lib/clock/hlc';

registerAdapter(memory);

let counter = 0;
const opened: LocalDb[] = [];

/** A fresh, uniquely named memory database. Call `destroyMemoryDbs()` in afterEach. */
export function memoryDb(prefix = 'unit'): LocalDb {
  counter += 1;
  const name = `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
  const db = openLocalDb(name, 'memory');
  opened.push(db);
  return db;
}

/** Destroys every database made by memoryDb since the last call. */
export async function destroyMemoryDbs(): Promise<void> {
  const dbs = opened.splice(0);
  await Promise.all(dbs.map((db) => db.destroy().catch(() => undefined)));
}

/** A wall clock the test moves by hand. */
export interface FakeWallClock {
  /** The WallClock function to pass to createHlc. */
  (): number;
  /** Sets the time (ms since the epoch or an ISO string). */
  set(time: number | string): void;
  /** Moves the time by `ms` (negative goes back). */
  advance(ms: number): void;
}

/** A fake wall clock starting at `start` (default 2026-11-22T08:00:00.000Z). */
export function fakeWallClock(start: number | string = '2026-11-22T08:00:00.000Z'): FakeWallClock {
  const toMs = (t: number | string) => (typeof t === 'number' ? t : Date.parse(t));
  let now = toMs(start);
  const clock = (() => now) as FakeWallClock;
  clock.set = (t) => {
    now = toMs(t);
  };
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}

/** An HLC for a device driven by a fake wall clock. */
export function fakeHlc(
  deviceId = 'dev-test',
  start?: number | string,
): { clock: Hlc; wall: FakeWallClock } {
  const wall = fakeWallClock(start);
  return { clock: createHlc({ deviceId, wallClock: wall }), wall };
}
