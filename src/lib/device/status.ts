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
  /** Least time between two writes (default 5 min): "at most every few minutes". */
  minIntervalMs: number;
  /** A heartbeat while sync works and nothing else changed (default 45 min). */
  refreshMs: number;
}

/**
 * Every status revision costs a push round (its body, the checkpoint, the pull's notice: about
 * 5 KB on the wire, bench/status-bytes.ts) and one more entry in the history every later push
 * of the doc carries: so few, and the board reads a device's other writes as signs of life too.
 */
export const DEFAULT_STATUS_TIMING: StatusTiming = {
  minIntervalMs: 5 * 60_000,
  refreshMs: 45 * 60_000,
};

/** Clock offsets closer than this are the same (the Date header has one-second steps). */
const OFFSET_STEP_MS = 5000;
/** Storage shares (of the quota) closer than this are the same. */
const SHARE_STEP = 0.05;

const share = (s: DeviceStorage) => (s.quota > 0 ? s.usage / s.quota : 0);

/**
 * True when storage moved enough to matter for running out: kept or not, the quota by a tenth,
 * or the share used by five points (a day's photos move a 2 GB quota by less than one).
 */
export function storageMoved(a: DeviceStorage | null, b: DeviceStorage | null): boolean {
  if (!a || !b) return a !== b;
  if (a.persisted !== b.persisted) return true;
  if (Math.abs(a.quota - b.quota) > 0.1 * Math.max(a.quota, b.quota)) return true;
  return Math.abs(share(a) - share(b)) >= SHARE_STEP;
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
 * last status write of this device having been at `lastWriteAt` (ms, corrected; null: unknown,
 * then the stored `seenAt` counts). `heardAt` (ms) is when other writes of this device last
 * reached the server: the board sees those too, so they put the heartbeat off.
 */
export function decideStatusWrite(
  prev: Partial<DeviceDoc> | null,
  next: DeviceFacts,
  now: number,
  lastWriteAt: number | null,
  timing: StatusTiming = DEFAULT_STATUS_TIMING,
  heardAt: number | null = null,
): StatusDecision {
  if (!prev) return { kind: 'write' };
  const wroteAt = lastWriteAt ?? time(prev.seenAt);
  const earliest = Number.isFinite(wroteAt) ? wroteAt + timing.minIntervalMs : now;
  if (materialChange(prev, next)) {
    return now >= earliest ? { kind: 'write' } : { kind: 'wait', at: earliest };
  }
  // Nothing people act on changed: a heartbeat once `refreshMs` passed with nothing of this
  // device heard, if sync worked since.
  const base = Math.max(Number.isFinite(wroteAt) ? wroteAt : -Infinity, heardAt ?? -Infinity);
  const heartbeatAt = (Number.isFinite(base) ? base : now) + timing.refreshMs;
  const syncedSince = time(next.lastSyncAt) > (time(prev.lastSyncAt) || 0);
  if (now >= heartbeatAt && syncedSince) return { kind: 'write' };
  return { kind: 'skip', nextHeartbeatAt: Math.max(heartbeatAt, now) };
}
