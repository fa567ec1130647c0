/**
 * A device's health from its status doc (pure), the same words for the team board and for
 * `/metrics`: a sync problem first, then storage running out, then silence.
 */
import type { DeviceDoc } from '../domain/device';

export type DeviceHealth = 'problem' | 'storage' | 'stale' | 'ok';

/**
 * A device that has not synced for this long is stale (default 90 min: two missed heartbeats of
 * the status writer, src/lib/device/status.ts).
 */
export const STALE_AFTER_MS = 90 * 60_000;
/** Storage this full (of the browser's quota) is running out. */
export const STORAGE_LOW_SHARE = 0.9;

type Status = Pick<DeviceDoc, 'lastSyncAt' | 'seenAt' | 'problem' | 'storage'>;

/**
 * When the device last synced (ms): its status says so, or it wrote something that came
 * through since (`activityAt`, ms: a check-in it stamped); NaN when unknown.
 */
export function lastSyncTime(
  doc: Pick<Status, 'lastSyncAt' | 'seenAt'>,
  activityAt: number | null = null,
): number {
  const synced = doc.lastSyncAt ? Date.parse(doc.lastSyncAt) : NaN;
  const own = Number.isFinite(synced) ? synced : Date.parse(doc.seenAt);
  return activityAt !== null && (!Number.isFinite(own) || activityAt > own) ? activityAt : own;
}

/** True when the device has not synced for `staleAfterMs` at corrected time `now`. */
export function isStale(
  doc: Status,
  now: number,
  staleAfterMs = STALE_AFTER_MS,
  activityAt: number | null = null,
): boolean {
  const t = lastSyncTime(doc, activityAt);
  return !Number.isFinite(t) || now - t >= staleAfterMs;
}

/** True when the app uses `STORAGE_LOW_SHARE` of what the browser allows. */
export function storageLow(doc: Pick<Status, 'storage'>): boolean {
  const s = doc.storage;
  return !!s && s.quota > 0 && s.usage / s.quota >= STORAGE_LOW_SHARE;
}

/** The device's health at `now`: problem, storage, stale or ok. */
export function deviceHealth(
  doc: Status,
  now: number,
  staleAfterMs = STALE_AFTER_MS,
): DeviceHealth {
  if (doc.problem) return 'problem';
  if (storageLow(doc)) return 'storage';
  if (isStale(doc, now, staleAfterMs)) return 'stale';
  return 'ok';
}
