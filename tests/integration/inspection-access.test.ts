import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TEMPLATES } from '../../src/lib/demo/templates';
import { referenceDbName, userDbName } from '../../src/lib/server/provision/names';
import { basicAuth, startTestCouch, type TestCouch } from './couch-harness';
import { provisionTestTeam, type TestTeam } from './provision-harness';

const HLC = '001795315276320-000000-dev';
const stamps = (owner: string) => ({
  schema: 1,
  owner,
  updatedAt: HLC,
  updatedBy: owner,
  deviceId: 'dev',
});

function inspection(owner: string, extra: Record<string, unknown> = {}) {
  return {
    _id: 'inspection:i1',
    type: 'inspection',
    ...stamps(owner),
    stopId: 'stop:s1',
    accountId: 'account:a1',
    templateId: 'template:safety-walk',
    template: DEMO_TEMPLATES['safety-walk'],
    status: 'draft',
    answers: {},
    startedAt: '2026-11-22T08:00:00.000Z',
    ...extra,
  };
}

describe('inspections and templates under validate_doc_update', () => {
  let couch: TestCouch;
  let team: TestTeam;
  let rep: string;
  let supervisor: string;
  let db: string;

  beforeAll(async () => {
    couch = await startTestCouch();
    team = await provisionTestTeam(couch);
    rep = basicAuth(team.rep1, team.password);
    supervisor = basicAuth(team.supervisor, team.password);
    db = userDbName(team.rep1);
  }, 60_000);
  afterAll(async () => {
    await team?.cleanup();
    await couch?.close();
  });

  it('PUT /userdb-A/inspection - a draft, then its submission, then no further change', async () => {
    const draft = await couch.as(rep, 'PUT', `/${db}/inspection:i1`, inspection(team.rep1));
    expect(draft.status).toBe(201);
    const submitted = await couch.as(
      rep,
      'PUT',
      `/${db}/inspection:i1`,
      inspection(team.rep1, {
        _rev: draft.body.rev,
        status: 'submitted',
        submittedAt: '2026-11-22T09:00:00.000Z',
      }),
    );
    expect(submitted.status).toBe(201);
    const edit = await couch.as(
      rep,
      'PUT',
      `/${db}/inspection:i1`,
      inspection(team.rep1, { _rev: submitted.body.rev, status: 'draft' }),
    );
    expect(edit.status).toBe(403);
    expect(edit.body.reason).toBe('A submitted inspection can no longer be changed.');
    const removed = await couch.as(
      rep,
      'DELETE',
      `/${db}/inspection:i1?rev=${encodeURIComponent(submitted.body.rev as string)}`,
    );
    expect(removed.status).toBe(403);
  });

  it('PUT /userdb-A/inspection - a submission without its submit time is refused', async () => {
    const r = await couch.as(
      rep,
      'PUT',
      `/${db}/inspection:i2`,
      inspection(team.rep1, { _id: 'inspection:i2', status: 'submitted' }),
    );
    expect(r.status).toBe(403);
    expect(r.body.reason).toBe('A submitted inspection needs its submit time.');
  });

  it('PUT /userdb-A/template - a rep may not write a template, not even one of their own', async () => {
    const r = await couch.as(rep, 'PUT', `/${db}/template:mine`, {
      _id: 'template:mine',
      type: 'template',
      ...stamps(team.rep1),
      ...DEMO_TEMPLATES['fridge-check'],
    });
    expect(r.status).toBe(403);
    expect(r.body.reason).toBe("Products and templates are written in the team's reference db.");
  });

  it('PUT /outpost-ref-<team>/template - a supervisor writes a template in the team reference db', async () => {
    const r = await couch.as(supervisor, 'PUT', `/${referenceDbName(team.team)}/template:walk`, {
      _id: 'template:walk',
      type: 'template',
      ...stamps(team.supervisor),
      ...DEMO_TEMPLATES['safety-walk'],
    });
    expect(r.status).toBe(201);
  });
});
