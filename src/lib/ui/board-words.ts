/**
 * The team board in words (pure): how long ago, each device's health and what to do about it,
 * whether a rep's day is in progress, and how old the board's own data is.
 */
import { isStale, lastSyncTime, storageLow, STALE_AFTER_MS } from '$lib/device/health';
import type { DeviceDoc } from '$lib/domain/device';
import type { SyncStatus } from '$lib/sync';
import type { RepView } from '$lib/team/board';
import { minutesOfDay } from '$lib/team/timeline';
import { sizeLabel } from './sync-words';

const MIN = 60_000;

/** A duration for people: "under a minute", "4 min", "1 h 5 min", "3 h", "2 days". */
export function durationLabel(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / MIN);
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  return `${Math.floor(hours / 24)} days`;
}

/** "just now", "4 min ago", "1 h 5 min ago". */
export function agoLabel(ms: number): string {
  return ms < MIN ? 'just now' : `${durationLabel(ms)} ago`;
}

/**
 * True while a rep's day is under way at corrected time `now`: stops are still open, and she
 * started (a check-in) or the first window has begun; until 06:00 the next morning (a day that
 * runs late is still that day).
 */
export function dayInProgress(view: RepView, date: string, now: number): boolean {
  if (view.open === 0 || view.stops.length === 0) return false;
  const minute = minutesOfDay(date, now);
  if (minute >= 30 * 60) return false;
  if (view.started) return minute >= -60;
  const first = Math.min(
    ...view.stops.map((s) => {
      const [h, m] = s.stop.window.start.split(':').map(Number);
      return h * 60 + m;
    }),
  );
  return minute >= first;
}

/** One thing to say about a device; `attention` ones are flagged. */
export interface DeviceNote {
  kind: 'stale' | 'problem' | 'storage' | 'not-kept' | 'version' | 'clock' | 'conflicts';
  text: string;
  tone: 'attention' | 'warn' | 'info';
}

/** Everything that needs saying about a device, most urgent first. */
export function deviceNotes(
  device: DeviceDoc,
  now: number,
  ctx: { inProgress: boolean; build?: string; staleAfterMs?: number; activityAt?: number | null },
): DeviceNote[] {
  const notes: DeviceNote[] = [];
  const activityAt = ctx.activityAt ?? null;
  if (ctx.inProgress && isStale(device, now, ctx.staleAfterMs ?? STALE_AFTER_MS, activityAt)) {
    const since = lastSyncTime(device, activityAt);
    notes.push({
      kind: 'stale',
      tone: 'attention',
      text: Number.isFinite(since)
        ? `Not synced for ${durationLabel(now - since)}`
        : 'Never synced',
    });
  }
  if (device.problem) {
    notes.push({ kind: 'problem', tone: 'attention', text: device.problem.message });
  }
  if (storageLow(device)) {
    const s = device.storage!;
    notes.push({
      kind: 'storage',
      tone: 'attention',
      text: `Storage ${Math.round((s.usage / s.quota) * 100)}% full`,
    });
  }
  if (device.storage?.persisted === false) {
    notes.push({ kind: 'not-kept', tone: 'warn', text: 'Storage may be cleared' });
  }
  if (ctx.build && device.build && /^\d+$/.test(ctx.build) && /^\d+$/.test(device.build)) {
    if (Number(device.build) < Number(ctx.build))
      notes.push({ kind: 'version', tone: 'warn', text: 'Older app version' });
  }
  if (Math.abs(device.clockOffsetMs) >= 2 * MIN) {
    notes.push({
      kind: 'clock',
      tone: 'warn',
      text: `Clock ${durationLabel(Math.abs(device.clockOffsetMs))} off`,
    });
  }
  if (device.conflicts > 0) {
    notes.push({
      kind: 'conflicts',
      tone: 'info',
      text: `${device.conflicts} to review in the inbox`,
    });
  }
  return notes;
}

/** "12 MB of 2 GB" ("not reported" when the browser does not say). */
export function storageWords(device: DeviceDoc): string {
  const s = device.storage;
  return s ? `${sizeLabel(s.usage)} of ${sizeLabel(s.quota)}` : 'not reported';
}

/** "3 writes waiting" / "Nothing waiting". */
export function pendingWords(pending: number): string {
  if (pending === 0) return 'Nothing waiting';
  return `${pending} ${pending === 1 ? 'write' : 'writes'} waiting`;
}

/** How fresh the board is: live, or what this device last heard from the server and when. */
export function dataAgeWords(
  status: SyncStatus | null,
  now: number,
  offsetMs: number,
): { text: string; live: boolean } {
  if (!status)
    return { text: 'This device does not sync: the board shows what it holds.', live: false };
  const heard = status.lastSuccessAt ? Date.parse(status.lastSuccessAt) + offsetMs : NaN;
  const age = Number.isFinite(heard) ? agoLabel(now - heard) : null;
  const live = status.online && (status.state === 'idle' || status.state === 'syncing');
  if (live) return { text: `Live: up to date with the server (checked ${age ?? 'now'}).`, live };
  const why = status.online ? 'Not syncing' : 'Offline';
  return {
    text: age
      ? `${why}: showing what this device last heard from the server, ${age}.`
      : `${why}: nothing heard from the server yet.`,
    live,
  };
}
