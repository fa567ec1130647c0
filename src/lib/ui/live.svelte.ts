/** Turns a repo query into runes state that follows the local database as it changes. */
import type { LocalDb } from '$lib/db/pouch';
import { toOutpostError, type OutpostError } from '$lib/errors';

/** The latest result of a live query. */
export interface LiveQuery<T> {
  /** The last successful result; kept while a re-run is on its way. */
  readonly current: T | undefined;
  /** The error of the last run, or null when it succeeded. */
  readonly error: OutpostError | null;
  /** True until the first run has finished. */
  readonly loading: boolean;
}

/**
 * Runs `query` now and again after every change in `db` (coalesced: never two runs at once,
 * at most one more after a burst of changes) until the calling component is destroyed. Call
 * it while a component initialises. Reactive values `query` reads before its first `await`
 * are tracked: when they change, the query starts over.
 */
export function liveQuery<T>(
  db: LocalDb,
  query: () => Promise<T>,
  /** Only changes of docs whose id passes re-run the query (default: every change). */
  relevant: (id: string) => boolean = () => true,
): LiveQuery<T> {
  let current = $state.raw<T | undefined>(undefined);
  let error = $state.raw<OutpostError | null>(null);
  let loading = $state(true);

  $effect(() => {
    let stopped = false;
    let running = false;
    let again = false;

    const settle = async (pending: Promise<T>) => {
      running = true;
      try {
        const result = await pending;
        if (!stopped) {
          current = result;
          error = null;
        }
      } catch (err) {
        if (!stopped) error = toOutpostError(err);
      } finally {
        running = false;
        if (!stopped) loading = false;
      }
      if (again && !stopped) {
        again = false;
        void settle(query());
      }
    };

    const feed = db.changes({ since: 'now', live: true });
    feed.on('change', (change: { id: string }) => {
      if (!relevant(change.id)) return;
      if (running) again = true;
      else void settle(query());
    });
    feed.on('error', (err: unknown) => {
      if (!stopped) error = toOutpostError(err);
    });

    // Called synchronously here so the effect tracks what the query reads.
    void settle(query());

    return () => {
      stopped = true;
      feed.cancel();
    };
  });

  return {
    get current() {
      return current;
    },
    get error() {
      return error;
    },
    get loading() {
      return loading;
    },
  };
}
