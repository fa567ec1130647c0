/**
 * Devices resolve what they see (DESIGN.md section 6): after each pulled batch, the pulled docs
 * that now hold conflicting leaves are resolved locally with the same rules as the server, so
 * both produce the same revisions and converge. Runs never overlap and never block the pull.
 */
import { resolveAll, resolveConflicts, type ResolverDb } from './resolve';

type Pulled = Record<string, unknown>;

/**
 * Resolves the docs of one pulled batch that need it: those with `_conflicts` now, and pulled
 * deletions whose doc is still alive locally (an edit beat the delete: it goes to the inbox).
 * Returns how many docs it resolved or audited.
 */
export async function resolvePulled(db: ResolverDb, docs: Pulled[]): Promise<number> {
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
    const summary = await resolveConflicts(db, row.id);
    if (summary.resolved || summary.deletionAuditIds.length > 0) count += 1;
  }
  return count;
}

/**
 * The `onPulled` hook for startSync: queues resolvePulled runs one after another, and first
 * resolves whatever an interrupted earlier run left. Failures go to `log`, never to the pull.
 */
export function createPullResolver(db: ResolverDb, log: (message: string) => void = () => {}) {
  let queue: Promise<unknown> = resolveAll(db).catch((err: unknown) =>
    log(`resolving conflicts failed: ${(err as Error).message}`),
  );
  return (docs: Pulled[]): Promise<void> => {
    queue = queue
      .then(() => resolvePulled(db, docs))
      .catch((err: unknown) => log(`resolving conflicts failed: ${(err as Error).message}`));
    return queue.then(() => undefined);
  };
}
