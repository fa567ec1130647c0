/** A provisioned Outpost team on the test CouchDB: master, people, their dbs and the change router. */
import Nano from 'nano';
import { createAdminCouch } from '../../src/lib/server/couch/admin-http';
import { createProvisioner, type Provisioner } from '../../src/lib/server/provision/provision';
import { referenceDbName } from '../../src/lib/server/provision/names';
import { addPerson } from '../../src/lib/server/provision/users';
import { startRouter, type ChangeRouter, type RouterOptions } from '../../src/lib/server/router';
import type { TestCouch } from './couch-harness';

export interface TestTeam {
  provisioner: Provisioner;
  couchAdmin: Nano.ServerScope;
  masterDb: string;
  /** The router's checkpoint db (unique per team). */
  routerDb: string;
  /** The running change router (stopped by cleanup). */
  router: ChangeRouter;
  /** Starts another router on the same team (a second app instance, or a restart). */
  startRouter(overrides?: Partial<RouterOptions>): ChangeRouter;
  /** The team's name (its reference db is `referenceDbName(team)`). */
  team: string;
  rep1: string;
  rep2: string;
  supervisor: string;
  password: string;
  /** Deletes what the team created (for a shared real CouchDB). */
  cleanup(): Promise<void>;
}

/** Creates two reps and a supervisor (one team), provisions everything and starts a router. */
export async function provisionTestTeam(
  couch: TestCouch,
  routerOptions: Partial<RouterOptions> = {},
): Promise<TestTeam> {
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
  const routerDb = couch.unique('outpost-router');
  const routers: ChangeRouter[] = [];
  const provisioner = createProvisioner({
    couch: couchAdmin,
    masterDb,
    routerDb,
    onPersonChanged: (name, before) => result.router.personChanged(name, before),
  });
  await provisioner.provisionAll();
  const launch = (overrides: Partial<RouterOptions> = {}) => {
    const router = startRouter({
      couch: createAdminCouch({ url: couch.url, admin: couch.admin }),
      masterDb,
      routerDb,
      people: provisioner.people,
      longpollMs: 10_000,
      ...routerOptions,
      ...overrides,
    });
    routers.push(router);
    return router;
  };
  const result: TestTeam = {
    provisioner,
    couchAdmin,
    masterDb,
    routerDb,
    router: launch(),
    startRouter: launch,
    team,
    rep1,
    rep2,
    supervisor,
    password,
    async cleanup() {
      await Promise.all(routers.map((r) => r.stop()));
      if (!couch.real) return; // the embedded server's data folder is removed with it
      const people = [rep1, rep2, supervisor];
      const users = couchAdmin.use<Record<string, unknown>>('_users');
      const all = await users.list();
      for (const row of all.rows) {
        const name = row.id.replace('org.couchdb.user:', '');
        if (people.some((p) => name === p || name.startsWith(`${p}~`)))
          await users.destroy(row.id, row.value.rev);
      }
      for (const db of [
        masterDb,
        routerDb,
        referenceDbName(team),
        ...people.map((p) => `userdb-${Buffer.from(p).toString('hex')}`),
      ]) {
        await couchAdmin.db.destroy(db).catch(() => {});
      }
    },
  };
  return result;
}
