/** What each person's db should hold of master, by the router's rule (for invariant checks). */
import {
  accountRecipientsOfStop,
  createDirectory,
  peopleOf,
  recipientsOf,
  type OutpostPerson,
} from '../../src/lib/domain/routing';

type Doc = Record<string, unknown> & { _id: string };

/** Person name -> ids of the master docs routed to them. */
export function expectedHoldings(
  master: Map<string, Doc>,
  people: OutpostPerson[],
): Map<string, Set<string>> {
  const dir = createDirectory(people);
  const out = new Map<string, Set<string>>(people.map((p) => [p.name, new Set<string>()]));
  const stopPeople = new Map<string, string[]>();
  for (const doc of master.values()) {
    if (doc.type !== 'stop' || doc._deleted || typeof doc.accountId !== 'string') continue;
    const list = stopPeople.get(doc.accountId) ?? [];
    list.push(...peopleOf(doc));
    stopPeople.set(doc.accountId, list);
    for (const name of accountRecipientsOfStop(doc, dir)) out.get(name)?.add(doc.accountId);
  }
  for (const doc of master.values()) {
    const to = recipientsOf(doc, dir, stopPeople.get(doc._id) ?? []);
    for (const name of to) out.get(name)?.add(doc._id);
  }
  return out;
}
