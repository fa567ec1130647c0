/**
 * Revisions the pull lane just wrote locally, which the server therefore has. The push lane then
 * skips `_revs_diff` for a changed doc whose every leaf is one of them: during a first sync every
 * pulled batch would otherwise come straight back as a server round trip of the same docs. Each
 * revision is forgotten once used, so a later push from checkpoint 0 (a server that lost its
 * data) asks the server about it again.
 */

/** The most revisions remembered at once; the oldest go first. */
const MAX_REVS = 50_000;

export interface PulledRevs {
  /** Remembers pulled docs (their `_id` and `_rev`). */
  add(docs: Record<string, unknown>[]): void;
  /** True when every rev is a remembered pulled one; forgets them. False leaves them remembered. */
  consume(id: string, revs: string[]): boolean;
}

/** Creates an empty set of pulled revisions. */
export function createPulledRevs(max = MAX_REVS): PulledRevs {
  const revs = new Map<string, Set<string>>();
  let size = 0;
  return {
    add(docs) {
      for (const doc of docs) {
        if (typeof doc._id !== 'string' || typeof doc._rev !== 'string') continue;
        const known = revs.get(doc._id) ?? new Set<string>();
        if (known.has(doc._rev)) continue;
        known.add(doc._rev);
        revs.set(doc._id, known);
        size += 1;
      }
      for (const [id, known] of revs) {
        if (size <= max) break;
        revs.delete(id);
        size -= known.size;
      }
    },
    consume(id, leafRevs) {
      const known = revs.get(id);
      if (!known || leafRevs.length === 0 || !leafRevs.every((r) => known.has(r))) return false;
      revs.delete(id);
      size -= known.size;
      return true;
    },
  };
}
