/**
 * The pull lane (remote -> local): PouchDB's live replication with `retry: true` and the
 * jittered back-off, its checkpoint kept on the device (pull-origin.ts), an empty device's first
 * pull done by bootstrap.ts, its events turned into a few plain callbacks. The types here are shared
 * with the push lane (push-lane.ts), which speaks the replication protocol itself.
 */
import type { Backoff } from './backoff';
import { bootstrapPull, isEmptyDb } from './bootstrap';
import { checkPullOrigin, type PullOrigin } from './pull-origin';
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
 * After each batch PouchDB's replicator calls `src.info()` and never handles its rejection
 * (pouchdb-replication finishBatch). With the remote as source, a server that goes away right
 * then causes an unhandled rejection, which ends a Node process. This view of the remote answers
 * `info()` from its last success instead (each run starts with a successful info()); everything
 * else goes to the remote unchanged, and real failures still surface through the other calls.
 */
export function withSafeInfo(db: AnyDb): AnyDb {
  let last: PouchDB.Core.DatabaseInfo | null = null;
  const info = () =>
    db.info().then(
      (result) => (last = result),
      (err: unknown) => {
        if (last) return last;
        throw err;
      },
    );
  return new Proxy(db, {
    get: (target, prop) => (prop === 'info' ? info : Reflect.get(target, prop, target)),
  });
}

/** Starts the live pull lane; events after cancel() are not reported. */
export function startPullLane(
  local: AnyDb,
  remote: AnyDb,
  opts: LaneTuning & { backoff: Backoff; on: LaneHandlers; remoteKey: string },
): Lane {
  const { backoff, on } = opts;
  const source = withSafeInfo(remote);
  let cancelled = false;
  let backingOff = false;
  let rep: PouchDB.Replication.Replication<Record<string, unknown>> | null = null;
  let done: Promise<void> = Promise.resolve();
  let wake: (() => void) | null = null;
  const live =
    <A extends unknown[]>(fn: ((...args: A) => void) | undefined) =>
    (...args: A) => {
      if (!cancelled) fn?.(...args);
    };

  const report = (phase: LanePhase, error?: unknown) => {
    backingOff = phase === 'retrying';
    on.phase?.(phase, error);
  };

  /** Starts PouchDB's live replication (checkpoint on the device only, see pull-origin.ts). */
  function replicate(origin: PullOrigin, since: number | string | undefined) {
    const options: PouchDB.Replication.ReplicateOptions & {
      checkpoint: 'target';
      since?: number | string;
    } = {
      live: true,
      retry: true,
      batch_size: opts.batchSize,
      batches_limit: opts.batchesLimit,
      back_off_function: (delay) => backoff.next(delay),
      checkpoint: 'target',
      ...(since !== undefined ? { since } : {}),
    };
    const r = local.replicate.from(source, options);
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
    let remembered = false;
    r.on(
      'paused',
      live((err?: unknown) => {
        if (err) return; // reported by 'requestError' just before
        backoff.reset();
        if (!remembered) {
          remembered = true; // caught up from where it started: the checkpoint is this db's now
          origin.remember().catch(() => (remembered = false));
        }
        report('idle');
      }),
    );
    // PouchDB 7+ emits this on every failed attempt before backing off, 'paused' only on the first.
    (r as unknown as Emitter).on(
      'requestError',
      live((err: unknown) => report('retrying', err)),
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
    r.on(
      'error',
      live((err: unknown) => on.fatal?.(err)),
    );
  }

  /** Checks the server db's origin (retrying with the back-off), then replicates. */
  async function start() {
    while (!cancelled) {
      try {
        const origin = await checkPullOrigin(local, remote, opts.remoteKey);
        let since: number | string | undefined = origin.startOver ? 0 : undefined;
        if (origin.startOver && !cancelled && (await isEmptyDb(local))) {
          report('active');
          since = await bootstrapPull(local, source, {
            pageSize: opts.batchSize,
            on: {
              written: live((docs: Record<string, unknown>[]) => {
                backoff.reset();
                on.change?.(docs);
              }),
              cancelled: () => cancelled,
            },
          });
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
      wake?.();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS)));
      await Promise.race([started, timeout]);
      if (rep) {
        rep.cancel();
        // Cancelled while backing off, PouchDB completes only when its retry timer fires;
        // nothing is in flight then, so there is nothing to wait for.
        if (!backingOff) await Promise.race([done, timeout]);
      }
      clearTimeout(timer);
    },
  };
}
