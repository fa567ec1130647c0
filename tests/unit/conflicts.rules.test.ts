import { describe, expect, it } from 'vitest';
import { applyRule, mergeFields, type Leaf } from '$lib/conflicts';
import { canonicalJson } from '$lib/domain/stamp';
import { hlc, leaf } from '../helpers/conflicts';

/** A note-like body with every field clocked at `clock`. */
function body(type: string, fields: Record<string, unknown>, clock: string, by = 'ana') {
  return {
    type,
    schema: 1,
    owner: 'ana',
    ...fields,
    updatedAt: clock,
    updatedBy: by,
    deviceId: clock.split('-').slice(2).join('-'),
    fieldClock: Object.fromEntries(['owner', ...Object.keys(fields)].map((k) => [k, clock])),
  };
}

/** A leaf that edited `changes` at `clock` on top of `base` (whose fields keep their clocks). */
function edited(
  rev: string,
  base: Record<string, unknown>,
  changes: Record<string, unknown>,
  clock: string,
  by = 'ana',
): Leaf {
  const fc = { ...(base.fieldClock as Record<string, string>) };
  const next: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete next[k];
    else next[k] = v;
    fc[k] = clock;
  }
  return leaf(rev, {
    ...next,
    updatedAt: clock,
    updatedBy: by,
    deviceId: clock.split('-').slice(2).join('-'),
    fieldClock: fc,
  });
}

const T0 = hlc(0, 'seed');

describe('per-field last-writer-wins (account)', () => {
  const base = body('account', { name: 'Brennan', phone: '1', info: 'Back door' }, T0);

  it('keeps each leaf’s newer fields and merges the bookkeeping', () => {
    const a = edited('2-aaa', base, { name: 'Brennan & Co' }, hlc(5, 'dev-a'), 'ana');
    const b = edited('2-bbb', { ...base, schema: 2 }, { phone: '2' }, hlc(7, 'dev-b'), 'sam');
    const r = applyRule([a, b]);
    expect(r.rule).toBe('field-lww');
    expect(r.merged).toMatchObject({
      _id: 'doc:1',
      type: 'account',
      name: 'Brennan & Co',
      phone: '2',
      info: 'Back door',
      schema: 2,
      updatedAt: hlc(7, 'dev-b'),
      updatedBy: 'sam',
      deviceId: 'dev-b',
    });
    expect(r.merged.fieldClock).toEqual({
      owner: T0,
      name: hlc(5, 'dev-a'),
      phone: hlc(7, 'dev-b'),
      info: T0,
    });
    expect(r.merged._rev).toBeUndefined();
    expect(r.needsReview).toBe(false);
    expect(r.losers.map((l) => l._rev)).toEqual(['2-aaa', '2-bbb']);
    expect(r.explain).toBe(
      'Kept the newest name and phone number - both versions are in the inbox.',
    );
  });

  it('takes a field both leaves edited from the later HLC', () => {
    const a = edited('2-zzz', base, { name: 'Early' }, hlc(5, 'dev-z'));
    const b = edited('2-aaa', base, { name: 'Late' }, hlc(6, 'dev-a'));
    expect(applyRule([a, b]).merged.name).toBe('Late');
  });

  it('breaks a tie of wall time and counter by the device id inside the HLC', () => {
    const a = edited('2-zzz', base, { name: 'From a' }, hlc(5, 'dev-a'));
    const b = edited('2-aaa', base, { name: 'From b' }, hlc(5, 'dev-b'));
    expect(applyRule([a, b]).merged.name).toBe('From b');
    expect(applyRule([b, a]).merged.name).toBe('From b');
  });

  it('breaks identical clock strings by the highest _rev', () => {
    const clock = hlc(5, 'dev-a');
    const a = edited('2-aaa', base, { name: 'Low rev' }, clock);
    const b = edited('2-fff', base, { name: 'High rev' }, clock);
    expect(applyRule([a, b]).merged.name).toBe('High rev');
    expect(applyRule([b, a]).merged.name).toBe('High rev');
    // Generation is not part of the tie-break: plain string order of the whole rev.
    const c = edited('3-000', base, { name: 'Gen 3' }, clock);
    expect(applyRule([a, c]).merged.name).toBe('Gen 3');
  });

  it('uses updatedAt for a field the leaf holds without a field clock', () => {
    const a = leaf('2-aaa', { ...base, name: 'No clock', updatedAt: hlc(9), fieldClock: {} });
    const b = edited('2-bbb', base, { name: 'Clocked' }, hlc(8));
    expect(applyRule([a, b]).merged.name).toBe('No clock');
    const c = leaf('2-ccc', { ...base, name: 'No clock', updatedAt: hlc(7), fieldClock: {} });
    expect(applyRule([c, b]).merged.name).toBe('Clocked');
  });

  it('deletes a field when the winning leaf removed it (its clock is kept)', () => {
    const a = edited('2-aaa', base, { info: undefined }, hlc(9));
    const b = edited('2-bbb', base, { info: 'Front door' }, hlc(8));
    const r = applyRule([a, b]);
    expect('info' in r.merged).toBe(false);
    expect((r.merged.fieldClock as Record<string, string>).info).toBe(hlc(9));
    const c = edited('2-ccc', base, { info: 'Front door' }, hlc(10));
    expect(applyRule([a, c]).merged.info).toBe('Front door');
  });

  it('keeps unknown fields, even against a later leaf that never saw them', () => {
    const newer = edited('2-aaa', { ...base, schema: 3 }, { loyaltyTier: 'gold' }, hlc(5));
    const older = edited('2-bbb', base, { phone: '3' }, hlc(9));
    const r = applyRule([newer, older]);
    expect(r.merged).toMatchObject({ loyaltyTier: 'gold', phone: '3', schema: 3 });
    // An unknown field edited on both sides is merged like any field.
    const x = edited('2-ccc', newer, { loyaltyTier: 'silver' }, hlc(11));
    expect(applyRule([newer, x]).merged.loyaltyTier).toBe('silver');
  });

  it('merges the owner as an ordinary field clocked by fieldClock.owner', () => {
    const moved = edited('2-aaa', base, { owner: 'ben' }, hlc(5));
    const other = edited('2-bbb', base, { phone: '9' }, hlc(9));
    expect(applyRule([moved, other]).merged).toMatchObject({ owner: 'ben', phone: '9' });
  });

  it('gives the same answer whatever order the leaves come in', () => {
    const leaves = [
      edited('2-aaa', base, { name: 'A' }, hlc(5, 'dev-a')),
      edited('2-bbb', base, { phone: '7', name: 'B' }, hlc(5, 'dev-b')),
      edited('3-ccc', base, { info: undefined }, hlc(4, 'dev-c')),
    ];
    const one = applyRule(leaves);
    const two = applyRule([leaves[2], leaves[0], leaves[1]]);
    expect(canonicalJson(two)).toBe(canonicalJson(one));
    expect(one.explain).toMatch(/all 3 versions are in the inbox/);
  });

  it('has no losers when the leaves hold the same data', () => {
    const a = edited('2-aaa', base, { name: 'Same' }, hlc(5, 'dev-a'));
    const b = edited('2-bbb', base, { name: 'Same' }, hlc(6, 'dev-b'));
    const r = applyRule([a, b]);
    expect(r.losers).toEqual([]);
    expect(r.explain).toBe('Both versions of this account held the same content; kept one.');
  });

  it('mergeFields computes fieldClock as the per-field max', () => {
    const a = edited('2-aaa', base, { name: 'A' }, hlc(5));
    const b = edited('2-bbb', base, { phone: 'B' }, hlc(3));
    expect(mergeFields([a, b]).merged.fieldClock).toMatchObject({ name: hlc(5), phone: hlc(3) });
  });
});

describe('stop rule', () => {
  const plan = {
    date: '2026-11-22',
    seq: 1,
    accountId: 'account:a1',
    assignee: 'ana',
    window: { start: '08:00', end: '09:00' },
    status: 'planned',
    purpose: 'Restock',
  };
  const base = body('stop', plan, T0);

  it('keeps the furthest status even when a later write holds an earlier one', () => {
    const arrived = edited('2-aaa', base, { status: 'arrived' }, hlc(5, 'dev-a'));
    const enRoute = edited('2-bbb', base, { status: 'en_route' }, hlc(9, 'dev-b'));
    const r = applyRule([arrived, enRoute]);
    expect(r.merged.status).toBe('arrived');
    expect(r.needsReview).toBe(false);
    expect(r.explain).toBe('Kept the furthest status (arrived) - both versions are in the inbox.');
  });

  it('keeps the supervisor’s new plan and the rep’s progress together', () => {
    const rep = edited('2-aaa', base, { status: 'done' }, hlc(5, 'dev-ana'), 'ana');
    const sup = edited('2-bbb', base, { date: '2026-11-23', seq: 4 }, hlc(6, 'dev-sam'), 'sam');
    const r = applyRule([rep, sup]);
    expect(r.merged).toMatchObject({ status: 'done', date: '2026-11-23', seq: 4 });
    expect(r.explain).toBe(
      "Kept the supervisor's new date and route position; kept the furthest status (done) - both versions are in the inbox.",
    );
  });

  it('among final statuses keeps done over skipped over cancelled, and asks for review', () => {
    const done = edited('2-aaa', base, { status: 'done' }, hlc(5));
    const cancelled = edited('2-bbb', base, { status: 'cancelled' }, hlc(9, 'dev-sam'));
    const skipped = edited('2-ccc', base, { status: 'skipped' }, hlc(8, 'dev-sam'));
    const r = applyRule([done, cancelled]);
    expect(r.merged.status).toBe('done');
    expect(r.needsReview).toBe(true);
    expect(r.explain).toMatch(/^The stop was marked done and cancelled: kept done, please check/);
    expect(applyRule([skipped, cancelled]).merged.status).toBe('skipped');
    expect(applyRule([cancelled, skipped, done]).merged.status).toBe('done');
  });

  it('a final status beats any open one without review', () => {
    const cancelled = edited('2-aaa', base, { status: 'cancelled' }, hlc(5, 'dev-sam'));
    const arrived = edited('2-bbb', base, { status: 'arrived' }, hlc(9));
    const r = applyRule([cancelled, arrived]);
    expect(r.merged.status).toBe('cancelled');
    expect(r.needsReview).toBe(false);
  });

  it('a status this build does not know needs review', () => {
    const odd = edited('2-aaa', base, { status: 'paused' }, hlc(9));
    const arrived = edited('2-bbb', base, { status: 'arrived' }, hlc(5));
    const r = applyRule([odd, arrived]);
    expect(r.merged.status).toBe('arrived');
    expect(r.needsReview).toBe(true);
  });

  it('reassignment follows per-field LWW for assignee, owner and former assignees', () => {
    const sup = edited(
      '2-aaa',
      base,
      { assignee: 'ben', owner: 'ben', formerAssignees: ['ana'] },
      hlc(6, 'dev-sam'),
    );
    const rep = edited('2-bbb', base, { status: 'en_route' }, hlc(7, 'dev-ana'));
    const r = applyRule([sup, rep]);
    expect(r.merged).toMatchObject({
      assignee: 'ben',
      owner: 'ben',
      formerAssignees: ['ana'],
      status: 'en_route',
    });
    expect(r.explain).toMatch(
      /^Kept the supervisor's new assignee, earlier assignees and owner; kept the furthest status \(en route\)/,
    );
  });
});

describe('task rule', () => {
  const base = body('task', { stopId: 'stop:s1', title: 'Count', done: false }, T0);

  it('done wins over a later untick, with doneAt from the done leaf', () => {
    const done = edited('2-aaa', base, { done: true, doneAt: '2026-11-22T09:05:00.000Z' }, hlc(5));
    const undone = edited('2-bbb', done, { done: false, doneAt: undefined }, hlc(9, 'dev-b'));
    const r = applyRule([done, { ...undone, _rev: '3-bbb' }]);
    expect(r.merged).toMatchObject({ done: true, doneAt: '2026-11-22T09:05:00.000Z' });
    expect(r.explain).toBe('Kept the task as done - both versions are in the inbox.');
    expect(r.needsReview).toBe(false);
  });

  it('takes doneAt from the done leaf with the greatest done clock', () => {
    const a = edited('2-aaa', base, { done: true, doneAt: '2026-11-22T09:05:00.000Z' }, hlc(5));
    const b = edited('2-bbb', base, { done: true, doneAt: '2026-11-22T09:07:00.000Z' }, hlc(7));
    expect(applyRule([a, b]).merged.doneAt).toBe('2026-11-22T09:07:00.000Z');
    expect(applyRule([b, a]).merged.doneAt).toBe('2026-11-22T09:07:00.000Z');
  });

  it('other fields still follow per-field LWW', () => {
    const a = edited('2-aaa', base, { done: true, doneAt: '2026-11-22T09:05:00.000Z' }, hlc(5));
    const b = edited('2-bbb', base, { title: 'Count twice' }, hlc(7));
    expect(applyRule([a, b]).merged).toMatchObject({ done: true, title: 'Count twice' });
  });
});

describe('note rule', () => {
  const base = body(
    'note',
    { text: 'Call back', accountId: 'account:a1', createdAt: '2026-11-22T08:00:00.000Z' },
    T0,
  );

  it('keeps the text written last and needs review, naming when and by whom', () => {
    const ana = edited('2-aaa', base, { text: 'Call back at 3' }, hlc(40, 'dev-ana'), 'ana');
    const ben = edited('2-bbb', base, { text: 'Manager left' }, hlc(42, 'dev-ben'), 'ben');
    const r = applyRule([ana, ben]);
    expect(r.rule).toBe('note-texts');
    expect(r.merged.text).toBe('Manager left');
    expect(r.needsReview).toBe(true);
    // The kept text is the merged body's; the loser holds the other one: both are in the audit.
    expect(r.losers.map((l) => l.text)).toEqual(['Call back at 3']);
    expect(r.explain).toBe(
      'Kept the text written last (09:42 UTC by ben); the other text is in the inbox.',
    );
  });

  it('does not name a writer whose last write was not the text', () => {
    const ana = edited('2-aaa', base, { text: 'Call back at 3' }, hlc(40, 'dev-ana'), 'ana');
    const ben1 = edited('2-bbb', base, { text: 'Manager left' }, hlc(42, 'dev-ben'), 'ben');
    const ben2 = edited('3-bbb', ben1, { extra: 1 }, hlc(45, 'dev-ben'), 'ben');
    expect(applyRule([ana, ben2]).explain).toBe(
      'Kept the text written last (09:42 UTC); kept the newest extra; the other text is in the inbox.',
    );
  });

  it('needs no review when the texts are the same', () => {
    const a = edited('2-aaa', base, { text: 'Same' }, hlc(1, 'dev-a'));
    const b = edited('2-bbb', base, { text: 'Same' }, hlc(2, 'dev-b'));
    const r = applyRule([a, b]);
    expect(r.needsReview).toBe(false);
    expect(r.losers).toEqual([]);
  });
});

describe('immutable rule (event, photo)', () => {
  const event = body(
    'event',
    {
      kind: 'check_in',
      stopId: 'stop:s1',
      accountId: 'account:a1',
      occurredAt: '2026-11-22T09:00:00.000Z',
    },
    T0,
  );

  it('keeps the copy whose canonical body sorts first, the same in any order', () => {
    const a = leaf('1-aaa', { ...event, occurredAt: '2026-11-22T09:01:00.000Z' });
    const b = leaf('1-bbb', { ...event, occurredAt: '2026-11-22T09:00:30.000Z' });
    const r1 = applyRule([a, b]);
    const r2 = applyRule([b, a]);
    expect(r1.merged.occurredAt).toBe('2026-11-22T09:00:30.000Z');
    expect(canonicalJson(r2)).toBe(canonicalJson(r1));
    expect(r1.needsReview).toBe(true);
    expect(r1.losers.map((l) => l._rev)).toEqual(['1-aaa']);
    expect(r1.merged.fieldClock).toEqual(event.fieldClock);
  });

  it('needs no review when copies differ only in bookkeeping', () => {
    const a = leaf('1-aaa', { ...event, updatedAt: hlc(1, 'dev-a'), deviceId: 'dev-a' });
    const b = leaf('1-bbb', { ...event, updatedAt: hlc(1, 'dev-b'), deviceId: 'dev-b' });
    const r = applyRule([a, b]);
    expect(r.needsReview).toBe(false);
    expect(r.losers).toEqual([]);
    expect(r.merged.deviceId).toBe('dev-a');
    expect(r.explain).toBe('The copies of this check-in record were the same; kept one.');
    expect(
      applyRule([
        { ...a, type: 'photo' },
        { ...b, type: 'photo' },
      ]).rule,
    ).toBe('immutable');
  });
});

describe('audit docs (type conflict)', () => {
  const audit = body('conflict', { docId: 'note:1', reviewed: false, needsReview: true }, T0);

  it('reviewed wins over a later unreviewed copy', () => {
    const reviewed = edited('2-aaa', audit, { reviewed: true, resolution: 'dismissed' }, hlc(5));
    const other = edited('2-bbb', audit, { explain: 'x' }, hlc(9));
    const r = applyRule([reviewed, other]);
    expect(r.rule).toBe('audit-reviewed-wins');
    expect(r.merged).toMatchObject({ reviewed: true, resolution: 'dismissed', explain: 'x' });
    expect(r.needsReview).toBe(false);
  });
});

describe('unknown types and single writers', () => {
  it('whole-doc LWW by updatedAt for an unknown type, needing review', () => {
    const a = leaf('2-aaa', { type: 'widget', size: 1, extra: 'only here', updatedAt: hlc(9) });
    const b = leaf('2-bbb', { type: 'widget', size: 2, updatedAt: hlc(5) });
    const r = applyRule([b, a]);
    expect(r.rule).toBe('unknown-type');
    expect(r.merged).toMatchObject({ size: 1, extra: 'only here' });
    expect(r.needsReview).toBe(true);
    expect(r.losers.map((l) => l._rev)).toEqual(['2-bbb']);
    expect(r.explain).toMatch(/does not know "widget" documents; kept the version saved last/);
  });

  it('an updatedAt tie goes to the highest _rev', () => {
    const a = leaf('2-aaa', { type: 'widget', size: 1, updatedAt: hlc(5) });
    const b = leaf('2-bbb', { type: 'widget', size: 2, updatedAt: hlc(5) });
    expect(applyRule([b, a]).merged.size).toBe(2);
  });

  it('leaves that disagree on the type fall back to the unknown-type rule', () => {
    const a = leaf('2-aaa', { type: 'note', text: 'x', updatedAt: hlc(5) });
    const b = leaf('2-bbb', { type: 'task', title: 'y', updatedAt: hlc(6) });
    expect(applyRule([a, b]).rule).toBe('unknown-type');
  });

  it('device status is whole-doc LWW without review', () => {
    const a = leaf('2-aaa', { type: 'device', pending: 3, updatedAt: hlc(5) });
    const b = leaf('2-bbb', { type: 'device', pending: 0, updatedAt: hlc(6) });
    const r = applyRule([a, b]);
    expect(r).toMatchObject({ rule: 'single-writer', needsReview: false });
    expect(r.merged.pending).toBe(0);
  });
});
