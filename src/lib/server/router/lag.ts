/**
 * How far the change router is behind, per direction, for `/metrics` and the operations docs:
 *  - down (master -> user dbs): master's `update_seq` against the router's position in master's
 *    feed; the seconds since the router last saw master with nothing left to route.
 *  - up (user dbs -> master): for each user db waiting to be caught up, its `update_seq` against
 *    its checkpoint; the seconds since the longest-waiting one was reported changed.
 * Changes are counted from the numeric prefix of CouchDB sequences (exact on one node and on the
 * embedded server, close on a cluster, where a sequence's number sums its shards'). Reading it
 * costs one db info request for master and one per user db waiting: nothing for idle dbs.
 */
import { dbPath, type AdminCouch } from '../couch/admin-http';
import { forEachLimited } from './limit';

/** Lag of one direction. */
export interface DirectionLag {
  /** Changes written but not yet read by the router. */
  changes: number;
  /** How long the oldest of them can have waited (0 when none). */
  seconds: number;
}

export interface RouterLag {
  down: DirectionLag;
  up: DirectionLag & { /** User dbs waiting to be caught up. */ dbs: number };
}

/** The number a CouchDB sequence starts with (`"42-g1AA..."` -> 42, `17` -> 17; else 0). */
export function seqNumber(seq: string | number | null | undefined): number {
  const n = parseInt(String(seq ?? '0'), 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** What the router tells the tracker as it works. */
export interface LagTracker {
  /** The down direction read master up to its end at `at` (ms): nothing older waits. */
  downCaughtUp(at?: number): void;
  /** A user db was reported changed (the first report of a wait counts). */
  dirty(db: string): void;
  /** A user db was caught up and not reported changed since. */
  clean(db: string): void;
  /** Measures the lag now. */
  measure(view: RouterPosition): Promise<RouterLag>;
}

/** Where the router is, as the tracker needs it. */
export interface RouterPosition {
  /** The router's position in master's feed (null before it read its checkpoint). */
  downSeq: string | null;
  /** User dbs waiting to be caught up (or being caught up). */
  pendingDbs: string[];
  /** The up checkpoint of a user db. */
  upSeq(db: string): Promise<string>;
}

/** Creates the tracker for the router of `masterDb`. */
export function createLagTracker(
  couch: AdminCouch,
  masterDb: string,
  now: () => number = Date.now,
): LagTracker {
  let downCaughtUpAt = now();
  const dirtySince = new Map<string, number>();
  const age = (since: number) => Math.max(0, (now() - since) / 1000);

  return {
    downCaughtUp(at = now()) {
      downCaughtUpAt = Math.max(downCaughtUpAt, at);
    },
    dirty(db) {
      if (!dirtySince.has(db)) dirtySince.set(db, now());
    },
    clean(db) {
      dirtySince.delete(db);
    },
    async measure(view) {
      const measuredAt = now();
      const master = await couch.request<{ update_seq: string | number }>('GET', dbPath(masterDb));
      const downChanges =
        view.downSeq === null
          ? seqNumber(master.update_seq)
          : Math.max(0, seqNumber(master.update_seq) - seqNumber(view.downSeq));
      if (downChanges === 0) downCaughtUpAt = Math.max(downCaughtUpAt, measuredAt);
      let upChanges = 0;
      await forEachLimited(view.pendingDbs, 8, async (db) => {
        try {
          const info = await couch.request<{ update_seq: string | number }>('GET', dbPath(db));
          upChanges += Math.max(0, seqNumber(info.update_seq) - seqNumber(await view.upSeq(db)));
        } catch (err) {
          if ((err as { status?: number }).status !== 404) throw err;
        }
      });
      const waiting = view.pendingDbs
        .map((db) => dirtySince.get(db))
        .filter((t): t is number => t !== undefined);
      return {
        down: { changes: downChanges, seconds: downChanges > 0 ? age(downCaughtUpAt) : 0 },
        up: {
          changes: upChanges,
          seconds: waiting.length > 0 ? age(Math.min(...waiting)) : 0,
          dbs: view.pendingDbs.length,
        },
      };
    },
  };
}

/** Holds the router's copying while paused (reading its feeds goes on); for tests and upkeep. */
export interface PauseGate {
  pause(): void;
  resume(): void;
  /** Resolves at once when running, else on resume or when `signal` aborts. */
  wait(signal: AbortSignal): Promise<void>;
}

/** Creates a gate that starts open. */
export function createPauseGate(): PauseGate {
  let held: { promise: Promise<void>; release: () => void } | null = null;
  return {
    pause() {
      if (held) return;
      let release = () => {};
      const promise = new Promise<void>((resolve) => (release = resolve));
      held = { promise, release };
    },
    resume() {
      held?.release();
      held = null;
    },
    wait(signal) {
      if (!held || signal.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => resolve(), { once: true });
        void held!.promise.then(resolve);
      });
    },
  };
}
