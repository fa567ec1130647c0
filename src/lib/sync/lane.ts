/**
 * The pull lane (remote -> local): PouchDB's live replication, one run at a time: a run that
 * fails is cancelled and a new one starts from the checkpoint after the jittered back-off (PouchDB's
 * own retry lets a failed run's batch checkpoint past changes it dropped). Its checkpoint is kept
 * on the device (pull-origin.ts), an empty device's first pull is done by bootstrap.ts, and its
 * events are turned into a few plain callbacks. The types here are shared with the push lane
 * (push-lane.ts), which speaks the replication protocol itself.
 */
import type { Backoff } from './backoff';
import type { LaneGate } from './gate';
import { heldChanges, type ChangesFeedLike } from './held-changes';
import { bootstrapPull, isEmptyDb } from './bootstrap';
import { checkPullOrigin, type PullOrigin } from './pull-origin';
import { traceReplication, tracedSource, tracedTarget, type PullTrace } from './pull-trace';
import type { LanePhase } from './status';

/** A PouchDB database of any document shape. */
export type AnyDb = PouchDB.Database<Record<string, unknown>>;

/** Replication tuning shared by both lanes. */
export interface LaneTuning {
  /** Docs per `_revs_diff` / `_bulk_get` / `_bulk_docs` round (PouchDB default 100). */
  batchSize: number;
  /** Batches read ahead from the changes feed (PouchDB default 10). */
  batchesLimit: number;
}

/** What a lane reports; every callback is optional. */
export interface LaneHandlers {
  phase?(phase: LanePhase, error?: unknown): void;
  /** A batch was written to the target. */
  change?(docs: Record<string, unknown>[]): void;
  /** The lane checkpointed everything up to this source sequence. */
  checkpoint?(seq: unknown): void;
  /** The target refused a document (validate_doc_update: 401/403 per doc). */
  denied?(error: unknown): void;
  /** The lane stopped for good (401/403 from the server); PouchDB does not retry these. */
  fatal?(error: unknown): void;
}

/** A running lane. */
export interface Lane {
  readonly direction: 'pull' | 'push';
  /** Cancels the replication; resolves when PouchDB has let go of it (bounded wait). */
  cancel(): Promise<void>;
}

const CANCEL_WAIT_MS = 5000;

/** PouchDB's replication emits events its typings do not list ('requestError', 'checkpoint'). */
type Emitter = { on(event: string, listener: (arg: never) => void): unknown };

/**
 * The longest a `_changes` read waits for the push lane: a push request that hangs (a dead
 * connection the browser has not noticed yet) must not keep the server's changes from the device.
 */
const MAX_HOLD_MS = 10_000;

/** How long the pull lane's replicator is answered `info()` from the last success. */
const INFO_REUSE_MS = 10_000;

/**
 * The remote as the pull lane's replicator sees it:
 *  - `info()` never fails. PouchDB's replicator calls it when a run starts and after each batch,
 *    only for its progress figures (`activeTasks`), and never handles the rejection after a batch
 *    (pouchdb-replication finishBatch): a server that goes away right then caused an unhandled
 *    rejection, which ends a Node process, and a failure when a run starts aborted the run. A
 *    failed `info()` is answered from the last success, or with empty figures. (The bootstrap
 *    reads `update_seq` from the remote itself.) A success is reused for `INFO_REUSE_MS`: a
 *    catch-up of many batches then costs the server one `GET /db`, not one per batch.
 *  - `id()` is this remote's key, asked of nobody. PouchDB names the checkpoint doc after it and
 *    asks the server's `GET /` for a uuid, falling back to the URL when that request fails: one
 *    run then read and wrote another checkpoint doc than the next, so a run could start from a
 *    checkpoint of another db or miss the one the previous run wrote (chaos seed 24's trace).
 *  - `changes()` waits while `waitFor` is closed, at most `MAX_HOLD_MS`: the push lane holds it
 *    closed while it sends this device's own writes (held-changes.ts).
 * Everything else goes to the remote unchanged.
 */
export function replicationSource(
  db: AnyDb,
  key: string,
  opts: { now?: () => number; waitFor?: LaneGate } = {},
): AnyDb {
  const { now = Date.now, waitFor } = opts;
  let last: PouchDB.Core.DatabaseInfo | null = null;
  let lastAt = -Infinity;
  const info = () =>
    now() - lastAt < INFO_REUSE_MS && last
      ? Promise.resolve(last)
      : db.info().then(
          (result) => {
            lastAt = now();
            return (last = result);
          },
          () => last ?? { db_name: db.name, doc_count: 0, update_seq: 0 },
        );
  const id = () => Promise.resolve(`outpost-pull ${key}`);
  const changes = (options: PouchDB.Core.ChangesOptions) => {
    const start = () => db.changes(options) as unknown as ChangesFeedLike;
    if (!waitFor || waitFor.isOpen) return start();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, MAX_HOLD_MS)));
    const open = Promise.race([waitFor.wait(), bound]).finally(() => clearTimeout(timer));
    return heldChanges(open, start);
  };
  const own: Record<string | symbol, unknown> = { info, id, changes };
  return new Proxy(db, {
    get: (target, prop) => (prop in own ? own[prop] : Reflect.get(target, prop, target)),
  });
}

/** PouchDB's replication from `source` into `local`, every step of it traced. */
function replicateTraced(
  local: AnyDb,
  source: AnyDb,
  options: PouchDB.Replication.ReplicateOptions,
  trace: PullTrace,
): PouchDB.Replication.Replication<Record<string, unknown>> {
  const Pouch = local.constructor as unknown as {
    replicate(
      src: AnyDb,
      target: AnyDb,
      opts: PouchDB.Replication.ReplicateOptions,
    ): PouchDB.Replication.Replication<Record<string, unknown>>;
  };
  const r = Pouch.replicate(tracedSource(source, trace), tracedTarget(local, trace), options);
  traceReplication(r, trace);
  return r;
}

/** Starts the live pull lane; events after cancel() are not reported. */
export function startPullLane(
  local: AnyDb,
  remote: AnyDb,
  opts: LaneTuning & {
    backoff: Backoff;
    on: LaneHandlers;
    remoteKey: string;
    /** Traces every step (pull-trace.ts); nothing is wrapped without it. */
    trace?: PullTrace;
    /** Closed while the push lane sends this device's writes: the next `_changes` waits. */
    waitFor?: LaneGate;
  },
): Lane {
  const { backoff, on, trace } = opts;
  const source = replicationSource(remote, opts.remoteKey, { waitFor: opts.waitFor });
  let cancelled = false;
  let backingOff = false;
  let rep: PouchDB.Replication.Replication<Record<string, unknown>> | null = null;
  let done: Promise<void> = Promise.resolve();
  let wake: (() => void) | null = null;
  /** A run of this lane caught up once: later runs go on from the checkpoint. */
  let remembered = false;
  const live =
    <A extends unknown[]>(fn: ((...args: A) => void) | undefined) =>
    (...args: A) => {
      if (!cancelled) fn?.(...args);
    };

  const report = (phase: LanePhase, error?: unknown) => {
    backingOff = phase === 'retrying';
    on.phase?.(phase, error);
  };

  /**
   * Starts one run of PouchDB's live replication (checkpoint on the device only, see
   * pull-origin.ts) and, when it fails, the next run after the back-off. `since` (a db to pull
   * anew) applies until the run caught up once; later runs go on from the checkpoint.
   */
  function replicate(origin: PullOrigin, since: number | string | undefined) {
    const from = remembered ? undefined : since;
    const options: PouchDB.Replication.ReplicateOptions & {
      checkpoint: 'target';
      since?: number | string;
    } = {
      live: true,
      // A failed run is ended here and a new one started (see below), never retried by PouchDB.
      retry: false,
      batch_size: opts.batchSize,
      batches_limit: opts.batchesLimit,
      checkpoint: 'target',
      ...(from !== undefined ? { since: from } : {}),
    };
    const r = trace
      ? replicateTraced(local, source, options, trace)
      : local.replicate.from(source, options);
    rep = r;
    backingOff = false;
    done = new Promise<void>((resolve) => {
      r.on('complete', () => resolve());
      r.on('error', () => resolve());
    });
    r.on(
      'active',
      live(() => report('active')),
    );
    r.on(
      'paused',
      live((err?: unknown) => {
        if (err) return; // reported by 'error'
        backoff.reset();
        const idle = live(() => report('idle'));
        if (remembered) return idle();
        // Caught up from where it started: the checkpoint is this db's now. Idle only once that
        // is noted, or an app closed at once would pull from 0 again at its next start.
        remembered = true;
        origin.remember().then(idle, () => {
          remembered = false;
          idle();
        });
      }),
    );
    r.on(
      'change',
      live((info: { docs?: Record<string, unknown>[] }) => {
        backoff.reset();
        on.change?.(info.docs ?? []);
      }),
    );
    (r as unknown as Emitter).on(
      'checkpoint',
      live((event: { checkpoint?: unknown }) => {
        if (event && 'checkpoint' in event) on.checkpoint?.(event.checkpoint);
      }),
    );
    r.on(
      'denied',
      live((err: unknown) => on.denied?.(err)),
    );
    r.on('error', (err: unknown) => {
      // PouchDB ends a failed run but lets the batch it was writing go on: that batch then reads
      // the changes feed on from past the batches the failure dropped (read ahead, not written)
      // and checkpoints past them, so the device never gets those changes (chaos seeds 24, 187,
      // 698, 748, 959; tests/integration/sync.pull-dropped-batch.test.ts). Cancelling the run
      // stops that batch before it writes a checkpoint; the next run starts from the checkpoint.
      r.cancel();
      if (cancelled) return;
      report('retrying', err); // a refused credential stops the lanes (sync.ts)
      if (cancelled) return;
      const timer = setTimeout(() => {
        wake = null;
        if (!cancelled) replicate(origin, since);
      }, backoff.next());
      wake = () => clearTimeout(timer);
    });
  }

  /** Checks the server db's origin (retrying with the back-off), then replicates. */
  async function start() {
    while (!cancelled) {
      try {
        const origin = await checkPullOrigin(local, remote, opts.remoteKey);
        let since: number | string | undefined = origin.startOver ? 0 : undefined;
        trace?.({ type: 'start', since, startOver: origin.startOver });
        if (origin.startOver && !cancelled && (await isEmptyDb(local))) {
          report('active');
          since = await bootstrapPull(local, remote, {
            pageSize: opts.batchSize,
            on: {
              written: live((docs: Record<string, unknown>[]) => {
                backoff.reset();
                on.change?.(docs);
              }),
              cancelled: () => cancelled,
            },
          });
          trace?.({ type: 'bootstrap', since });
        }
        if (!cancelled) replicate(origin, since);
        return;
      } catch (err) {
        if (cancelled) return;
        report('retrying', err);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoff.next());
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  report('starting');
  const started = start();

  return {
    direction: 'pull',
    async cancel() {
      // Resolves once PouchDB completed, so callers may destroy the local db afterwards.
      if (cancelled) return;
      cancelled = true;
      trace?.({ type: 'cancel' });
      wake?.();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS)));
      await Promise.race([started, timeout]);
      if (rep) {
        rep.cancel();
        // Backing off, the failed run has completed already.
        if (!backingOff) await Promise.race([done, timeout]);
      }
      clearTimeout(timer);
    },
  };
}
