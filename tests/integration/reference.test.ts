/**
 * Reference data shared, not copied: products and templates live once per team in its
 * reference db; devices pull it in a pull-only lane beside their own db; what an earlier version
 * left in master moves there on start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHlc } from '$lib/clock/hlc';
import { createRepo } from '$lib/repo';
import { openRemoteDb } from '$lib/sync/remote';
import { startSync, type SyncController } from '$lib/sync/sync';
import { createAdminCouch } from '../../src/lib/server/couch/admin-http';
import { referenceDbName, userDbName } from '../../src/lib/server/provision/names';
import { createDeviceUser } from '../../src/lib/server/provision/users';
import { moveReferenceData } from '../../src/lib/server/router/reference';
import { destroyMemoryDbs, memoryDb } from '../helpers/memory-db';
import { startTestCouch, type TestCouch } from './couch-harness';
import { provisionTestTeam, type TestTeam } from './provision-harness';
import { waitFor } from './sync-setup';

const HLC = '001795315276320-000000-sup';

function product(sku: string, owner: string, price = 1299) {
  return {
    _id: `product:${sku}`,
    type: 'product',
    schema: 1,
    owner,
    sku,
    name: `Product ${sku}`,
    unit: 'each',
    price,
    taxRate: 600,
    category: 'General',
    active: true,
    updatedAt: HLC,
    updatedBy: owner,
    deviceId: 'server',
  };
}

describe('team reference db', () => {
  let couch: TestCouch;
  let team: TestTeam;
  const syncs: SyncController[] = [];

  beforeAll(async () => {
    couch = await startTestCouch();
    team = await provisionTestTeam(couch);
  });
  afterAll(async () => {
    await Promise.all(syncs.map((s) => s.stop()));
    await destroyMemoryDbs();
    await team?.cleanup();
    await couch?.close();
  });

  it('the provisioner gives each team one reference db its people may read', async () => {
    const sec = await couch.admin$('GET', `/${referenceDbName(team.team)}/_security`);
    expect(sec.status).toBe(200);
    expect([...sec.body.members.names].sort()).toEqual(
      [team.rep1, team.rep2, team.supervisor].sort(),
    );
    expect(sec.body.members.roles).toContain(`owner:${team.rep1}`);
  });

  it('products and templates left in master move into the team reference db once', async () => {
    const sku = couch.unique('OLD').toUpperCase();
    const old = product(sku, team.supervisor);
    const put = await couch.admin$('PUT', `/${team.masterDb}/${encodeURIComponent(old._id)}`, old);
    expect(put.status).toBe(201);
    const admin = createAdminCouch({ url: couch.url, admin: couch.admin });
    expect(await moveReferenceData(admin, team.masterDb, [team.team])).toBeGreaterThanOrEqual(1);
    const moved = await couch.admin$(
      'GET',
      `/${referenceDbName(team.team)}/${encodeURIComponent(old._id)}`,
    );
    expect(moved.body._rev).toBe(put.body.rev);
    const inMaster = await couch.admin$('GET', `/${team.masterDb}/${encodeURIComponent(old._id)}`);
    expect(inMaster.status).toBe(404);
    expect(await moveReferenceData(admin, team.masterDb, [team.team])).toBe(0);
  });

  it('a catalogue change reaches a rep device through the reference lane, not her own db', async () => {
    const refDb = referenceDbName(team.team);
    const sku = couch.unique('NEW').toUpperCase();
    const p = product(sku, team.supervisor, 1000);
    const created = await couch.admin$('PUT', `/${refDb}/${encodeURIComponent(p._id)}`, p);
    expect(created.status).toBe(201);

    const deviceId = 'dev-ref-1';
    const cred = await createDeviceUser(team.couchAdmin, team.rep1, deviceId, 'test');
    const clock = createHlc({ deviceId });
    const local = memoryDb('ref-main');
    const reference = memoryDb('ref-copy');
    const remote = openRemoteDb(`${couch.url}/${userDbName(team.rep1)}`, { ...cred, clock });
    const refRemote = openRemoteDb(`${couch.url}/${refDb}`, cred);
    const sync = startSync(local, remote, {
      deviceId,
      reference: { local: reference, remote: refRemote },
    });
    syncs.push(sync);
    const repo = createRepo(local, { user: team.rep1, role: 'rep', clock, reference });
    await waitFor('the product on the device', async () =>
      repo.getProduct(p._id).then(
        (d) => d.price === 1000,
        () => false,
      ),
    );
    expect((await repo.searchProducts(sku.toLowerCase())).length).toBe(1);

    const changed = { ...p, _rev: created.body.rev, price: 1500 };
    expect(
      (await couch.admin$('PUT', `/${refDb}/${encodeURIComponent(p._id)}`, changed)).status,
    ).toBe(201);
    sync.syncNow();
    await waitFor('the new price on the device', async () =>
      repo.getProduct(p._id).then(
        (d) => d.price === 1500,
        () => false,
      ),
    );
    expect(await local.get(p._id).catch((e: { status: number }) => e.status)).toBe(404);
    // The reference copy is never pushed: the device cannot write the reference db anyway.
    expect(sync.status.pending).toBe(0);
  });
});
