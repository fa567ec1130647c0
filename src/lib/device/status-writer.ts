/**
 * Keeps this device's status doc (`device:<owner>~<device id>`) in the person's local db; sync
 * carries it like any doc of the person. It hears the sync status, waits for it to settle
 * (a check-in's pending count goes 1 -> 0 within a second online), then reads storage and the
 * open conflicts and asks decideStatusWrite (status.ts) whether a revision is worth it. Writes
 * only while sync reaches the server: a status written offline could tell nobody anything.
 * Runs in the tab that runs the sync (the leader), so one tab writes.
 */
import type { Hlc } from '../clock/hlc';
import type { LocalDb } from '../db/pouch';
import { deviceDocId, type DeviceDoc, type DeviceStorage } from '../domain/device';
import { SCHEMA_VERSION } from '../domain/schema';
import { assertValid } from '../domain/validate';
import { toOutpostError } from '../errors';
import type { SyncStatus } from '../sync/status';
import {
  DEFAULT_STATUS_TIMING,
  decideStatusWrite,
  type DeviceFacts,
  type StatusTiming,
} from './status';

/** Timers, injectable so tests drive time. */
export interface StatusTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface DeviceStatusOptions {
  db: LocalDb;
  /** The person (owner of the doc). */
  user: string;
  /** The device's credential name `<owner>~<device id>` (the doc's key). */
  deviceUser: string;
  /** The session clock: stamps, corrected time and the server offset. */
  clock: Hlc;
  label: string;
  appVersion: string;
  build?: string;
  /** The browser's storage figures (null: it does not say). */
  readStorage(): Promise<DeviceStorage | null>;
  /** Inbox items of the person needing review on this device. */
  openConflicts(): Promise<number>;
  timing?: Partial<StatusTiming>;
  /** How long the sync status must hold still before a look (ms, default 5 s). */
  settleMs?: number;
  timers?: StatusTimers;
  /** Hears failures (a write refused locally); never thrown at the sync. */
  log?(message: string): void;
}

/** The running writer: feed it every sync status; `check` looks now (tests, the bench). */
export interface DeviceStatusWriter {
  update(status: SyncStatus): void;
  /** Looks now and writes if worth it; resolves true when it wrote. */
  check(): Promise<boolean>;
  stop(): void;
}

const realTimers: StatusTimers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Sync reaches the server: the status can be told. */
function reachable(status: SyncStatus): boolean {
  return (
    status.online &&
    (status.state === 'idle' || status.state === 'syncing' || status.state === 'error')
  );
}

/** The status doc for `facts` on top of `prev` (unknown fields of a newer build kept). */
export function deviceStatusDoc(
  prev: DeviceDoc | null,
  id: string,
  user: string,
  facts: DeviceFacts,
  stamp: { hlc: string; deviceId: string },
): DeviceDoc {
  const { build, ...rest } = facts;
  const doc: Record<string, unknown> = {
    ...(prev ?? {}),
    _id: id,
    type: 'device',
    schema: Math.max(prev?.schema ?? 0, SCHEMA_VERSION.device),
    owner: user,
    updatedAt: stamp.hlc,
    updatedBy: user,
    deviceId: stamp.deviceId,
    ...rest,
  };
  if (build !== undefined) doc.build = build;
  delete doc._conflicts;
  return doc as DeviceDoc;
}

/** Starts the writer (it does nothing until the first status). */
export function startDeviceStatus(opts: DeviceStatusOptions): DeviceStatusWriter {
  const timing = { ...DEFAULT_STATUS_TIMING, ...opts.timing };
  const settleMs = opts.settleMs ?? 5000;
  const timers = opts.timers ?? realTimers;
  const log = opts.log ?? (() => {});
  const id = deviceDocId(opts.user, opts.deviceUser.slice(opts.deviceUser.indexOf('~') + 1));
  let status: SyncStatus | null = null;
  let timer: unknown = null;
  let timerAt = Infinity;
  let lastWriteAt: number | null = null;
  /** When the sync status last changed (device ms), and since when a look was put off. */
  let changedAt = -Infinity;
  let putOffSince: number | null = null;
  /**
   * Our last status is itself one of the pending writes until nothing is pending: not counted,
   * or every status written while a push fails would count the one before it.
   */
  let ownPending = false;
  /**
   * Other writes of this device reaching the server show it alive on the board: when the push
   * count goes past what our own status accounts for and nothing waits, it was heard.
   */
  let heardAt: number | null = null;
  let accountedPushes = 0;
  let running: Promise<boolean> | null = null;
  let stopped = false;
  const wall = () => opts.clock.deviceNow();

  /** Looks at `at` (device ms), unless a look is already due sooner. */
  function scheduleAt(at: number, replace = false) {
    if (stopped || (!replace && timer !== null && timerAt <= at)) return;
    if (timer !== null) timers.clear(timer);
    timerAt = at;
    timer = timers.set(
      () => {
        timer = null;
        timerAt = Infinity;
        void run(true);
      },
      Math.max(0, at - wall()),
    );
  }

  async function read(): Promise<DeviceDoc | null> {
    try {
      return (await opts.db.get(id)) as unknown as DeviceDoc;
    } catch (err) {
      if (toOutpostError(err).code === 'not_found') return null;
      throw err;
    }
  }

  async function facts(s: SyncStatus, now: number): Promise<DeviceFacts> {
    const offset = opts.clock.serverOffset();
    const synced = s.lastSuccessAt ? Date.parse(s.lastSuccessAt) : NaN;
    const [storage, conflicts] = await Promise.all([
      opts.readStorage().catch(() => null),
      opts.openConflicts().catch(() => 0),
    ]);
    return {
      label: opts.label,
      appVersion: opts.appVersion,
      ...(opts.build ? { build: opts.build } : {}),
      lastSyncAt: Number.isFinite(synced) ? new Date(synced + offset).toISOString() : null,
      pending: Math.max(0, s.pending - (ownPending ? 1 : 0)),
      problem: s.lastError ? { code: s.lastError.code, message: s.lastError.message } : null,
      storage,
      conflicts,
      clockOffsetMs: Math.round(offset),
      seenAt: new Date(now).toISOString(),
    };
  }

  async function look(settle: boolean): Promise<boolean> {
    const s = status;
    if (!s || !reachable(s) || stopped) return false;
    // Let a burst of status changes settle (bounded: a status that never holds still for
    // `settleMs` is looked at after 12 of them anyway).
    const t = wall();
    if (
      settle &&
      t - changedAt < settleMs &&
      (putOffSince === null || t - putOffSince < 12 * settleMs)
    ) {
      putOffSince ??= t;
      scheduleAt(changedAt + settleMs, true);
      return false;
    }
    putOffSince = null;
    const now = opts.clock.correctedNow();
    const prev = await read();
    const next = await facts(s, now);
    const decision = decideStatusWrite(prev, next, now, lastWriteAt, timing, heardAt);
    if (decision.kind === 'wait') {
      scheduleAt(t + decision.at - now, true);
      return false;
    }
    if (decision.kind === 'skip') {
      if (decision.nextHeartbeatAt !== null) scheduleAt(t + decision.nextHeartbeatAt - now, true);
      return false;
    }
    const doc = deviceStatusDoc(prev, id, opts.user, next, {
      hlc: opts.clock.now(),
      deviceId: opts.clock.deviceId,
    });
    assertValid(doc);
    await opts.db.put(doc as unknown as PouchDB.Core.PutDocument<Record<string, unknown>>);
    lastWriteAt = now;
    ownPending = true;
    accountedPushes = s.docsPushed + 1;
    scheduleAt(t + timing.refreshMs, true);
    return true;
  }

  function run(settle: boolean): Promise<boolean> {
    running ??= look(settle)
      .catch((err: unknown) => {
        log(`device status not written: ${toOutpostError(err).message}`);
        return false;
      })
      .finally(() => (running = null));
    return running;
  }

  return {
    update(next) {
      if (stopped) return;
      const before = status;
      status = next;
      if (next.pending === 0) ownPending = false;
      if (next.docsPushed > accountedPushes && next.pending === 0 && reachable(next)) {
        heardAt = opts.clock.correctedNow();
        accountedPushes = next.docsPushed;
      }
      // A new pending count must hold still before it is told (a check-in's 1 goes back to 0
      // within a second online); the lanes going busy and idle again is no news.
      if (before && before.pending !== next.pending) changedAt = wall();
      const news =
        !before ||
        before.pending !== next.pending ||
        before.lastError?.code !== next.lastError?.code ||
        (before.lastSuccessAt === null) !== (next.lastSuccessAt === null) ||
        reachable(before) !== reachable(next);
      if (news && reachable(next)) scheduleAt(wall() + settleMs);
    },
    check: () => run(false),
    stop() {
      stopped = true;
      if (timer !== null) timers.clear(timer);
      timer = null;
    },
  };
}
