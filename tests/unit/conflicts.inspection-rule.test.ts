import { afterEach, describe, expect, it } from 'vitest';
import { applyRule, inspectionRule, resolveConflicts, type Leaf } from '$lib/conflicts';
import { Pouch } from '$lib/db/pouch';
import { DEMO_TEMPLATES } from '$lib/demo/templates';
import { makeId } from '$lib/domain/ids';
import { stampNew } from '$lib/domain/stamp';
import { accountDoc, putAll, SEED_HLC, stopDoc } from '../helpers/docs';
import { conflictedIds, hlc, leaf } from '../helpers/conflicts';
import { destroyMemoryDbs } from '../helpers/memory-db';
import { testRepo } from '../helpers/repo';

afterEach(destroyMemoryDbs);

const base = {
  _id: 'inspection:i1',
  type: 'inspection',
  schema: 1,
  owner: 'ana',
  stopId: 'stop:s1',
  status: 'draft',
  startedAt: '2026-11-22T09:00:00.000Z',
};

function draft(rev: string, minutes: number, device: string, answers: Record<string, unknown>) {
  const clocks = Object.fromEntries(Object.keys(answers).map((k) => [k, hlc(minutes, device)]));
  return leaf(rev, {
    ...base,
    _id: 'inspection:i1',
    answers,
    answerClock: clocks,
    updatedAt: hlc(minutes, device),
    updatedBy: 'ana',
    deviceId: device,
    fieldClock: { answers: hlc(minutes, device), answerClock: hlc(minutes, device) },
  });
}

function submitted(rev: string, minutes: number, device: string, answers: Record<string, unknown>) {
  const d = draft(rev, minutes, device, answers);
  return {
    ...d,
    status: 'submitted',
    submittedAt: new Date(Date.parse('2026-11-22T09:00:00.000Z') + minutes * 60_000).toISOString(),
  } as Leaf;
}

describe('inspectionRule', () => {
  it('is the rule for inspection docs', () => {
    const a = draft('2-a', 1, 'dev-a', { q1: 1 });
    const b = draft('2-b', 2, 'dev-b', { q2: 2 });
    expect(applyRule([a, b]).rule).toBe('inspection-submitted-wins');
  });

  it('merges two drafts question by question, newest answer to each', () => {
    // dev-a answered q1 and q2 at minute 5; dev-b answered q2 and q3 at minute 3.
    const a = draft('2-a', 5, 'dev-a', { q1: 'a1', q2: 'a2' });
    const b = draft('2-b', 3, 'dev-b', { q2: 'b2', q3: 'b3' });
    const r = inspectionRule([a, b]);
    expect(r.merged.answers).toEqual({ q1: 'a1', q2: 'a2', q3: 'b3' });
    expect(r.merged.answerClock).toEqual({
      q1: hlc(5, 'dev-a'),
      q2: hlc(5, 'dev-a'),
      q3: hlc(3, 'dev-b'),
    });
    expect(r.needsReview).toBe(false);
    expect(r.losers.map((l) => l._rev)).toEqual(['2-a', '2-b']);
    expect(r.explain).toBe(
      'Combined the draft answers question by question, keeping the newest answer to each - the earlier versions are in the inbox.',
    );
  });

  it('a newer cleared answer beats an older value', () => {
    const a = draft('2-a', 5, 'dev-a', {});
    (a.answerClock as Record<string, string>).q1 = hlc(6, 'dev-a');
    const b = draft('2-b', 3, 'dev-b', { q1: 'old' });
    expect(inspectionRule([a, b]).merged.answers).toEqual({});
  });

  it('submitted beats draft: the submitted leaf is kept whole', () => {
    const s = submitted('2-s', 1, 'dev-a', { q1: 'final' });
    const d = draft('2-d', 9, 'dev-b', { q1: 'later draft', q2: 'x' });
    const r = inspectionRule([d, s]);
    const { _rev, ...body } = s;
    expect(_rev).toBe('2-s');
    expect(r.merged).toEqual(body);
    expect(r.losers.map((l) => l._rev)).toEqual(['2-d']);
    expect(r.needsReview).toBe(false);
    expect(r.explain).toBe(
      'Kept the submitted inspection; draft changes made at the same time are in the inbox.',
    );
  });

  it('two different submissions: the first submitted is kept, whatever the order, and needs review', () => {
    const early = submitted('2-z', 1, 'dev-a', { q1: 'A' });
    const late = submitted('2-a', 4, 'dev-b', { q1: 'B' });
    const one = inspectionRule([early, late]);
    const two = inspectionRule([late, early]);
    expect(one).toEqual(two);
    expect(one.merged.answers).toEqual({ q1: 'A' });
    expect(one.needsReview).toBe(true);
    expect(one.losers.map((l) => l._rev)).toEqual(['2-a']);
  });
});

describe('inspection conflicts between two devices', () => {
  const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 9, 9]);

  async function twoDevices() {
    const a = testRepo({ deviceId: 'dev-a' });
    const b = testRepo({ deviceId: 'dev-b' });
    const form = DEMO_TEMPLATES['safety-walk'];
    const template = stampNew(
      'template',
      makeId('template', 'safety-walk'),
      'sam',
      { ...form },
      {
        user: 'sam',
        deviceId: 'seed',
        hlc: SEED_HLC,
      },
    );
    await putAll(a.db, [accountDoc('a1'), stopDoc('s1'), template]);
    const started = await a.repo.startInspection('stop:s1', 'template:safety-walk');
    await Pouch.replicate(a.db, b.db);
    return { a, b, id: started._id };
  }

  it('drafts edited offline on both devices converge to the same merged answers', async () => {
    const { a, b, id } = await twoDevices();
    await a.repo.saveAnswers(id, { aisles_clear: true, hazards: 'Wet floor' });
    b.wall.advance(60_000);
    await b.repo.saveAnswers(id, { hazards: 'Loose cable', extinguishers: 3 });
    await Pouch.replicate(a.db, b.db);
    await Pouch.replicate(b.db, a.db);
    await resolveConflicts(a.db, id);
    await resolveConflicts(b.db, id);
    await Pouch.replicate(a.db, b.db);
    await Pouch.replicate(b.db, a.db);
    expect(await conflictedIds(a.db)).toEqual([]);
    expect(await conflictedIds(b.db)).toEqual([]);
    const onA = await a.repo.inspection(id);
    const onB = await b.repo.inspection(id);
    expect(onA._rev).toBe(onB._rev);
    expect(onA.answers).toEqual({ aisles_clear: true, hazards: 'Loose cable', extinguishers: 3 });
  });

  it('a submission made on one device wins over a draft edit on the other, signature kept', async () => {
    const { a, b, id } = await twoDevices();
    await a.repo.saveAnswers(id, { aisles_clear: true, exits: 'Blocked', extinguishers: 2 });
    await a.repo.saveSignature(id, 'rep_signature', PNG);
    const done = await a.repo.submitInspection(id);
    b.wall.advance(120_000);
    await b.repo.saveAnswers(id, { hazards: 'Typed on the tablet' });
    await Pouch.replicate(a.db, b.db);
    await Pouch.replicate(b.db, a.db);
    await resolveConflicts(b.db, id);
    await Pouch.replicate(b.db, a.db);
    const onA = await a.repo.inspection(id);
    expect(onA._rev).toBe(done._rev);
    expect(onA.status).toBe('submitted');
    expect(onA.answers.hazards).toBeUndefined();
    expect(await a.repo.signatureImage(id, 'rep_signature')).toBeTruthy();
    expect(await b.repo.signatureImage(id, 'rep_signature')).toBeTruthy();
  });
});
