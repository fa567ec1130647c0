import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userDbName } from '../../src/lib/server/provision/names';
import { basicAuth, startTestCouch, type TestCouch } from './couch-harness';
import { waitFor } from './sync-setup';
import { provisionTestTeam, type TestTeam } from './provision-harness';

describe('provisioner', () => {
  let couch: TestCouch;
  let team: TestTeam;

  beforeAll(async () => {
    couch = await startTestCouch();
    team = await provisionTestTeam(couch);
  });
  afterAll(async () => {
    await team?.cleanup();
    await couch?.close();
  });

  it('creates master and every per-user db with _security and the design doc', async () => {
    for (const db of [
      team.masterDb,
      userDbName(team.rep1),
      userDbName(team.rep2),
      userDbName(team.supervisor),
    ]) {
      const info = await couch.admin$('GET', `/${db}`);
      expect(info.status).toBe(200);
      const ddoc = await couch.admin$('GET', `/${db}/_design/outpost`);
      expect(ddoc.body.validate_doc_update).toContain('function');
    }
    const sec = await couch.admin$('GET', `/${userDbName(team.rep1)}/_security`);
    expect(sec.body.members).toEqual({ names: [team.rep1], roles: [`owner:${team.rep1}`] });
    const routerDb = await couch.admin$('GET', `/${team.routerDb}/_security`);
    expect(routerDb.body.members).toEqual({ names: [], roles: ['_admin'] });
    expect((await couch.admin$('GET', '/_global_changes')).status).toBe(200);
  });

  it('writes no per-person replication: the change router replaces them', async () => {
    const jobs = await couch.admin$('GET', '/_replicator/_all_docs');
    const ours = (jobs.body.rows as { id: string }[]).filter((r) =>
      [team.rep1, team.rep2, team.supervisor].some((p) =>
        r.id.endsWith(Buffer.from(p).toString('hex')),
      ),
    );
    expect(ours).toEqual([]);
  });

  it('is idempotent: running it again changes nothing', async () => {
    const report = await team.provisioner.provisionAll();
    expect(report).toEqual({ created: [], updated: [] });
  });

  it('an assignment written to master reaches only its rep; a rep write reaches master', async () => {
    const stop = {
      _id: `stop:${couch.unique('s1')}`,
      type: 'stop',
      schema: 1,
      owner: team.rep1,
      assignee: team.rep1,
      date: '2026-11-22',
      seq: 1,
      accountId: 'account:x',
      window: { start: '08:00', end: '09:00' },
      status: 'planned',
      updatedAt: '001795315276320-000000-sup',
      updatedBy: team.supervisor,
      deviceId: 'server',
    };
    expect(
      (await couch.admin$('PUT', `/${team.masterDb}/${encodeURIComponent(stop._id)}`, stop)).status,
    ).toBe(201);
    const path = (name: string) => `/${userDbName(name)}/${encodeURIComponent(stop._id)}`;
    await waitFor(
      'replication',
      async () => (await couch.admin$('GET', path(team.rep1))).status === 200,
    );
    await waitFor(
      'replication',
      async () => (await couch.admin$('GET', path(team.supervisor))).status === 200,
    );
    expect((await couch.admin$('GET', path(team.rep2))).status).toBe(404);

    const note = {
      _id: `note:${couch.unique('n1')}`,
      type: 'note',
      schema: 1,
      owner: team.rep1,
      text: 'Back door is locked',
      accountId: 'account:x',
      createdAt: '2026-11-22T08:00:00.000Z',
      updatedAt: '001795315276321-000000-dev',
      updatedBy: team.rep1,
      deviceId: 'dev',
    };
    const put = await couch.as(
      basicAuth(team.rep1, team.password),
      'PUT',
      `/${userDbName(team.rep1)}/${note._id}`,
      note,
    );
    expect(put.status).toBe(201);
    await waitFor(
      'the note in master',
      async () => (await couch.admin$('GET', `/${team.masterDb}/${note._id}`)).status === 200,
    );
  });

  it('design docs never flow from a per-user db into master', async () => {
    await new Promise((r) => setTimeout(r, 500));
    const ddoc = await couch.admin$('GET', `/${team.masterDb}/_design/outpost`);
    expect(ddoc.body.validate_doc_update).toContain('var DB_OWNER = null;');
  });
});
