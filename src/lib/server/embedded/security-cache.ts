/**
 * The `_security` objects the embedded server's access checks read (compat.ts), kept in memory
 * so that a request does not cost a second loopback request. Every change of a security object
 * goes through this server's HTTP front (`PUT /db/_security`, `PUT`/`DELETE /db`; compat.ts
 * refuses writes to `_local/_security`, where the embedded server keeps it), so the compat
 * layer tells the cache about each such request: while one runs the db's object is read fresh,
 * and a read that overlapped one is not kept.
 */

export interface SecurityCache<T> {
  /** The db's security object (null when the db does not exist; not kept). */
  get(db: string): Promise<T | null>;
  /** A request that may change the db's security object started; call the result when it ended. */
  changing(db: string): () => void;
}

/** Creates a cache over `read` holding at most `max` dbs (then it starts again empty). */
export function createSecurityCache<T>(
  read: (db: string) => Promise<T | null>,
  max = 20_000,
): SecurityCache<T> {
  const kept = new Map<string, T>();
  /** Requests in flight that may change a db's object. */
  const inFlight = new Map<string, number>();
  /** Bumped when such a request (for any db) starts or ends: a read spanning a bump is not kept. */
  let epoch = 0;

  return {
    async get(db) {
      const hit = kept.get(db);
      if (hit !== undefined) return hit;
      const readAt = epoch;
      const value = await read(db);
      if (value !== null && !inFlight.has(db) && epoch === readAt) {
        if (kept.size >= max) kept.clear();
        kept.set(db, value);
      }
      return value;
    },
    changing(db) {
      kept.delete(db);
      epoch += 1;
      inFlight.set(db, (inFlight.get(db) ?? 0) + 1);
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        kept.delete(db);
        epoch += 1;
        const left = (inFlight.get(db) ?? 1) - 1;
        if (left > 0) inFlight.set(db, left);
        else inFlight.delete(db);
      };
    },
  };
}
