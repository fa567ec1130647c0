import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHlc } from '$lib/clock/hlc';
import { createPullResolver } from '$lib/conflicts/device';
import { inboxItems, restoreVersion } from '$lib/conflicts/inbox';
import { createRepo } from '$lib/repo';
import { openRemoteDb } from '$lib/sync/remote';
import { startSync, type SyncController } from '$lib/sync/sync';
import type { LocalDb } from '$lib/db/pouch';
import { userDbName } from '../../src/lib/server/provision/names';
import { createDeviceUser } from '../../src/lib/server/provision/users';
import { startResolverWorker, type ResolverWorker } from '../../src/lib/server/resolver/worker';
import { destroyMemoryDbs, memoryDb } from '../helpers/memory-db';
import { startTestCouch, type TestCouch } from './couch-harness';
import { provisionTestTeam, type TestTeam } from './provision-harness';
import { waitFor } from './sync-setup';

/**
 * A rep edits a note offline while the supervisor edits the same note: after sync, both
 * devices and master hold the same merged note with no conflict, the rep's inbox lists it,
 * and "Restore other" makes the other text current everywhere.
 */
describe('a concurrent note edit, resolved everywhere', () => {
  let couch: TestCouch;
  let team: TestTeam;
  let worker: ResolverWorker;
  const syncs: SyncController[] = [];
  const NOTE = 'note:shared-1';

  beforeAll(async () => {
    couch = await startTestCouch();
    team = await provisionTestTeam(couch);
    worker = startResolverWorker({
      url: `${couch.url}/${team.masterDb}`,
      admin: couch.admin,
    });
    const seed = createRepo(memoryDb('seed'), {
      user: team.rep1,
      role: 'rep',
      clock: createHlc({ deviceId: 'seed' }),
    });
    const account = await seed.db.put({
      _id: 'account:shared',
      type: 'account',
      schema: 1,
      owner: team.rep1,
      name: 'Shared Hardware',
      address: { street: '1 Main St', city: 'Fairview' },
      contacts: [],
      updatedAt: '001795315276320-000000-seed',
      updatedBy: team.rep1,
      deviceId: 'seed',
    });
    expect(account.ok).toBe(true);
    const note = await seed.addNote({
      id: NOTE,
      accountId: 'account:shared',
      text: 'Gate code 1234',
    });
    const acc = await seed.db.get('account:shared');
    const docs = [acc, note].map(({ _rev: _ignored, ...d }) => d);
    expect((await couch.admin$('POST', `/${team.masterDb}/_bulk_docs`, { docs })).status).toBe(201);
  });
  afterAll(async () => {
    await Promise.all(syncs.map((s) => s.stop()));
    await worker?.stop();
    await destroyMemoryDbs();
    await team?.cleanup();
    await couch?.close();
  });

  async function device(person: string, role: 'rep' | 'supervisor', deviceId: string) {
    const cred = await createDeviceUser(team.couchAdmin, person, deviceId, 'test');
    const clock = createHlc({ deviceId });
    const local = memoryDb(`dev-${person}`);
    const repo = createRepo(local, { user: person, role, clock });
    const connect = () => {
      const remote = openRemoteDb(`${couch.url}/${userDbName(person)}`, { ...cred, clock });
      const sync = startSync(local, remote, { deviceId, onPulled: createPullResolver(local) });
      syncs.push(sync);
      return sync;
    };
    return { local, repo, clock, connect, sync: connect() };
  }

  const state = async (db: LocalDb) => {
    const doc = (await db.get(NOTE, { conflicts: true })) as Record<string, unknown>;
    return { rev: doc._rev, text: doc.text, conflicts: doc._conflicts };
  };
  const master = async () => {
    const r = await couch.admin$('GET', `/${team.masterDb}/${NOTE}?conflicts=true`);
    return { rev: r.body._rev, text: r.body.text, conflicts: r.body._conflicts };
  };

  it('converges on one merged note, lists it in the inbox, and restores the other text', async () => {
    const ana = await device(team.rep1, 'rep', 'dev-ana-c');
    const sam = await device(team.supervisor, 'supervisor', 'dev-sam-c');
    await waitFor('both devices have the note', async () =>
      Boolean(
        (await ana.local.get(NOTE).catch(() => null)) &&
        (await sam.local.get(NOTE).catch(() => null)),
      ),
    );

    // Ana goes offline and edits; Sam edits the same note meanwhile (later by the clock).
    await ana.sync.stop();
    await ana.repo.editNote(NOTE, 'Gate code 1234 - ask for Maria');
    await sam.repo.editNote(NOTE, 'Gate code changed to 9876');
    await waitFor(
      'sam edit in master',
      async () => (await master()).text === 'Gate code changed to 9876',
    );

    // Ana reconnects: the edits meet on the server and on both devices.
    ana.sync = ana.connect();
    const converged = await waitFor(
      'one merged note everywhere',
      async () => {
        const [a, s, m] = await Promise.all([state(ana.local), state(sam.local), master()]);
        const same =
          a.rev === s.rev && s.rev === m.rev && !a.conflicts && !s.conflicts && !m.conflicts;
        return same ? a : null;
      },
      30_000,
    );
    expect(converged.text).toBe('Gate code changed to 9876'); // the later edit (per-field LWW)

    const items = await waitFor('inbox item on ana', async () => {
      const list = await inboxItems(ana.local, { owners: [team.rep1] });
      return list.length > 0 ? list : null;
    });
    const item = items.find((i) => i.audit.docId === NOTE)!;
    expect(item.section).toBe('needs-review');
    const other = item.audit.losers.find(
      (l) => (l.body as { text?: string }).text === 'Gate code 1234 - ask for Maria',
    );
    expect(other).toBeDefined();

    // "Restore other" on Ana's device: a normal edit that reaches master and Sam.
    await restoreVersion(ana.local, item.audit._id, other!.rev, {
      user: team.rep1,
      deviceId: ana.clock.deviceId,
      hlc: ana.clock.now(),
    });
    await waitFor(
      'restored text everywhere',
      async () => {
        const [s, m] = await Promise.all([state(sam.local), master()]);
        return s.text === 'Gate code 1234 - ask for Maria' && m.text === s.text && !m.conflicts;
      },
      30_000,
    );
    const reviewed = await inboxItems(ana.local, { owners: [team.rep1] });
    expect(reviewed.some((i) => i.audit._id === item.audit._id)).toBe(false);
  });
});
