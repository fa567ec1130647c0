/**
 * The inbox's reads over the session's repo: whose items a person sees, the badge count, and
 * the items with their titles (account names looked up on this device).
 */
import { inboxItems, needsReviewCount } from '$lib/conflicts/inbox';
import type { Repo } from '$lib/repo';
import { accountIdsOf, inboxEntry, type InboxEntry } from './inbox';

/**
 * Whose conflicts a person reviews: a rep their own; a supervisor their own and those of the
 * reps with stops on `date` (their team today).
 */
export async function inboxOwners(repo: Repo, date: string): Promise<string[]> {
  const { user, role } = repo.ctx;
  if (role !== 'supervisor') return [user];
  const days = await repo.teamDay(date, []);
  const reps = days.filter((d) => d.stops.length > 0).map((d) => d.rep);
  return [...new Set([user, ...reps])].sort();
}

/** How many items need review (the header badge). */
export async function inboxCount(repo: Repo, date: string): Promise<number> {
  return needsReviewCount(repo.db, { owners: await inboxOwners(repo, date) });
}

/** The inbox: needs-review first, then resolved-for-you, each newest first, ready to show. */
export async function loadInbox(
  repo: Repo,
  date: string,
  now: Date = new Date(),
): Promise<InboxEntry[]> {
  const items = await inboxItems(repo.db, { owners: await inboxOwners(repo, date) });
  const ids = accountIdsOf(items);
  const names = new Map<string, string>();
  if (ids.length > 0) {
    const res = await repo.db.allDocs({ keys: ids, include_docs: true });
    for (const row of res.rows) {
      const doc = 'doc' in row ? row.doc : null;
      if (doc && doc.type === 'account' && typeof doc.name === 'string') {
        names.set(doc._id, doc.name);
      }
    }
  }
  return items.map((item) => inboxEntry(item, (id) => names.get(id) ?? null, repo.ctx.user, now));
}
