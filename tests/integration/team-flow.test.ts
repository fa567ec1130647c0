import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHlc } from '$lib/clock/hlc';
import { loadDemoDay } from '$lib/demo/load';
import { createRepo } from '$lib/repo';
import { openRemoteDb } from '$lib/sync/remote';
import { startSync, type SyncController } from '$lib/sync/sync';
import { userDbName } from '../../src/lib/server/provision/names';
import { createDeviceUser } from '../../src/lib/server/provision/users';
import { destroyMemoryDbs, memoryDb } from '../helpers/memory-db';
import { startTestCouch, type TestCouch } from './couch-harness';
import { provisionTestTeam, type TestTeam } from './provision-harness';
import { waitFor } from './sync-setup';

const DATE = '2026-11-22';

/**
 * Device <-> per-user db <-> master with the real repo and sync client: a rep's check-in
 * (a new event AND an update of an existing stop) reaches master, and a supervisor's
 * reassignment reaches both reps' devices.
 */
describe('team flow through the server', () => {
  let couch: TestCouch;
  let team: TestTeam;
  const syncs: SyncController[] = [];

  beforeAll(async () => {
    couch = await startTestCouch();
    team = await provisionTestTeam(couch);
    // Today's plan in master, owned by the team's reps (the demo day, renamed to this team).
    const seed = memoryDb('seed');
    await loadDemoDay(seed, DATE, createHlc({ deviceId: 'seed' }));
    const rename = (v: unknown) => (v === 'ana' ? team.rep1 : v === 'ben' ? team.rep2 : v);
    const docs = (await seed.allDocs({ include_docs: true })).rows
      .map((r) => r.doc as Record<string, unknown>)
      .filter((d) => !String(d._id).startsWith('_design/'))
      .map(({ _rev: _ignored, ...d }) => ({
        ...d,
        owner: rename(d.owner),
        assignee: rename(d.assignee),
      }));
    const res = await couch.admin$('POST', `/${team.masterDb}/_bulk_docs`, { docs });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await Promise.all(syncs.map((s) => s.stop()));
    await destroyMemoryDbs();
    await team?.cleanup();
    await couch?.close();
  });

  async function device(person: string, role: 'rep' | 'supervisor', deviceId: string) {
    const cred = await createDeviceUser(team.couchAdmin, person, deviceId, 'test');
    const clock = createHlc({ deviceId });
    const local = memoryDb(`dev-${person}`);
    const remote = openRemoteDb(`${couch.url}/${userDbName(person)}`, { ...cred, clock });
    const sync = startSync(local, remote, { deviceId });
    syncs.push(sync);
    return { local, sync, repo: createRepo(local, { user: person, role, clock }) };
  }

  const masterDoc = async (id: string) =>
    (await couch.admin$('GET', `/${team.masterDb}/${encodeURIComponent(id)}`)).body;

  it("a rep's check-in reaches master: the event and the stop's new status", async () => {
    const ana = await device(team.rep1, 'rep', 'dev-ana-1');
    const route = await waitFor('ana has her 20 stops', async () => {
      const r = await ana.repo.dayRoute(DATE);
      return r.stops.length === 20 ? r : null;
    });
    const stopId = route.stops[0].stop._id;
    const { event } = await ana.repo.checkIn(stopId);
    const event$ = await waitFor('event in master', async () => {
      const d = await masterDoc(event._id);
      return d._id ? d : null;
    });
    expect(event$.occurredAt).toBe(event.occurredAt);
    const stop = await waitFor('stop update in master', async () => {
      const d = await masterDoc(stopId);
      return d.status === 'arrived' ? d : null;
    });
    expect(stop._rev).toBe((await ana.local.get(stopId))._rev);
  });

  it("a supervisor's reassignment reaches the new rep and leaves the old rep's route", async () => {
    const sam = await device(team.supervisor, 'supervisor', 'dev-sam-1');
    const ben = await device(team.rep2, 'rep', 'dev-ben-1');
    const ana = await device(team.rep1, 'rep', 'dev-ana-2');
    const stopId = `stop:demo-${DATE}-ana-05`;
    await waitFor('sam has the team plan', () => sam.local.get(stopId).then(Boolean, () => false));
    await waitFor('ana has the stop', async () =>
      (await ana.repo.dayRoute(DATE)).stops.some((r) => r.stop._id === stopId),
    );
    await sam.repo.reassignStop(stopId, team.rep2);
    await waitFor('ben sees it', async () =>
      (await ben.repo.dayRoute(DATE)).stops.some((r) => r.stop._id === stopId),
    );
    await waitFor('ana no longer sees it', async () =>
      (await ana.repo.dayRoute(DATE)).stops.every((r) => r.stop._id !== stopId),
    );
    expect((await masterDoc(stopId)).owner).toBe(team.rep2);
  });
});
