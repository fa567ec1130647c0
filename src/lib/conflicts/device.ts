/**
 * Devices resolve what they see (DESIGN.md section 6): after each pulled batch, the pulled docs
 * that now hold conflicting leaves are resolved locally with the same rules as the server, so
 * both produce the same revisions and converge. Runs never overlap and never block the pull.
 * A device resolves only what it may push: conflicts whose leaves name different owners, or an
 * owner this device may not write for, are left to the server (see leaveToServer).
 */
import type { MayWrite } from '../domain/ownership';
import {
  mayNeedResolving,
  readLeaves,
  resolveAll,
  resolveConflicts,
  type ChangeRow,
  type ResolverDb,
} from './resolve';

export { writerFor, type MayWrite } from '../domain/ownership';

type Pulled = Record<string, unknown>;

/**
 * True when a device must leave a conflict to the server resolver: its live leaves name
 * different owners (a supervisor's transfer raced with an edit). A rep's device may push the
 * tombstone of its own leaf but neither the merged revision nor the audit doc (both owned by the
 * new owner), so resolving locally removed the rep's edit from the server's view while the only
 * versions holding it were refused: a ticked task or a check-in's status change was lost (found
 * by the chaos harness: `npm run chaos -- --seed 115 --profile mixed`). The server resolver (an
 * admin) writes the same revisions, and they come back through the pull selector
 * (`formerAssignees`).
 */
export async function leaveToServer(
  db: ResolverDb,
  docId: string,
  mayWrite: MayWrite = () => true,
): Promise<boolean> {
  const live = (await readLeaves(db, docId)).filter((l) => l._deleted !== true);
  const owners = new Set(live.map((l) => l.owner));
  const types = new Set(live.map((l) => l.type));
  // A rep's device resolving another rep's doc (an account both see) writes a merge and an audit
  // it can never push: they stay on the device, and a partial view of the leaves makes an audit
  // the server never writes (chaos: `npm run chaos -- --seed 67 --profile moving-vehicle`).
  return (
    owners.size > 1 ||
    [...owners].some((owner) => [...types].some((type) => !mayWrite(owner, type)))
  );
}

/**
 * Resolves the docs of one pulled batch that need it: those with `_conflicts` now, and pulled
 * deletions whose doc is still alive locally (an edit beat the delete: it goes to the inbox).
 * Returns how many docs it resolved or audited.
 */
export async function resolvePulled(
  db: ResolverDb,
  docs: Pulled[],
  mayWrite: MayWrite = () => true,
): Promise<number> {
  const ids = [...new Set(docs.map((d) => String(d._id)).filter((id) => !id.startsWith('_')))];
  if (ids.length === 0) return 0;
  const deletedPulled = new Set(docs.filter((d) => d._deleted === true).map((d) => String(d._id)));
  const res = await db.allDocs({ keys: ids, include_docs: true, conflicts: true });
  let count = 0;
  for (const row of res.rows) {
    if (!('value' in row) || !row.value) continue;
    const doc = 'doc' in row ? (row.doc as Pulled | null | undefined) : null;
    const conflicted = Array.isArray(doc?._conflicts) && doc._conflicts.length > 0;
    const editBeatDelete = deletedPulled.has(row.id) && !row.value.deleted;
    if (!conflicted && !editBeatDelete) continue;
    if (
      !mayWrite(doc?.owner, doc?.type) ||
      (conflicted && (await leaveToServer(db, row.id, mayWrite)))
    ) {
      continue;
    }
    const summary = await resolveConflicts(db, row.id);
    if (summary.resolved || summary.deletionAuditIds.length > 0) count += 1;
  }
  return count;
}

/**
 * The `onPulled` hook for startSync: queues resolvePulled runs one after another, and first
 * resolves whatever an interrupted earlier run left. Failures go to `log`, never to the pull.
 */
export function createPullResolver(
  db: ResolverDb,
  log: (message: string) => void = () => {},
  mayWrite: MayWrite = () => true,
) {
  let queue: Promise<unknown> = resolveLeftovers(db, mayWrite).catch((err: unknown) =>
    log(`resolving conflicts failed: ${(err as Error).message}`),
  );
  return (docs: Pulled[]): Promise<void> => {
    queue = queue
      .then(() => resolvePulled(db, docs, mayWrite))
      .catch((err: unknown) => log(`resolving conflicts failed: ${(err as Error).message}`));
    return queue.then(() => undefined);
  };
}

/** resolveAll for a device: every doc that needs it, except those left to the server. */
async function resolveLeftovers(db: ResolverDb, mayWrite: MayWrite): Promise<void> {
  const res = await db.changes({ style: 'all_docs', conflicts: true, include_docs: true });
  const ids: string[] = [];
  for (const row of res.results as unknown as ChangeRow[]) {
    if (mayNeedResolving(row) && !(await leaveToServer(db, row.id, mayWrite))) ids.push(row.id);
  }
  if (ids.length > 0) await resolveAll(db, { docIds: ids });
}
