import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userDbName } from '../../src/lib/server/provision/names';
import { basicAuth, startTestCouch, type TestCouch } from './couch-harness';
import { provisionTestTeam, type TestTeam } from './provision-harness';

const HLC = '001795315276320-000000-dev';
const image = (text: string) => ({
  content_type: 'image/jpeg',
  data: Buffer.from(text).toString('base64'),
});

function photo(owner: string, extra: Record<string, unknown> = {}) {
  return {
    _id: 'photo:p1',
    type: 'photo',
    schema: 1,
    owner,
    updatedAt: HLC,
    updatedBy: owner,
    deviceId: 'dev',
    stopId: 'stop:s1',
    capturedAt: '2026-11-22T08:00:00.000Z',
    width: 1600,
    height: 1200,
    _attachments: { thumb: image('thumb'), full: image('full image') },
    ...extra,
  };
}

describe('photos under validate_doc_update', () => {
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

  it('PUT /userdb-A/photo - stored with both images, then immutable', async () => {
    const created = await couch.as(rep, 'PUT', `/${db}/photo:p1`, photo(team.rep1));
    expect(created.status).toBe(201);
    const edited = await couch.as(
      rep,
      'PUT',
      `/${db}/photo:p1`,
      photo(team.rep1, { _rev: created.body.rev, caption: 'changed' }),
    );
    expect(edited.status).toBe(403);
    expect(edited.body.reason).toBe('Photos are immutable once captured.');
    const full = await couch.as(rep, 'GET', `/${db}/photo:p1/full`);
    expect(full.status).toBe(200);
  });

  it('PUT /userdb-A/photo - refuses a photo without its images, a parent, or one evicted', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { _id: 'photo:p2', _attachments: { thumb: image('t') } },
        'A photo needs its thumbnail and full image.',
      ],
      [{ _id: 'photo:p3', stopId: undefined }, 'A photo must belong to a stop or an inspection.'],
      [
        { _id: 'photo:p4', evictedAt: '2026-11-23T08:00:00.000Z' },
        'A device-side eviction is never sent to the server.',
      ],
    ];
    for (const [extra, reason] of cases) {
      const res = await couch.as(rep, 'PUT', `/${db}/${extra._id}`, photo(team.rep1, extra));
      expect(res.status, reason).toBe(403);
      expect(res.body.reason).toBe(reason);
    }
  });
});
