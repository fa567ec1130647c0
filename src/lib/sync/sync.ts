/**
 * The sync client (DESIGN.md section 7): one live pull lane and two live push lanes between the
 * local db and the user's CouchDB db (critical docs, then photos in their own media lane that
 * waits while the critical lane has work), retrying with a jittered back-off, stopping for good
 * on 401/403 until new credentials arrive, and publishing a status snapshot the UI can show.
 * After the media lane caught up, full images the server has had for a day leave the device.
 */
import type { LocalDb } from '../db/pouch';
import { isPhotoId } from '../domain/photo';
import { classifySyncError, isRefusal, type SyncProblem } from './classify';
import { createBackoff, type Backoff, type BackoffOptions } from './backoff';
import { evictConfirmedPhotos, EVICT_AFTER_MS } from './evict';
import { createCheckSchedule, type CheckScheduleOptions } from './check-schedule';
import { checkConsistency, type CheckResult } from './consistency';
import { createLaneGate } from './gate';
import { startPullLane, type AnyDb, type Lane, type LaneHandlers } from './lane';
import { startPushLane } from './push-lane';
import { createPulledRevs } from './pulled-revs';
import type { PullTrace } from './pull-trace';
import { createPendingTracker, type PendingTracker } from './pending';
import { createReferencePuller } from './reference';
import type { Credentials, HttpFetch, RemoteConnection } from './remote';
import {
  deriveStatus,
  sameStatus,
  type LanePhase,
  type PhotoUpload,
  type StatusInput,
  type SyncStatus,
} from './status';

/**
 * Docs per replication round. The pull lane is PouchDB's replicator (its default, 100, gave
 * about 0.2 of raw `_bulk_docs` throughput here); the push lane (push-lane.ts) pipelines its
 * rounds. 1000 docs is about 350 KB per `_bulk_docs` here: past it the gain was small while
 * request bodies and memory grow. Figures: docs/PERFORMANCE.md (`npm run bench`).
 */
export const DEFAULT_BATCH_SIZE = 1000;
/** Batches the pull lane reads ahead of the one being written (2-10 measured the same; 4 bounds memory). */
export const DEFAULT_BATCHES_LIMIT = 4;
/**
 * A watchdog: a sync that has been idle this long starts its lanes again (one checkpoint read and
 * one `_changes` request). A live feed can stall without an error (a connection a network
 * middlebox keeps open but no longer delivers on; the chaos harness saw devices miss a server
 * change for the whole settle bound); like CouchDB's replication scheduler, which restarts its
 * jobs, this bounds how long a device can go without noticing a server change.
 */
export const IDLE_RESTART_MS = 120_000;

export interface SyncOptions {
  /** This device: docs with `deviceId` equal to it count as pending until pushed. */
  deviceId: string;
  /** Back-off for retries (default 1 s doubling to 30 s, +-50%). */
  backoff?: BackoffOptions;
  batchSize?: number;
  batchesLimit?: number;
  /** Called with each batch of pulled docs (hook for the conflict resolver). */
  onPulled?(docs: Record<string, unknown>[]): void | Promise<void>;
  /** Wall clock for `lastSuccessAt` (default Date.now). */
  now?: () => number;
  /** The browser's idea of connectivity (default navigator.onLine, true in node). */
  isOnline?: () => boolean;
  /**
   * Photos in their own push lane behind critical docs (default true). False pushes them in
   * the one push lane with everything else (the benchmark's comparison).
   */
  photoLane?: boolean;
  /** How long a full image stays on the device after the server confirmed it (default 24 h). */
  evictAfterMs?: number;
  /** All lanes idle this long restart (default IDLE_RESTART_MS; 0 = never). */
  idleRestartMs?: number;
  /**
   * The team's reference db and its local copy: pulled once each time the lanes start
   * (reference.ts). Its remote should share the main remote's credentials.
   */
  reference?: { local: AnyDb; remote: AnyDb };
  /** Receives every step of the pull lane (diagnosis; pull-trace.ts). */
  pullTrace?: PullTrace;
  /**
   * When the consistency check runs (check-schedule.ts: after the first sync, after an hour
   * offline, every 4 h; clock from `now`); false never runs it on its own (`check()` still does).
   */
  check?: Omit<CheckScheduleOptions, 'now'> | false;
}

/** Longest wait for the lanes' fresh round before a check heals (else it tries again later). */
const CHECK_SETTLE_MS = 60_000;

/** Photo uploads listed in the status at most (the oldest synced ones leave first). */
const MAX_LISTED_PHOTOS = 200;

type Direction = 'pull' | 'push' | 'media';

/**
 * Why the lanes restart; the browser's events ('online', 'offline', 'visible') are ignored
 * while the credential is refused.
 */
export type RestartReason = 'online' | 'offline' | 'visible' | 'manual' | 'credentials' | 'remote';

/** Controls and observes a running sync. */
export interface SyncController {
  /** The current snapshot. */
  readonly status: SyncStatus;
  /** Calls `listener` now and on every change (a Svelte-store-compatible subscribe). */
  subscribe(listener: (status: SyncStatus) => void): () => void;
  /** Restarts both lanes now with the back-off reset (the "Sync now" button). */
  syncNow(): void;
  /** Restarts both lanes now, unless the server refused the credential and `reason` is a trigger. */
  restart(reason: RestartReason): void;
  /** Uses new credentials (remote from openRemoteDb) and restarts, leaving 'unauthorized'. */
  setCredentials(credentials: Credentials): void;
  /** Switches to another remote db handle and restarts. */
  setRemote(remote: AnyDb): void;
  /**
   * Runs the consistency check now (or joins the one running) and resolves with its result, or
   * null when it could not finish (offline, stopped). Heals are counted in the status.
   */
  check(): Promise<CheckResult | null>;
  /** Stops both lanes and the pending count; resolves when PouchDB let go of them. */
  stop(): Promise<void>;
}

const defaultOnline = () =>
  typeof navigator !== 'undefined' && typeof navigator.onLine === 'boolean'
    ? navigator.onLine
    : true;

function connectionOf(remote: AnyDb): RemoteConnection | null {
  return (remote as AnyDb & { connection?: RemoteConnection }).connection ?? null;
}

/** Starts live pull + push between `local` and `remote`; returns the controller. */
export function startSync(local: LocalDb, remote: AnyDb, opts: SyncOptions): SyncController {
  const now = opts.now ?? Date.now;
  const isOnline = opts.isOnline ?? defaultOnline;
  const photoLane = opts.photoLane ?? true;
  const backoffs: Record<Direction, Backoff> = {
    pull: createBackoff(opts.backoff),
    push: createBackoff(opts.backoff),
    media: createBackoff(opts.backoff),
  };
  const tuning = {
    batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
    batchesLimit: opts.batchesLimit ?? DEFAULT_BATCHES_LIMIT,
  };
  const input: StatusInput = {
    stopped: false,
    auth: null,
    browserOnline: isOnline(),
    push: 'starting',
    pull: 'starting',
    media: photoLane ? 'starting' : 'idle',
    laneError: null,
    denied: 0,
    pending: 0,
    lastSuccessAt: null,
    docsPushed: 0,
    docsPulled: 0,
    photos: [],
    photosPending: 0,
    heals: 0,
    lastHeal: null,
  };
  const uploads = new Map<string, PhotoUpload>();
  const pulled = createPulledRevs();
  let evicting = false;
  const listeners = new Set<(status: SyncStatus) => void>();
  let status = deriveStatus(input);
  // The consistency check (consistency.ts): when it is due, the one running, who waits for idle.
  const schedule =
    opts.check === false ? null : createCheckSchedule({ now, ...(opts.check ?? {}) });
  let checkTimer: ReturnType<typeof setTimeout> | undefined;
  let checking: Promise<CheckResult | null> | null = null;
  const idleWaiters = new Set<() => void>();

  let notifyQueued = false;
  let lanes: Lane[] = [];
  let generation = 0;
  let reconciled = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let tracker: PendingTracker = track();
  const reference = opts.reference
    ? createReferencePuller(opts.reference.local, opts.reference.remote, {
        remoteKey: connectionOf(opts.reference.remote)?.url ?? opts.reference.remote.name,
        batchSize: tuning.batchSize,
        now,
        onPhase(phase) {
          input.reference = phase;
          update();
        },
      })
    : null;

  function track(): PendingTracker {
    return createPendingTracker(local, {
      deviceId: opts.deviceId,
      remoteKey: connectionOf(remote)?.url ?? remote.name,
      onCount(count, photos) {
        input.pending = count;
        input.photosPending = photos;
        update();
      },
    });
  }

  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const idleRestartMs = opts.idleRestartMs ?? IDLE_RESTART_MS;
  /** Arms the watchdog while idle, disarms it otherwise. */
  function watchIdle() {
    if (status.state !== 'idle' || input.stopped || idleRestartMs <= 0) {
      clearTimeout(idleTimer);
      idleTimer = undefined;
      return;
    }
    idleTimer ??= setTimeout(() => {
      idleTimer = undefined;
      if (status.state === 'idle' && !input.stopped) startLanes();
    }, idleRestartMs);
  }

  function update() {
    input.browserOnline = isOnline();
    const next = deriveStatus(input);
    if (sameStatus(status, next)) return;
    status = next;
    watchIdle();
    watchCheck();
    for (const waiter of [...idleWaiters]) waiter();
    if (notifyQueued) return;
    notifyQueued = true;
    queueMicrotask(() => {
      notifyQueued = false;
      for (const listener of [...listeners]) listener(status);
    });
  }

  const classify = (err: unknown) =>
    classifySyncError(err, connectionOf(remote)?.lastStatus() ?? null);

  function refused(problem: SyncProblem) {
    connectionOf(remote)?.suspend();
    input.auth = {
      code: problem.status === 403 ? 'forbidden' : 'unauthorized',
      status: problem.status ?? 401,
    };
    void stopLanes(); // no hammering: nothing more until new credentials or "Sync now"
    update();
  }

  /** Follows one photo through the media lane; a new run starts once the last one finished. */
  function uploaded(upload: PhotoUpload & { rev: string }) {
    const finished = [...uploads.values()].every(
      (u) => u.state === 'synced' || u.state === 'refused',
    );
    if (upload.state === 'waiting' && finished && !uploads.has(upload.id)) uploads.clear();
    uploads.set(upload.id, { id: upload.id, state: upload.state, bytes: upload.bytes }); // keeps its place
    for (const id of uploads.keys()) {
      if (uploads.size <= MAX_LISTED_PHOTOS) break;
      uploads.delete(id);
    }
    if (upload.state === 'synced') tracker.confirmDoc(upload.id, upload.rev);
    input.photos = [...uploads.values()];
    update();
  }

  /** Drops the full images the server has had long enough (best effort: next time otherwise). */
  function evict() {
    if (evicting) return;
    evicting = true;
    evictConfirmedPhotos(local, remote, { now, afterMs: opts.evictAfterMs ?? EVICT_AFTER_MS })
      .catch(() => undefined)
      .finally(() => (evicting = false));
  }

  /** Docs written to the device from the server (a pulled batch, or a heal). */
  function written(docs: Record<string, unknown>[]) {
    input.docsPulled += docs.length;
    pulled.add(docs);
    if (opts.onPulled) {
      Promise.resolve()
        .then(() => opts.onPulled?.(docs))
        .catch(() => undefined); // the hook reports its own failures
    }
  }

  /** Tells the schedule what sync is doing; starts a due check, or arms a timer for the next. */
  function watchCheck() {
    clearTimeout(checkTimer);
    checkTimer = undefined;
    if (!schedule || input.stopped) return;
    const idle = status.state === 'idle';
    const reason = schedule.observe({ online: status.online && !input.auth, idle });
    if (reason && !checking) {
      void runCheck();
      return;
    }
    const next = schedule.nextIn();
    if (idle && next !== null) checkTimer = setTimeout(watchCheck, next);
  }

  /** Restarts the lanes and resolves true once every one is idle again (false: not in time). */
  function settleLanes(): Promise<boolean> {
    if (input.stopped) return Promise.resolve(false);
    startLanes();
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        idleWaiters.delete(waiter);
        resolve(ok);
      };
      const waiter = () => {
        if (input.stopped) done(false);
        else if (status.state === 'idle') done(true);
      };
      const timer = setTimeout(() => done(false), CHECK_SETTLE_MS);
      idleWaiters.add(waiter);
    });
  }

  /** Runs one consistency check and counts what it healed. */
  function runCheck(): Promise<CheckResult | null> {
    schedule?.started();
    clearTimeout(checkTimer);
    const run = checkConsistency(local, remote as AnyDb & HttpFetch, {
      deviceId: opts.deviceId,
      now,
      settle: settleLanes,
      pulled: (docs) => {
        if (!input.stopped) written(docs);
      },
    }).then(
      (result) => {
        if (result.healed) {
          input.heals =
            (input.heals ?? 0) + result.healed.pulled.length + result.healed.pushed.length;
          input.lastHeal = result.healed;
        }
        schedule?.finished(!input.stopped);
        return result;
      },
      () => {
        schedule?.finished(false);
        return null;
      },
    );
    checking = run;
    void run.finally(() => {
      checking = null;
      update();
      watchCheck();
    });
    return run;
  }

  function handlers(direction: Direction, gen: number): LaneHandlers {
    const current = () => gen === generation && !input.stopped;
    const success = () => {
      input.lastSuccessAt = new Date(now()).toISOString();
    };
    return {
      phase(phase: LanePhase, error?: unknown) {
        if (!current()) return;
        if (phase === 'retrying') {
          const problem = classify(error);
          if (isRefusal(problem)) return refused(problem);
          input.laneError = problem;
        }
        input[direction] = phase;
        if (input.push !== 'retrying' && input.pull !== 'retrying' && input.media !== 'retrying') {
          input.laneError = null;
        }
        if (phase === 'idle') {
          success();
          if (direction === 'push' && !reconciled) {
            reconciled = true;
            tracker.reconcile(remote).catch(() => (reconciled = false));
          }
          if (direction === 'media' || (direction === 'push' && !photoLane)) evict();
        }
        update();
      },
      change(docs) {
        if (!current()) return;
        success();
        if (direction !== 'pull') input.docsPushed += docs.length;
        else written(docs);
        update();
      },
      checkpoint(seq) {
        if (!current() || direction === 'pull') return;
        if (direction === 'media') tracker.confirm(seq, 'media');
        else {
          tracker.confirm(seq, 'critical');
          if (!photoLane) tracker.confirm(seq, 'media');
        }
      },
      denied() {
        if (!current()) return;
        input.denied += 1;
        update();
      },
      fatal(error) {
        if (!current()) return;
        const problem = classify(error);
        if (isRefusal(problem)) return refused(problem);
        // Not retried by PouchDB: start again after the lane's back-off.
        input[direction] = 'retrying';
        input.laneError = problem;
        update();
        clearTimeout(retryTimer);
        retryTimer = setTimeout(() => startLanes(), backoffs[direction].next());
      },
    };
  }

  async function stopLanes(): Promise<void> {
    generation += 1;
    clearTimeout(retryTimer);
    const running = lanes;
    lanes = [];
    await Promise.all(running.map((lane) => lane.cancel()));
  }

  function startLanes() {
    void stopLanes();
    if (input.stopped) return;
    const gen = generation;
    reconciled = false;
    input.laneError = null; // `denied` stays: the push lane has checkpointed past those docs
    input.push = 'starting';
    input.pull = 'starting';
    input.media = photoLane ? 'starting' : 'idle';
    // The pull lane reads the server's changes only while no own write is on its way up.
    const sending = createLaneGate(true);
    const pull = startPullLane(local, remote, {
      ...tuning,
      remoteKey: connectionOf(remote)?.url ?? remote.name,
      backoff: backoffs.pull,
      on: handlers('pull', gen),
      waitFor: sending,
      ...(opts.pullTrace ? { trace: opts.pullTrace } : {}),
    });
    const gate = createLaneGate();
    const push = startPushLane(local, remote, {
      ...tuning,
      backoff: backoffs.push,
      on: handlers('push', gen),
      pulled,
      ownDeviceId: opts.deviceId,
      sending,
      ...(photoLane ? { carries: (id: string) => !isPhotoId(id), busy: gate } : {}),
    });
    lanes = [pull, push];
    if (photoLane) {
      const media = startPushLane(local, remote, {
        ...tuning,
        backoff: backoffs.media,
        on: handlers('media', gen),
        carries: isPhotoId,
        name: 'media',
        media: { waitFor: gate, upload: (event) => gen === generation && uploaded(event) },
      });
      lanes.push(media);
    }
    reference?.pull();
    update();
  }

  function restartNow() {
    connectionOf(remote)?.resume();
    for (const backoff of Object.values(backoffs)) backoff.reset();
    input.auth = null;
    startLanes();
  }

  function restart(reason: RestartReason) {
    if (input.stopped) return;
    if (input.auth && (reason === 'online' || reason === 'offline' || reason === 'visible')) {
      return update();
    }
    // The network is gone: a request in flight (the pull's long poll) would hang on it, and
    // an answer it still got would be counted as heard after the loss. The lanes start again
    // and back off as usual (their first requests fail at once), without a reset.
    if (reason === 'offline') return startLanes();
    restartNow();
  }

  startLanes();

  return {
    get status() {
      return status;
    },
    subscribe(listener) {
      listeners.add(listener);
      listener(status);
      return () => listeners.delete(listener);
    },
    syncNow: () => {
      if (!input.stopped) restartNow();
    },
    restart,
    check: () => checking ?? runCheck(),
    setCredentials(credentials) {
      const connection = connectionOf(remote);
      if (!connection) throw new Error('setCredentials needs a remote made by openRemoteDb');
      connection.setCredentials(credentials);
      if (opts.reference) connectionOf(opts.reference.remote)?.setCredentials(credentials);
      restart('credentials');
    },
    setRemote(next) {
      const sameKey =
        (connectionOf(next)?.url ?? next.name) === (connectionOf(remote)?.url ?? remote.name);
      remote = next;
      if (!sameKey) {
        tracker.stop();
        input.pending = 0;
        input.photosPending = 0;
        tracker = track();
      }
      restart('remote');
    },
    async stop() {
      if (input.stopped) return;
      input.stopped = true;
      clearTimeout(idleTimer);
      clearTimeout(checkTimer);
      tracker.stop();
      update();
      await Promise.all([stopLanes(), reference?.stop()]);
    },
  };
}
