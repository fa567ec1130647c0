import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateDoc } from '$lib/domain/validate';
import { userDbName } from '../../src/lib/server/provision/names';
import { eventDoc, noteDoc, stopDoc, taskDoc } from '../helpers/docs';
import { basicAuth, startTestCouch, type TestCouch } from './couch-harness';
import { provisionTestTeam, type TestTeam } from './provision-harness';

type Doc = Record<string, unknown>;

/**
 * The server's validate_doc_update refuses the impossible dates the device refuses
 * (src/lib/domain/validate.ts), with the device's very words, as 403 `forbidden`: a doc written
 * past the device (Fauxton, a script, an old app) can no longer carry `2026-13-45` to everyone.
 */
describe('impossible dates on the server', () => {
  let couch: TestCouch;
  let team: TestTeam;
  let rep: string;
  let db: string;

  beforeAll(async () => {
    couch = await startTestCouch();
    team = await provisionTestTeam(couch);
    rep = basicAuth(team.rep1, team.password);
    db = userDbName(team.rep1);
  }, 60_000);
  afterAll(async () => {
    await team?.cleanup();
    await couch?.close();
  });

  const mine = (doc: Doc): Doc => ({ ...doc, owner: team.rep1, updatedBy: team.rep1 });
  const stamps = () =>
    mine({ schema: 1, updatedAt: '001795315276320-000000-dev', deviceId: 'dev' });
  const image = { content_type: 'image/jpeg', data: Buffer.from('img').toString('base64') };

  /** [what, doc, the field whose device message the server must give]. */
  const cases = (): [string, Doc, string][] => [
    [
      'stop date 2026-13-45',
      mine({ ...stopDoc('d1', { assignee: team.rep1 }), date: '2026-13-45' }),
      'date',
    ],
    [
      'stop date Feb 30',
      mine({ ...stopDoc('d2', { assignee: team.rep1 }), date: '2026-02-30' }),
      'date',
    ],
    [
      'stop date Feb 29 of 2026',
      mine({ ...stopDoc('d3', { assignee: team.rep1 }), date: '2026-02-29' }),
      'date',
    ],
    [
      'event time Feb 30',
      mine(eventDoc('d4', { occurredAt: '2026-02-30T10:00:00.000Z' })),
      'occurredAt',
    ],
    [
      'event device time month 13',
      mine(eventDoc('d5', { deviceTime: '2026-13-01T00:00:00Z' })),
      'deviceTime',
    ],
    [
      'note created Nov 31',
      mine(noteDoc('d6', { createdAt: '2026-11-31T08:00:00Z' })),
      'createdAt',
    ],
    [
      'task done at 25:00',
      mine(taskDoc('d7', { doneAt: '2026-11-22T25:00:00Z' } as Doc)),
      'doneAt',
    ],
    [
      'photo captured Feb 30',
      {
        ...stamps(),
        _id: 'photo:d8',
        type: 'photo',
        stopId: 'stop:s1',
        capturedAt: '2026-02-30T08:00:00.000Z',
        width: 10,
        height: 10,
        _attachments: { thumb: image, full: image },
      },
      'capturedAt',
    ],
    [
      'inspection started 2026-13-45',
      {
        ...stamps(),
        _id: 'inspection:d9',
        type: 'inspection',
        stopId: 'stop:s1',
        accountId: 'account:a1',
        templateId: 'template:t1',
        startedAt: '2026-13-45T08:00:00Z',
        status: 'draft',
        template: { title: 'T', sections: [] },
        answers: {},
      },
      'startedAt',
    ],
    [
      'order submitted Feb 30',
      {
        ...stamps(),
        _id: 'order:d10',
        type: 'order',
        stopId: 'stop:s1',
        accountId: 'account:a1',
        status: 'submitted',
        submittedAt: '2026-02-30T09:00:00Z',
        lines: {},
        totals: { net: 0, tax: 0, gross: 0 },
      },
      'submittedAt',
    ],
  ];

  it('PUT of each - 403 forbidden with the words the device gives for that field', async () => {
    for (const [what, doc, field] of cases()) {
      const device = validateDoc(doc)[field];
      expect(device, `${what}: the device refuses it`).toEqual(expect.any(String));
      const r = await couch.as(rep, 'PUT', `/${db}/${doc._id as string}`, doc);
      expect({ what, status: r.status, body: r.body }).toEqual({
        what,
        status: 403,
        body: { error: 'forbidden', reason: device },
      });
    }
  });

  it('POST _bulk_docs of them all - each refused with its words, nothing stored', async () => {
    const docs = cases().map(([, doc]) => doc);
    const r = await couch.as(rep, 'POST', `/${db}/_bulk_docs`, { docs });
    expect(r.status).toBe(201);
    expect(r.body).toEqual(
      cases().map(([, doc, field]) => ({
        id: doc._id,
        error: 'forbidden',
        reason: validateDoc(doc)[field],
      })),
    );
    const all = await couch.as(rep, 'GET', `/${db}/_all_docs`);
    const ids = (all.body.rows as { id: string }[]).map((row) => row.id);
    for (const doc of docs) expect(ids).not.toContain(doc._id);
  });

  it('real dates (a leap day, an offset) are stored', async () => {
    const stop = mine({ ...stopDoc('ok1', { assignee: team.rep1 }), date: '2028-02-29' });
    const note = mine(noteDoc('ok2', { createdAt: '2028-02-29T23:59:59+02:00' }));
    for (const doc of [stop, note]) {
      expect(validateDoc(doc)).toEqual({});
      expect((await couch.as(rep, 'PUT', `/${db}/${doc._id as string}`, doc)).status).toBe(201);
    }
  });
});
