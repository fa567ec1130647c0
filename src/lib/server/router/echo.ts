/**
 * Revisions the router itself just wrote into a db. Its own write shows up again in that db's
 * feed (a copy into a rep's db is a `_db_updates` event; a copy into master is a master change):
 * remembering them lets the router skip asking `_revs_diff` about its own echo. Bounded: the
 * oldest entries are forgotten first, which only costs one harmless `_revs_diff`.
 */
export interface EchoSet {
  /** Remembers that `rev` of `id` was written into `db`. */
  add(db: string, id: string, rev: string): void;
  /** True (and forgotten) when `rev` of `id` was written into `db` by this router. */
  take(db: string, id: string, rev: string): boolean;
  readonly size: number;
}

/** Creates an echo set holding at most `max` revisions. */
export function createEchoSet(max = 100_000): EchoSet {
  const seen = new Set<string>();
  const key = (db: string, id: string, rev: string) => `${db}\u0000${id}\u0000${rev}`;
  return {
    add(db, id, rev) {
      const k = key(db, id, rev);
      seen.delete(k);
      seen.add(k);
      if (seen.size > max) seen.delete(seen.values().next().value as string);
    },
    take(db, id, rev) {
      return seen.delete(key(db, id, rev));
    },
    get size() {
      return seen.size;
    },
  };
}
