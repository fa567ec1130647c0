/**
 * When the consistency check (consistency.ts) runs: once per session after the first sync (sign-in
 * or app start), after an offline period longer than `offlineMs`, and otherwise at most every
 * `intervalMs`, always only while online with every lane idle. A failed check (network, a lane
 * that did not settle) is tried again after `retryMs`. Pure: the caller tells it what sync is
 * doing and arms a timer for `nextIn()`.
 */

/** Default gap between two periodic checks. */
export const CHECK_INTERVAL_MS = 4 * 60 * 60 * 1000;
/** An offline period longer than this is followed by a check. */
export const CHECK_AFTER_OFFLINE_MS = 60 * 60 * 1000;
/** A failed check is tried again after this long. */
export const CHECK_RETRY_MS = 10 * 60 * 1000;

/** Why a check is due. */
export type CheckReason = 'session' | 'offline' | 'periodic';

export interface CheckScheduleOptions {
  now: () => number;
  intervalMs?: number;
  offlineMs?: number;
  retryMs?: number;
}

export interface CheckSchedule {
  /** Hears whether sync is online and idle now; returns the reason a check is due now, or null. */
  observe(state: { online: boolean; idle: boolean }): CheckReason | null;
  /** Milliseconds until a check becomes due while nothing else changes, or null. */
  nextIn(): number | null;
  /** A check started (the due one, or one asked for): it is no longer due. */
  started(): void;
  /** The check finished (`ok`) or failed (tried again after `retryMs`). */
  finished(ok: boolean): void;
}

/** Creates the schedule; the session's first check is due at once. */
export function createCheckSchedule(opts: CheckScheduleOptions): CheckSchedule {
  const intervalMs = opts.intervalMs ?? CHECK_INTERVAL_MS;
  const offlineMs = opts.offlineMs ?? CHECK_AFTER_OFFLINE_MS;
  const retryMs = opts.retryMs ?? CHECK_RETRY_MS;
  let reason: CheckReason | null = 'session';
  /** The reason of the check running now (kept to be due again if it fails). */
  let running: CheckReason | null = null;
  let lastRunAt: number | null = null;
  let offlineSince: number | null = null;
  let notBefore = 0;

  return {
    observe({ online, idle }) {
      const now = opts.now();
      if (!online) {
        offlineSince ??= now;
        return null;
      }
      if (offlineSince !== null) {
        if (now - offlineSince > offlineMs) reason ??= 'offline';
        offlineSince = null;
      }
      if (lastRunAt !== null && now - lastRunAt >= intervalMs) reason ??= 'periodic';
      if (!idle || running !== null || reason === null || now < notBefore) return null;
      return reason;
    },
    nextIn() {
      if (running !== null) return null;
      const now = opts.now();
      if (reason !== null) return Math.max(0, notBefore - now);
      if (lastRunAt === null) return null;
      return Math.max(0, lastRunAt + intervalMs - now);
    },
    started() {
      running = reason ?? 'periodic';
      reason = null;
    },
    finished(ok) {
      const now = opts.now();
      if (ok) lastRunAt = now;
      else {
        reason ??= running;
        notBefore = now + retryMs;
      }
      running = null;
    },
  };
}
