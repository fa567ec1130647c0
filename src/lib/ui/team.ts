/** The supervisor's view of the team's day: each rep's stops with account names, for the screens. */
import type { StopDoc } from '$lib/domain/types';
import type { RepDay, Repo } from '$lib/repo';
import { displayNameOf } from './session.svelte';

export interface TeamStop {
  stop: StopDoc;
  /** Null when the account has not reached this device (yet). */
  accountName: string | null;
}

export interface TeamMember extends Omit<RepDay, 'stops'> {
  displayName: string;
  /** In route order. */
  stops: TeamStop[];
}

/**
 * Today's team as the supervisor's device holds it: the reps are the distinct assignees of the
 * day's stops (sorted by name), each with progress, counts by status and stops.
 */
export async function teamOverview(repo: Repo, date: string): Promise<TeamMember[]> {
  const days = (await repo.teamDay(date, [])).filter((d) => d.stops.length > 0);
  const ids = [...new Set(days.flatMap((d) => d.stops.map((s) => s.accountId)))];
  const names = new Map<string, string>();
  if (ids.length > 0) {
    const res = await repo.db.allDocs({ keys: ids, include_docs: true });
    for (const row of res.rows) {
      const doc = 'doc' in row ? row.doc : null;
      if (doc && doc.type === 'account' && typeof doc.name === 'string')
        names.set(doc._id, doc.name);
    }
  }
  return days
    .sort((a, b) => a.rep.localeCompare(b.rep))
    .map((d) => ({
      ...d,
      displayName: displayNameOf(d.rep),
      stops: d.stops.map((stop) => ({ stop, accountName: names.get(stop.accountId) ?? null })),
    }));
}

/** The day after `date` ("YYYY-MM-DD"), for the reschedule form's starting value. */
export function nextDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  const t = new Date(y, m - 1, d + 1);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}`;
}
