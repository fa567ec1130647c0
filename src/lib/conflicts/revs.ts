/** Revision ids `N-hash`: generation, CouchDB's deterministic winner, computed children. */

/** The generation (the number before the dash) of a revision id. */
export function revGeneration(rev: string): number {
  const dash = rev.indexOf('-');
  const n = Number(rev.slice(0, dash));
  if (dash < 1 || !Number.isInteger(n) || n < 1) throw new Error(`Not a revision id: ${rev}`);
  return n;
}

/** The part after the dash. */
export function revHash(rev: string): string {
  return rev.slice(rev.indexOf('-') + 1);
}

/**
 * Orders revisions as CouchDB picks a winner among live leaves: higher generation first
 * compared as a number, then the higher id string. Negative when `a` wins less than `b`.
 */
export function compareRevs(a: string, b: string): number {
  const ga = revGeneration(a);
  const gb = revGeneration(b);
  if (ga !== gb) return ga - gb;
  const ha = revHash(a);
  const hb = revHash(b);
  return ha < hb ? -1 : ha > hb ? 1 : 0;
}

/** CouchDB's winning revision among `revs` (all live leaves): the greatest by compareRevs. */
export function winningRev(revs: readonly string[]): string {
  if (revs.length === 0) throw new Error('No revisions to pick a winner from');
  return revs.reduce((best, r) => (compareRevs(r, best) > 0 ? r : best));
}

/** Sorted copy of revision ids (plain string order): the replica-independent set key. */
export function sortRevs(revs: readonly string[]): string[] {
  return [...revs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `_revisions` as CouchDB returns them with `revs=true`. */
export interface Revisions {
  start: number;
  ids: string[];
}

/** The `_revisions` of a child revision `hash` written on top of `parentRev`. */
export function childRevisions(
  parentRev: string,
  parentRevisions: Revisions | undefined,
  hash: string,
): Revisions {
  const gen = revGeneration(parentRev);
  const path =
    parentRevisions && parentRevisions.start === gen && parentRevisions.ids.length > 0
      ? parentRevisions.ids
      : [revHash(parentRev)];
  return { start: gen + 1, ids: [hash, ...path] };
}
