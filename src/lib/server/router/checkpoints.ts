/**
 * The change router's checkpoints: `_local` docs in its own admin-only db (`outpost-router`), so
 * no rep can move them and they never replicate. Writing one is last-writer-wins: two routers
 * at once may set each other's position back, which only makes one of them copy a batch again
 * (a no-op with `new_edits: false`).
 */
import { toOutpostError } from '../../errors';
import { dbPath, type AdminCouch } from '../couch/admin-http';

export interface Checkpoints {
  /** The saved sequence under `key`, or null. */
  read(key: string): Promise<string | null>;
  /** Saves `seq` under `key`. */
  write(key: string, seq: string): Promise<void>;
}

/** Checkpoints kept in `db` (created by the provisioner). */
export function createCheckpoints(couch: AdminCouch, db: string): Checkpoints {
  const revs = new Map<string, string>();
  const path = (key: string) => `${dbPath(db)}/_local/${encodeURIComponent(key)}`;

  async function fetchDoc(key: string): Promise<{ _rev: string; seq: string } | null> {
    try {
      return await couch.request<{ _rev: string; seq: string }>('GET', path(key));
    } catch (err) {
      if (toOutpostError(err).status === 404) return null;
      throw err;
    }
  }

  return {
    async read(key) {
      const doc = await fetchDoc(key);
      if (doc) revs.set(key, doc._rev);
      return doc?.seq ?? null;
    },
    async write(key, seq) {
      for (let attempt = 0; ; attempt++) {
        const rev = revs.get(key);
        try {
          const res = await couch.request<{ rev: string }>('PUT', path(key), {
            body: { ...(rev ? { _rev: rev } : {}), seq, at: new Date().toISOString() },
          });
          revs.set(key, res.rev);
          return;
        } catch (err) {
          if (toOutpostError(err).status !== 409 || attempt >= 3) throw err;
          const current = await fetchDoc(key);
          if (current) revs.set(key, current._rev);
          else revs.delete(key);
        }
      }
    },
  };
}
