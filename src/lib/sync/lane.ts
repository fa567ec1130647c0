/**
 * The pull lane (remote -> local): PouchDB's live replication with `retry: true` and the
 * jittered back-off, its events turned into a few plain callbacks. The types here are shared
 * with the push lane (push-lane.ts), which speaks the replication protocol itself.
 */
import type { Backoff } from './backoff';
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
function withSafeInfo(db: AnyDb): AnyDb {
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
  opts: LaneTuning & { backoff: Backoff; on: LaneHandlers },
): Lane {
  const { backoff, on } = opts;
  let cancelled = false;
  let backingOff = false;
  const options: PouchDB.Replication.ReplicateOptions = {
    live: true,
    retry: true,
    batch_size: opts.batchSize,
    batches_limit: opts.batchesLimit,
    back_off_function: (delay) => backoff.next(delay),
  };
  const rep = local.replicate.from(withSafeInfo(remote), options);
  const done = new Promise<void>((resolve) => {
    rep.on('complete', () => resolve());
    rep.on('error', () => resolve());
  });
  const live =
    <A extends unknown[]>(fn: ((...args: A) => void) | undefined) =>
    (...args: A) => {
      if (!cancelled) fn?.(...args);
    };

  const report = (phase: LanePhase, error?: unknown) => {
    backingOff = phase === 'retrying';
    on.phase?.(phase, error);
  };
  report('starting');
  rep.on(
    'active',
    live(() => report('active')),
  );
  rep.on(
    'paused',
    live((err?: unknown) => {
      if (err) return; // reported by 'requestError' just before
      backoff.reset();
      report('idle');
    }),
  );
  // PouchDB 7+ emits this on every failed attempt before backing off, 'paused' only on the first.
  (rep as unknown as Emitter).on(
    'requestError',
    live((err: unknown) => report('retrying', err)),
  );
  rep.on(
    'change',
    live((info: { docs?: Record<string, unknown>[] }) => {
      backoff.reset();
      on.change?.(info.docs ?? []);
    }),
  );
  (rep as unknown as Emitter).on(
    'checkpoint',
    live((event: { checkpoint?: unknown }) => {
      if (event && 'checkpoint' in event) on.checkpoint?.(event.checkpoint);
    }),
  );
  rep.on(
    'denied',
    live((err: unknown) => on.denied?.(err)),
  );
  rep.on(
    'error',
    live((err: unknown) => on.fatal?.(err)),
  );

  return {
    direction: 'pull',
    async cancel() {
      // Resolves once PouchDB completed, so callers may destroy the local db afterwards.
      if (cancelled) return;
      cancelled = true;
      rep.cancel();
      // Cancelled while backing off, PouchDB completes only when its retry timer fires; nothing
      // is in flight then, so there is nothing to wait for.
      if (backingOff) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS)));
      await Promise.race([done, timeout]);
      clearTimeout(timer);
    },
  };
}
