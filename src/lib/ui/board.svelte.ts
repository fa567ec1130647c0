/** The team board as runes state: follows the local db (src/lib/team/feed.ts) for one day. */
import type { LocalDb } from '$lib/db/pouch';
import { toOutpostError, type OutpostError } from '$lib/errors';
import type { RepView } from '$lib/team/board';
import { followBoard } from '$lib/team/feed';

export interface LiveBoard {
  /** Everyone on the board, sorted by user name; an untouched rep keeps the same object. */
  readonly reps: RepView[];
  /** True once the first read is shown. */
  readonly ready: boolean;
  readonly error: OutpostError | null;
}

/**
 * The board of `date()` over `db`, updated doc by doc until the calling component is destroyed
 * (call it while a component initialises). A new date starts a new board.
 */
export function liveBoard(db: LocalDb, date: () => string): LiveBoard {
  let reps = $state.raw<RepView[]>([]);
  let ready = $state(false);
  let error = $state.raw<OutpostError | null>(null);

  $effect(() => {
    const day = date();
    ready = false;
    const feed = followBoard(
      db,
      day,
      () => {
        reps = feed.model.reps().map((rep) => feed.model.view(rep)!);
        ready = true;
        error = null;
      },
      (err) => (error = toOutpostError(err)),
    );
    return () => feed.stop();
  });

  return {
    get reps() {
      return reps;
    },
    get ready() {
      return ready;
    },
    get error() {
      return error;
    },
  };
}
