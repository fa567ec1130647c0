/** A repo on a fresh memory db, driven by a fake wall clock. */
import { createRepo, type Repo } from '$lib/repo';
import type { LocalDb } from '$lib/db/pouch';
import type { Hlc } from '$lib/clock/hlc';
import { fakeHlc, memoryDb, type FakeWallClock } from './memory-db';

export interface TestRepo {
  db: LocalDb;
  clock: Hlc;
  wall: FakeWallClock;
  repo: Repo;
}

export function testRepo(
  opts: { user?: string; role?: 'rep' | 'supervisor'; deviceId?: string; db?: LocalDb } = {},
): TestRepo {
  const db = opts.db ?? memoryDb();
  const { clock, wall } = fakeHlc(opts.deviceId ?? `dev-${opts.user ?? 'ana'}`);
  const repo = createRepo(db, { user: opts.user ?? 'ana', role: opts.role ?? 'rep', clock });
  return { db, clock, wall, repo };
}

/** Runs a promise that must fail and returns its error. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Record<string, unknown>;
  }
  throw new Error('Expected the promise to reject, but it resolved.');
}
