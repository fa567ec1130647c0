/**
 * What a device says about itself in its status doc (src/lib/domain/device.ts), and when saying
 * it again is worth a revision (pure). A status doc is written when something an admin or a
 * supervisor would act on changed (pending writes, a sync problem, storage, version, conflicts,
 * the clock), and otherwise only as a heartbeat every `refreshMs` while sync works, so the
 * board can tell a quiet device from a silent one. Small drifts (storage growing by a few
 * kilobytes, the clock offset's one-second jitter) are no change: no churn.
 */
import type { DeviceDoc, DeviceProblem, DeviceStorage } from '../domain/device';

/** The fields of a status doc the device fills (the rest is the repo's stamp). */
export interface DeviceFacts {
  label: string;
  appVersion: string;
  build?: string;
  lastSyncAt: string | null;
  pending: number;
  problem: DeviceProblem | null;
  storage: DeviceStorage | null;
  conflicts: number;
  clockOffsetMs: number;
  seenAt: string;
}

/** How often a status is written (ms). */
export interface StatusTiming {
  /** Least time between two writes (default 3 min): "at most every few minutes". */
  minIntervalMs: number;
  /** A heartbeat while sync works and nothing else changed (default 15 min). */
  refreshMs: number;
}

export const DEFAULT_STATUS_TIMING: StatusTiming = {
  minIntervalMs: 3 * 60_000,
  refreshMs: 15 * 60_000,
};

const MB = 1024 * 1024;
/** Clock offsets closer than this are the same (the Date header has one-second steps). */
const OFFSET_STEP_MS = 5000;

/** True when storage moved enough to matter: kept or not, a tenth of the usage, or the quota. */
export function storageMoved(a: DeviceStorage | null, b: DeviceStorage | null): boolean {
  if (!a || !b) return a !== b;
  if (a.persisted !== b.persisted) return true;
  if (Math.abs(a.quota - b.quota) > 0.1 * Math.max(a.quota, b.quota)) return true;
  return Math.abs(a.usage - b.usage) > Math.max(MB, 0.1 * a.usage);
}

/**
 * True when `next` says something `prev` does not: the fields people act on. Times (last
 * seen, last sync) and the problem's wording are left out (the wording carries counts).
 */
export function materialChange(prev: Partial<DeviceDoc>, next: DeviceFacts): boolean {
  return (
    prev.label !== next.label ||
    prev.appVersion !== next.appVersion ||
    prev.build !== next.build ||
    prev.pending !== next.pending ||
    prev.conflicts !== next.conflicts ||
    (prev.problem?.code ?? null) !== (next.problem?.code ?? null) ||
    storageMoved(prev.storage ?? null, next.storage) ||
    Math.abs((prev.clockOffsetMs ?? 0) - next.clockOffsetMs) >= OFFSET_STEP_MS ||
    (prev.lastSyncAt === null) !== (next.lastSyncAt === null)
  );
}

/** What to do with a status now: write it, wait until `at` (ms) and look again, or nothing. */
export type StatusDecision =
  | { kind: 'write' }
  | { kind: 'wait'; at: number }
  | { kind: 'skip'; nextHeartbeatAt: number | null };

const time = (iso: string | null | undefined) => (iso ? Date.parse(iso) : NaN);

/**
 * Decides whether to write `next` over `prev` (null: none yet) at corrected time `now`, the
 * last write of this device having been at `lastWriteAt` (ms, corrected; null: unknown, then
 * the stored `seenAt` counts).
 */
export function decideStatusWrite(
  prev: Partial<DeviceDoc> | null,
  next: DeviceFacts,
  now: number,
  lastWriteAt: number | null,
  timing: StatusTiming = DEFAULT_STATUS_TIMING,
): StatusDecision {
  if (!prev) return { kind: 'write' };
  const wroteAt = lastWriteAt ?? time(prev.seenAt);
  const earliest = Number.isFinite(wroteAt) ? wroteAt + timing.minIntervalMs : now;
  if (materialChange(prev, next)) {
    return now >= earliest ? { kind: 'write' } : { kind: 'wait', at: earliest };
  }
  // Nothing people act on changed: a heartbeat once `refreshMs` passed, if sync worked since.
  const heartbeatAt = (Number.isFinite(wroteAt) ? wroteAt : now) + timing.refreshMs;
  const syncedSince = time(next.lastSyncAt) > (time(prev.lastSyncAt) || 0);
  if (now >= heartbeatAt && syncedSince) return { kind: 'write' };
  return { kind: 'skip', nextHeartbeatAt: Math.max(heartbeatAt, now) };
}
