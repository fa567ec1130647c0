import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userDbName } from '../../src/lib/server/provision/names';
import { createDeviceUser } from '../../src/lib/server/provision/users';
import { basicAuth, startTestCouch, type TestCouch } from './couch-harness';
import { provisionTestTeam, type TestTeam } from './provision-harness';

/**
 * validate_doc_update under replication (`_bulk_docs` with `new_edits: false`): CouchDB checks a
 * replicated revision against its own nearest stored ancestor, not the doc's current winner. A
 * rep's check-in made on the stop revision she had must be accepted even when the supervisor's
 * reassignment (owned by another rep) reached her db first (chaos seed 2 moving-vehicle: the
 * embedded server refused it and the check-in never reached master).
 */
describe('POST /{userdb}/_bulk_docs new_edits=false - validated against the revision ancestor', () => {
  let couch: TestCouch;
  let team: TestTeam;
  let auth = '';
  let db = '';
  const base = {
    type: 'task',
    schema: 1,
    stopId: 'stop:s1',
    title: 'Count stock',
    done: false,
    updatedAt: '001795315276320-000000-seed',
    updatedBy: 'sam',
    deviceId: 'seed',
  };

  beforeAll(async () => {
    couch = await startTestCouch();
    team = await provisionTestTeam(couch);
    db = userDbName(team.rep1);
    const cred = await createDeviceUser(team.couchAdmin, team.rep1, 'dev-repl', 'test');
    auth = basicAuth(cred.username, cred.password);
    // The task as the rep had it (1-aaa, hers), then the supervisor's move to the other rep.
    const seeded = await couch.admin$('POST', `/${db}/_bulk_docs`, {
      new_edits: false,
      docs: [
        {
          ...base,
          _id: 'task:t1',
          _rev: '1-aaa',
          _revisions: { start: 1, ids: ['aaa'] },
          owner: team.rep1,
        },
        {
          ...base,
          _id: 'task:t1',
          _rev: '2-bbb',
          _revisions: { start: 2, ids: ['bbb', 'aaa'] },
          owner: team.rep2,
          formerAssignees: [team.rep1],
        },
      ],
    });
    expect(seeded.status).toBe(201);
  });
  afterAll(async () => {
    await team?.cleanup();
    await couch?.close();
  });

  it("accepts the rep's edit of the revision she had, as a conflicting branch", async () => {
    const res = await couch.as(auth, 'POST', `/${db}/_bulk_docs`, {
      new_edits: false,
      docs: [
        {
          ...base,
          _id: 'task:t1',
          _rev: '2-ccc',
          _revisions: { start: 2, ids: ['ccc', 'aaa'] },
          owner: team.rep1,
          done: true,
        },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual([]);
    const leaves = await couch.admin$('GET', `/${db}/task:t1?open_revs=all`);
    expect((leaves.body as { ok: { _rev: string } }[]).map((l) => l.ok._rev).sort()).toEqual([
      '2-bbb',
      '2-ccc',
    ]);
  });

  it("still refuses a replicated edit on top of the other rep's revision", async () => {
    const res = await couch.as(auth, 'POST', `/${db}/_bulk_docs`, {
      new_edits: false,
      docs: [
        {
          ...base,
          _id: 'task:t1',
          _rev: '3-ddd',
          _revisions: { start: 3, ids: ['ddd', 'bbb', 'aaa'] },
          owner: team.rep1,
          done: true,
        },
      ],
    });
    expect(res.body).toEqual([
      expect.objectContaining({
        id: 'task:t1',
        error: expect.stringMatching(/unauthorized|forbidden/),
      }),
    ]);
  });
  it('accepts a revision the db already has as a no-op, even one the rep may no longer write', async () => {
    // A device resending its own revisions after a lost checkpoint: 1-aaa is hers, but the
    // doc has since moved to the other rep. CouchDB skips validation for a revision already in
    // the tree ("already exists ... consider it a success") and stores nothing.
    const before = await couch.admin$('GET', `/${db}/task:t1?revs_info=true&conflicts=true`);
    const res = await couch.as(auth, 'POST', `/${db}/_bulk_docs`, {
      new_edits: false,
      docs: [
        {
          ...base,
          _id: 'task:t1',
          _rev: '1-aaa',
          _revisions: { start: 1, ids: ['aaa'] },
          owner: team.rep1,
        },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual([]);
    const after = await couch.admin$('GET', `/${db}/task:t1?revs_info=true&conflicts=true`);
    expect(after.body).toEqual(before.body);
  });
});
