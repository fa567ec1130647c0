/**
 * Who should see a document: the routing rule of the server's change router (DESIGN.md section 1),
 * pure so it is unit-tested on its own. It is the rule the per-person pull selectors used to
 * state, with products and templates moved to the team's reference db and accounts going only to
 * the people who need them.
 */

export type PersonRole = 'rep' | 'supervisor';

/** A person known to Outpost (read from their `_users` doc). */
export interface OutpostPerson {
  name: string;
  role: PersonRole;
  /** Team name; a supervisor sees the reps of the same team. */
  team: string;
}

/** The team directory the router routes by: every person, and each team's supervisors. */
export interface Directory {
  person(name: string): OutpostPerson | undefined;
  /** Names of the supervisors of a team (sorted). */
  supervisorsOf(team: string): readonly string[];
  /** Names of the reps of a team (sorted). */
  repsOf(team: string): readonly string[];
}

/** Types that live in the team's reference db and are never copied into per-user dbs. */
export const REFERENCE_TYPES: readonly string[] = ['product', 'template'];

/** Ids the router moves: `<type>:<key>` (never design or `_local` docs). */
export function isRoutableId(id: string): boolean {
  return /^[a-z]+:/.test(id);
}

/** A directory over a list of people. */
export function createDirectory(people: Iterable<OutpostPerson>): Directory {
  const byName = new Map<string, OutpostPerson>();
  for (const p of people) byName.set(p.name, p);
  const byTeam = (role: PersonRole) => {
    const teams = new Map<string, string[]>();
    for (const p of byName.values()) {
      if (p.role !== role) continue;
      const list = teams.get(p.team) ?? [];
      list.push(p.name);
      teams.set(p.team, list);
    }
    for (const list of teams.values()) list.sort();
    return teams;
  };
  const supervisors = byTeam('supervisor');
  const reps = byTeam('rep');
  return {
    person: (name) => byName.get(name),
    supervisorsOf: (team) => supervisors.get(team) ?? [],
    repsOf: (team) => reps.get(team) ?? [],
  };
}

/** The people a doc is about: its owner, its assignee and anyone it was assigned to before. */
export function peopleOf(doc: Record<string, unknown>): string[] {
  const names = new Set<string>();
  if (typeof doc.owner === 'string') names.add(doc.owner);
  if (typeof doc.assignee === 'string') names.add(doc.assignee);
  if (Array.isArray(doc.formerAssignees)) {
    for (const n of doc.formerAssignees) if (typeof n === 'string') names.add(n);
  }
  return [...names];
}

/** Adds the known people among `names` and the supervisors of their teams to `into`. */
function addWithSupervisors(names: Iterable<string>, dir: Directory, into: Set<string>) {
  for (const name of names) {
    const person = dir.person(name);
    if (!person) continue;
    into.add(name);
    for (const s of dir.supervisorsOf(person.team)) into.add(s);
  }
}

/**
 * The people whose db should hold `doc` (its winning revision, tombstones included: they keep
 * `type` and `owner`). `accountStopPeople` lists, for an account, the reps with a stop at it.
 * Reference types and non-Outpost ids go to nobody.
 */
export function recipientsOf(
  doc: Record<string, unknown>,
  dir: Directory,
  accountStopPeople: readonly string[] = [],
): Set<string> {
  const to = new Set<string>();
  const id = typeof doc._id === 'string' ? doc._id : '';
  if (!isRoutableId(id) || REFERENCE_TYPES.includes(String(doc.type))) return to;
  addWithSupervisors(peopleOf(doc), dir, to);
  if (doc.type === 'account') addWithSupervisors(accountStopPeople, dir, to);
  return to;
}

/**
 * The people who need the account of a stop: everyone who sees the stop, earlier assignees
 * included. They keep the stop, and the account copy they got with it must keep up with the
 * server: left behind, a conflict on it was never resolved there (chaos seed 450).
 */
export function accountRecipientsOfStop(
  stop: Record<string, unknown>,
  dir: Directory,
): Set<string> {
  const to = new Set<string>();
  if (stop.type !== 'stop' || stop._deleted) return to;
  addWithSupervisors(peopleOf(stop), dir, to);
  return to;
}
