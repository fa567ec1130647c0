/**
 * The people Outpost knows (from `_users`), kept in memory and updated one person at a time as
 * `_users` changes: the provisioner and the change router route and provision from it, so no
 * `_users` change ever makes them read or touch everyone.
 */
import {
  createDirectory,
  type Directory,
  type OutpostPerson,
  type PersonRole,
} from '../../domain/routing';
import { isDeviceUser } from './names';

/** Reads an Outpost person from a `_users` doc; null for device users and non-Outpost users. */
export function personFromUserDoc(doc: Record<string, unknown>): OutpostPerson | null {
  const name = doc.name;
  if (typeof name !== 'string' || doc.type !== 'user' || isDeviceUser(name) || doc._deleted) {
    return null;
  }
  const roles = Array.isArray(doc.roles) ? (doc.roles as string[]) : [];
  const role: PersonRole | null = roles.includes('supervisor')
    ? 'supervisor'
    : roles.includes('rep')
      ? 'rep'
      : null;
  if (!role) return null;
  const outpost = (doc.outpost ?? {}) as { team?: unknown };
  return {
    name,
    role,
    team: typeof outpost.team === 'string' && outpost.team ? outpost.team : 'default',
  };
}

export interface People {
  /** Every person, in name order. */
  all(): OutpostPerson[];
  get(name: string): OutpostPerson | undefined;
  /** Records a person (or removes the name when `person` is null); returns the previous entry. */
  set(name: string, person: OutpostPerson | null): OutpostPerson | undefined;
  /** The routing directory of the people as they are now. */
  directory(): Directory;
}

/** Creates the store, optionally with people already known. */
export function createPeople(initial: Iterable<OutpostPerson> = []): People {
  const byName = new Map<string, OutpostPerson>();
  for (const p of initial) byName.set(p.name, p);
  let dir: Directory | null = null;
  return {
    all: () => [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    get: (name) => byName.get(name),
    set(name, person) {
      const before = byName.get(name);
      if (person) byName.set(name, person);
      else byName.delete(name);
      dir = null;
      return before;
    },
    directory: () => (dir ??= createDirectory(byName.values())),
  };
}

/** True when a person's role and team are the same before and after a change. */
export function samePerson(a: OutpostPerson | undefined, b: OutpostPerson | null): boolean {
  return !!a && !!b && a.role === b.role && a.team === b.team;
}
