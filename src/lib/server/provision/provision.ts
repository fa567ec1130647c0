/**
 * The provisioner (DESIGN.md sections 1 and 8): creates the master db and, for every person in
 * `_users`, their per-user db with `_security`, design doc, Mango indexes and the two
 * server-side replications as `_replicator` docs. Idempotent: every step compares and writes
 * only what differs, so it is safe to run again at any time. Speaks CouchDB HTTP only (nano).
 */
import type { ServerScope } from 'nano';
import { canonicalJson } from '../../domain/stamp';
import { MANGO_INDEXES, outpostDesignDoc } from './design';
import { isDeviceUser, ownerRole, replicationIds, userDbName } from './names';

export type PersonRole = 'rep' | 'supervisor';

/** A person known to Outpost, read from their `_users` doc. */
export interface OutpostPerson {
  name: string;
  role: PersonRole;
  /** Team name; a supervisor sees the reps of the same team. */
  team: string;
}

export interface ProvisionerOptions {
  /** nano with admin credentials. */
  couch: ServerScope;
  masterDb: string;
  /** How CouchDB reaches itself for `_replicator` endpoints, without credentials. */
  replicationUrl: string;
  /** `Basic ...` admin header placed in `_replicator` endpoint headers (admin-only db). */
  adminAuthorization: string;
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

/** Everything of a stored doc except its revision, for comparison. */
function sameBody(stored: Record<string, unknown>, wanted: Record<string, unknown>): boolean {
  const { _rev: _ignored, ...rest } = stored;
  return canonicalJson(rest) === canonicalJson(wanted);
}

/** Reads an Outpost person from a `_users` doc; null for device users and non-Outpost users. */
export function personFromUserDoc(doc: Record<string, unknown>): OutpostPerson | null {
  const name = doc.name;
  if (typeof name !== 'string' || doc.type !== 'user' || isDeviceUser(name)) return null;
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

/** The Mango selector of what flows from master into a person's db. */
export function pullSelector(person: OutpostPerson, team: string[]): Record<string, unknown> {
  if (person.role === 'supervisor') {
    return {
      $or: [
        { owner: { $in: [person.name, ...team].sort() } },
        { type: 'account' },
        { type: 'template' },
        { type: 'product' },
      ],
    };
  }
  return {
    $or: [
      { owner: person.name },
      { assignee: person.name },
      { formerAssignees: { $elemMatch: { $eq: person.name } } },
      { type: 'account' },
      { type: 'template' },
      { type: 'product' },
    ],
  };
}

/** What flows from a person's db back to master: every Outpost doc, never design docs. */
export const PUSH_SELECTOR = { _id: { $regex: '^[a-z]+:' } };

/** Creates the provisioner. */
export function createProvisioner(opts: ProvisionerOptions) {
  const { couch, masterDb } = opts;
  const log = opts.log ?? (() => {});
  const endpoint = (db: string) => ({
    url: `${opts.replicationUrl.replace(/\/$/, '')}/${encodeURIComponent(db)}`,
    headers: { Authorization: opts.adminAuthorization },
  });

  async function ensureDb(name: string, report: ProvisionReport) {
    try {
      await couch.db.create(name);
      report.created.push(name);
    } catch (err) {
      if (status(err) !== 412) throw err;
    }
  }

  /** Writes `doc` unless the stored one is the same; a concurrent writer (409) means: look again. */
  async function upsert(
    db: string,
    doc: { _id: string } & Record<string, unknown>,
    report: ProvisionReport,
  ) {
    const scope = couch.use<Record<string, unknown>>(db);
    for (let attempt = 0; ; attempt++) {
      let current: Record<string, unknown> | null = null;
      try {
        current = (await scope.get(doc._id)) as Record<string, unknown>;
      } catch (err) {
        if (status(err) !== 404) throw err;
      }
      if (current && sameBody(current, doc)) return;
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
  ) {
    const current = (await couch.request({ db, path: '_security' })) as Record<string, unknown>;
    if (canonicalJson(current) === canonicalJson(security)) return;
    await couch.request({ db, path: '_security', method: 'PUT', body: security });
    report.updated.push(`${db}/_security`);
  }

  /** Creates the Mango indexes; a concurrent creation of the same index (409) is retried. */
  async function ensureIndexes(db: string) {
    for (const index of MANGO_INDEXES) {
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

  const teamOf = (person: OutpostPerson, people: OutpostPerson[]) =>
    people
      .filter((p) => p.role === 'rep' && p.team === person.team && p.name !== person.name)
      .map((p) => p.name);

  return {
    /** Creates master with its security (admins and supervisors), design doc and indexes. */
    async ensureMaster(): Promise<ProvisionReport> {
      const report: ProvisionReport = { created: [], updated: [] };
      await ensureDb(masterDb, report);
      await ensureSecurity(
        masterDb,
        { admins: { names: [], roles: [] }, members: { names: [], roles: ['supervisor'] } },
        report,
      );
      await upsert(masterDb, outpostDesignDoc(null), report);
      await ensureIndexes(masterDb);
      return report;
    },

    /** Creates or updates one person's db, security, design doc, indexes and replications. */
    ensurePerson(person: OutpostPerson, people?: OutpostPerson[]): Promise<ProvisionReport> {
      return onePerPerson(person.name, () => provisionPerson(person, people));
    },

    /** Provisions master and every person in `_users`; returns what it created or changed. */
    async provisionAll(): Promise<ProvisionReport> {
      const report = await this.ensureMaster();
      const people = await listPeople();
      for (const person of people) {
        const r = await this.ensurePerson(person, people);
        report.created.push(...r.created);
        report.updated.push(...r.updated);
      }
      if (report.created.length + report.updated.length > 0) {
        log(`provisioned: ${report.created.length} created, ${report.updated.length} updated`);
      }
      return report;
    },

    listPeople,
  };

  /** ensurePerson without the one-at-a-time guard. */
  async function provisionPerson(
    person: OutpostPerson,
    people?: OutpostPerson[],
  ): Promise<ProvisionReport> {
    const report: ProvisionReport = { created: [], updated: [] };
    const team = person.role === 'supervisor' ? teamOf(person, people ?? (await listPeople())) : [];
    const db = userDbName(person.name);
    await ensureDb(db, report);
    await ensureSecurity(
      db,
      {
        admins: { names: [], roles: [] },
        members: { names: [person.name], roles: [ownerRole(person.name)] },
      },
      report,
    );
    await upsert(db, outpostDesignDoc(person.name, team), report);
    await ensureIndexes(db);
    await ensureDb('_replicator', report);
    const ids = replicationIds(person.name);
    await upsert(
      '_replicator',
      {
        _id: ids.pull,
        source: endpoint(masterDb),
        target: endpoint(db),
        selector: pullSelector(person, team),
        continuous: true,
      },
      report,
    );
    await upsert(
      '_replicator',
      {
        _id: ids.push,
        source: endpoint(db),
        target: endpoint(masterDb),
        selector: PUSH_SELECTOR,
        continuous: true,
      },
      report,
    );
    return report;
  }
}

export type Provisioner = ReturnType<typeof createProvisioner>;
