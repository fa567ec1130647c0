/**
 * The provisioner (DESIGN.md sections 1 and 8): creates master, the change router's db, CouchDB's
 * `_global_changes` (for `_db_updates`) and, per person, their db with `_security` and design doc. A `_users` change provisions that one person (and the supervisors whose team it
 * changes), never everyone. Idempotent: every step compares and writes only what differs,
 * ignoring what CouchDB adds to stored docs, so a second run changes nothing. Speaks CouchDB
 * HTTP only (nano).
 */
import type { ServerScope } from 'nano';
import { REFERENCE_TYPES, type OutpostPerson } from '../../domain/routing';
import { canonicalJson } from '../../domain/stamp';
import { forEachLimited } from '../router/limit';
import { routerDesignDoc } from '../router/design';
import { opsDesignDoc } from '../ops/design';
import { MANGO_INDEXES, outpostDesignDoc } from './design';
import { isDeviceUser, ownerRole, referenceDbName, userDbName } from './names';
import { createPeople, personFromUserDoc, samePerson, type People } from './people';

export type { OutpostPerson, PersonRole } from '../../domain/routing';
export { personFromUserDoc } from './people';

export interface ProvisionerOptions {
  /** nano with admin credentials. */
  couch: ServerScope;
  masterDb: string;
  /** The change router's checkpoint db. */
  routerDb: string;
  /** The provisioned people (the router routes to them); a new store by default. */
  people?: People;
  /** Called after a person was provisioned whose role or team is new (the router backfills). */
  onPersonChanged?: (name: string, before: OutpostPerson | undefined) => Promise<void>;
  /** People provisioned at once by `provisionAll` (default 8). */
  concurrency?: number;
  log?: (message: string) => void;
}

export interface ProvisionReport {
  created: string[];
  updated: string[];
}

interface CouchError {
  statusCode?: number;
}
const status = (err: unknown) => (err as CouchError)?.statusCode;

/** Whether the stored doc already holds every wanted field (CouchDB may add others). */
function holds(stored: Record<string, unknown>, wanted: Record<string, unknown>): boolean {
  return Object.entries(wanted).every(
    ([k, v]) => k === '_rev' || canonicalJson(stored[k]) === canonicalJson(v),
  );
}

/** Prefix of the `_replicator` docs of the first design (two per person), removed on start. */
const LEGACY_REPLICATION_PREFIX = 'outpost-';

/** Creates the provisioner. */
export function createProvisioner(opts: ProvisionerOptions) {
  const { couch, masterDb } = opts;
  const log = opts.log ?? (() => {});
  const people = opts.people ?? createPeople();

  /** Creates a db unless it exists; true when it was created just now (so it holds nothing). */
  async function ensureDb(name: string, report: ProvisionReport): Promise<boolean> {
    try {
      await couch.db.create(name);
      report.created.push(name);
      return true;
    } catch (err) {
      if (status(err) !== 412) throw err;
      return false;
    }
  }

  /**
   * Writes `doc` unless the stored one holds it; a concurrent writer (409) means: look again.
   * `fresh`: the db was just created, so there is nothing to read first.
   */
  async function upsert(
    db: string,
    doc: { _id: string } & Record<string, unknown>,
    report: ProvisionReport,
    fresh = false,
  ) {
    const scope = couch.use<Record<string, unknown>>(db);
    for (let attempt = 0; ; attempt++) {
      let current: Record<string, unknown> | null = null;
      try {
        if (!fresh || attempt > 0) current = (await scope.get(doc._id)) as Record<string, unknown>;
      } catch (err) {
        if (status(err) !== 404) throw err;
      }
      if (current && holds(current, doc)) return;
      try {
        await scope.insert({ ...doc, ...(current ? { _rev: current._rev as string } : {}) });
        (current ? report.updated : report.created).push(`${db}/${doc._id}`);
        return;
      } catch (err) {
        if (status(err) !== 409 || attempt >= 4) throw err;
      }
    }
  }

  async function ensureSecurity(
    db: string,
    security: Record<string, unknown>,
    report: ProvisionReport,
    fresh = false,
  ) {
    if (!fresh) {
      const current = (await couch.request({ db, path: '_security' })) as Record<string, unknown>;
      if (holds(current, security)) return;
    }
    await couch.request({ db, path: '_security', method: 'PUT', body: security });
    report.updated.push(`${db}/_security`);
  }

  /** Creates the Mango indexes the db lacks; a concurrent creation (409) is retried. */
  async function ensureIndexes(db: string) {
    const existing = (await couch.request({ db, path: '_index' })) as {
      indexes: { ddoc: string | null; name: string }[];
    };
    const have = new Set(existing.indexes.map((i) => `${i.ddoc}/${i.name}`));
    for (const index of MANGO_INDEXES) {
      if (have.has(`_design/${index.ddoc}/${index.name}`)) continue;
      for (let attempt = 0; ; attempt++) {
        try {
          await couch.request({ db, path: '_index', method: 'POST', body: index });
          break;
        } catch (err) {
          if (status(err) !== 409 || attempt >= 4) throw err;
        }
      }
    }
  }

  // One provisioning run per person at a time: the `_users` watcher and a sign-in often ask for
  // the same person at once, and their writes would otherwise race each other into 409s.
  const running = new Map<string, Promise<unknown>>();
  function onePerPerson<T>(name: string, run: () => Promise<T>): Promise<T> {
    const next = (running.get(name) ?? Promise.resolve()).then(run, run);
    const settled = next.catch(() => undefined);
    running.set(name, settled);
    void settled.then(() => {
      if (running.get(name) === settled) running.delete(name);
    });
    return next;
  }

  async function listPeople(): Promise<OutpostPerson[]> {
    const res = await couch.use<Record<string, unknown>>('_users').list({ include_docs: true });
    return res.rows
      .map((r) => (r.doc ? personFromUserDoc(r.doc as Record<string, unknown>) : null))
      .filter((p): p is OutpostPerson => p !== null);
  }

  /** Reps a supervisor's db accepts writes for (the design doc's TEAM). */
  const teamOf = (person: OutpostPerson, within = people) =>
    person.role === 'supervisor'
      ? within
          .directory()
          .repsOf(person.team)
          .filter((n) => n !== person.name)
      : [];

  /**
   * Creates or updates one person's db, security and design doc. No Mango indexes: a user db
   * is a sync endpoint nobody queries on the server (the device indexes its own copy), and on
   * the embedded server three indexes cost more than the rest of provisioning together.
   */
  async function provisionPerson(person: OutpostPerson, team: string[]): Promise<ProvisionReport> {
    const report: ProvisionReport = { created: [], updated: [] };
    const db = userDbName(person.name);
    const fresh = await ensureDb(db, report);
    await ensureSecurity(
      db,
      {
        admins: { names: [], roles: [] },
        members: { names: [person.name], roles: [ownerRole(person.name)] },
      },
      report,
      fresh,
    );
    await upsert(db, outpostDesignDoc(person.name, team), report, fresh);
    return report;
  }

  /**
   * A team's reference db (products, templates): its people (and their devices) read it, only
   * its supervisors and admins write it.
   */
  async function provisionReference(team: string, within = people): Promise<ProvisionReport> {
    const report: ProvisionReport = { created: [], updated: [] };
    const db = referenceDbName(team);
    const dir = within.directory();
    const names = [...dir.repsOf(team), ...dir.supervisorsOf(team)].sort();
    const fresh = await ensureDb(db, report);
    await ensureSecurity(
      db,
      {
        admins: { names: [], roles: [] },
        members: { names: names, roles: names.map(ownerRole) },
      },
      report,
      fresh,
    );
    await upsert(db, outpostDesignDoc(null, [], REFERENCE_TYPES), report, fresh);
    return report;
  }

  /** Removes the two `_replicator` docs per person of the first design (an upgrade). */
  async function removeLegacyReplications(report: ProvisionReport) {
    const rows = (
      await couch.use('_replicator').list({
        startkey: LEGACY_REPLICATION_PREFIX,
        endkey: `${LEGACY_REPLICATION_PREFIX}\ufff0`,
      })
    ).rows;
    const gone = rows
      .filter((r) => /^outpost-(pull|push)-[0-9a-f]+$/.test(r.id))
      .map((r) => ({ _id: r.id, _rev: r.value.rev, _deleted: true }));
    if (!gone.length) return;
    await couch.use('_replicator').bulk({ docs: gone });
    report.updated.push(...gone.map((d) => `_replicator/${d._id} (removed)`));
    log(`router: removed ${gone.length} per-person replications it replaces`);
  }

  const merge = (into: ProvisionReport, r: ProvisionReport) => {
    into.created.push(...r.created);
    into.updated.push(...r.updated);
  };

  /**
   * Applies a batch of people changes (a person, or null for one who left): provisions each
   * person's own db, then once per affected team its reference db and its supervisors' design
   * docs, then records them for the router and lets it backfill whoever joined or moved.
   */
  async function apply(changes: { name: string; person: OutpostPerson | null }[]) {
    const report: ProvisionReport = { created: [], updated: [] };
    const within = createPeople(people.all());
    const moved: { name: string; before: OutpostPerson | undefined }[] = [];
    const teams = new Set<string>();
    for (const { name, person } of changes) {
      const before = within.set(name, person);
      if (person && samePerson(before, person)) continue;
      if (person) moved.push({ name, before });
      for (const p of [before, person]) if (p) teams.add(p.team);
    }
    const arriving = changes.flatMap((c) => (c.person ? [c.person] : []));
    await forEachLimited(arriving, opts.concurrency ?? 8, async (person) => {
      merge(
        report,
        await onePerPerson(person.name, () => provisionPerson(person, teamOf(person, within))),
      );
    });
    for (const { name, person } of changes) people.set(name, person);
    const done = new Set(arriving.map((p) => p.name));
    for (const team of teams) {
      merge(report, await onePerPerson(`team:${team}`, () => provisionReference(team)));
      for (const s of people.directory().supervisorsOf(team)) {
        if (done.has(s)) continue;
        const sup = people.get(s)!;
        merge(report, await onePerPerson(s, () => provisionPerson(sup, teamOf(sup))));
      }
    }
    // A few at a time: the last of a large batch should not wait for everyone else's backfill.
    await forEachLimited(moved, opts.concurrency ?? 8, ({ name, before }) =>
      Promise.resolve(opts.onPersonChanged?.(name, before)),
    );
    return report;
  }

  /** A `_users` change as a person change; null for device users and other docs. */
  function changeOf(id: string, doc: Record<string, unknown> | null) {
    const name = id.replace(/^org\.couchdb\.user:/, '');
    if (name === id || isDeviceUser(name)) return null;
    return { name, person: doc ? personFromUserDoc(doc) : null };
  }

  return {
    people,

    /** Creates master (security, design docs, indexes), the router's db and `_global_changes`. */
    async ensureMaster(): Promise<ProvisionReport> {
      const report: ProvisionReport = { created: [], updated: [] };
      await ensureDb(masterDb, report);
      await ensureSecurity(
        masterDb,
        { admins: { names: [], roles: [] }, members: { names: [], roles: ['supervisor'] } },
        report,
      );
      await upsert(masterDb, outpostDesignDoc(null), report);
      await upsert(masterDb, routerDesignDoc(), report);
      await upsert(masterDb, opsDesignDoc(), report);
      await ensureIndexes(masterDb);
      await ensureDb(opts.routerDb, report);
      await ensureSecurity(
        opts.routerDb,
        { admins: { names: [], roles: ['_admin'] }, members: { names: [], roles: ['_admin'] } },
        report,
      );
      await ensureDb('_global_changes', report);
      await ensureDb('_replicator', report);
      await removeLegacyReplications(report);
      return report;
    },

    /** Provisions one person (and the team they joined or left); a sign-in calls this. */
    ensurePerson: (person: OutpostPerson) => apply([{ name: person.name, person }]),

    /**
     * Follows a batch of `_users` changes: provisions the people in it, forgets those who left
     * (their dbs are kept), updates the teams they joined or left. Device users provision nothing.
     */
    async usersChanged(changes: { id: string; doc: Record<string, unknown> | null }[]) {
      const batch = changes.flatMap((c) => changeOf(c.id, c.doc) ?? []);
      return batch.length ? apply(batch) : { created: [], updated: [] };
    },

    /** Provisions master and every person in `_users`; returns what it created or changed. */
    async provisionAll(): Promise<ProvisionReport> {
      const report = await this.ensureMaster();
      const everyone = await listPeople();
      const all = createPeople(everyone);
      await forEachLimited(everyone, opts.concurrency ?? 8, async (person) => {
        const r = await onePerPerson(person.name, () =>
          provisionPerson(person, teamOf(person, all)),
        );
        report.created.push(...r.created);
        report.updated.push(...r.updated);
      });
      for (const team of new Set(everyone.map((p) => p.team))) {
        const r = await onePerPerson(`team:${team}`, () => provisionReference(team, all));
        report.created.push(...r.created);
        report.updated.push(...r.updated);
      }
      for (const person of everyone) people.set(person.name, person);
      if (report.created.length + report.updated.length > 0) {
        log(`provisioned: ${report.created.length} created, ${report.updated.length} updated`);
      }
      return report;
    },
  };
}

export type Provisioner = ReturnType<typeof createProvisioner>;
