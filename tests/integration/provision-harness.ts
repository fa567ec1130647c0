/** A provisioned Outpost team on the test CouchDB: master, people, their dbs and replications. */
import Nano from 'nano';
import { createProvisioner, type Provisioner } from '../../src/lib/server/provision/provision';
import { addPerson } from '../../src/lib/server/provision/users';
import type { TestCouch } from './couch-harness';

export interface TestTeam {
  provisioner: Provisioner;
  couchAdmin: Nano.ServerScope;
  masterDb: string;
  rep1: string;
  rep2: string;
  supervisor: string;
  password: string;
  /** Deletes what the team created (for a shared real CouchDB). */
  cleanup(): Promise<void>;
}

/** Creates two reps and a supervisor (one team) and provisions everything. */
export async function provisionTestTeam(couch: TestCouch): Promise<TestTeam> {
  const u = new URL(couch.url);
  u.username = encodeURIComponent(couch.admin.name);
  u.password = encodeURIComponent(couch.admin.password);
  const couchAdmin = Nano({ url: u.toString() });
  const masterDb = couch.unique('outpost');
  const team = couch.unique('team');
  const [rep1, rep2, supervisor] = ['ana', 'ben', 'sam'].map((n) => couch.unique(n));
  const password = 'correct-horse-1';
  for (const [name, role] of [
    [rep1, 'rep'],
    [rep2, 'rep'],
    [supervisor, 'supervisor'],
  ] as const) {
    await addPerson(couchAdmin, { name, password, role, team });
  }
  const provisioner = createProvisioner({
    couch: couchAdmin,
    masterDb,
    replicationUrl: couch.url,
    adminAuthorization: couch.adminAuth,
  });
  await provisioner.provisionAll();
  return {
    provisioner,
    couchAdmin,
    masterDb,
    rep1,
    rep2,
    supervisor,
    password,
    async cleanup() {
      if (!couch.real) return; // the embedded server's data folder is removed with it
      const people = [rep1, rep2, supervisor];
      const users = couchAdmin.use<Record<string, unknown>>('_users');
      const all = await users.list();
      for (const row of all.rows) {
        const name = row.id.replace('org.couchdb.user:', '');
        if (people.some((p) => name === p || name.startsWith(`${p}~`)))
          await users.destroy(row.id, row.value.rev);
      }
      const reps = couchAdmin.use<Record<string, unknown>>('_replicator');
      const docs = await reps.list();
      for (const row of docs.rows) {
        if (people.some((p) => row.id.endsWith(Buffer.from(p).toString('hex'))))
          await reps.destroy(row.id, row.value.rev);
      }
      for (const db of [
        masterDb,
        ...people.map((p) => `userdb-${Buffer.from(p).toString('hex')}`),
      ]) {
        await couchAdmin.db.destroy(db).catch(() => {});
      }
    },
  };
}
