import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { applyRule, resolveConflicts, type Leaf } from '$lib/conflicts';
import { orderTotals, type OrderLine } from '$lib/domain/order';
import { validateDoc } from '$lib/domain/validate';
import { conflictedIds, hlc, leaf, writeConflict } from '../helpers/conflicts';
import { destroyMemoryDbs, memoryDb } from '../helpers/memory-db';
import { orderLine } from '../helpers/orders';

afterEach(destroyMemoryDbs);

const ID = 'order:0190a6d2-0000-7000-8000-0000000000aa';

/** An order leaf whose every field is clocked at `clock`. */
function orderLeaf(
  rev: string,
  lines: Record<string, OrderLine>,
  clock: string,
  over: Record<string, unknown> = {},
): Leaf {
  const fields = { stopId: 'stop:s1', accountId: 'account:a1', currency: 'USD', status: 'draft' };
  return {
    ...leaf(rev, {
      type: 'order',
      schema: 1,
      owner: 'ana',
      ...fields,
      lines,
      totals: orderTotals(lines),
      updatedAt: clock,
      updatedBy: 'ana',
      deviceId: clock.split('-').slice(2).join('-'),
      fieldClock: Object.fromEntries(
        ['owner', 'lines', 'totals', ...Object.keys(fields)].map((k) => [k, clock]),
      ),
      ...over,
    }),
    _id: ID,
  };
}

const base = {
  l1: orderLine('l1', { qty: 1, at: hlc(0) }),
  l2: orderLine('l2', { productId: 'product:P2', sku: 'P2', unitPrice: 250, at: hlc(0) }),
};

const submittedAt = (minutes: number) =>
  new Date(Date.parse('2026-11-22T09:00:00Z') + minutes * 60_000).toISOString();

describe('order rule: drafts', () => {
  it('merges lines by line id, newest change to each line, and recomputes totals', () => {
    const a = orderLeaf(
      '2-aaaa',
      {
        ...base,
        l1: { ...base.l1, qty: 3, at: hlc(2, 'dev-a') },
        l3: orderLine('l3', { productId: 'product:P3', sku: 'P3', qty: 2, at: hlc(2, 'dev-a') }),
      },
      hlc(2, 'dev-a'),
    );
    const b = orderLeaf(
      '2-bbbb',
      {
        l1: { ...base.l1, qty: 5, at: hlc(1, 'dev-b') },
        l2: { ...base.l2, removed: true, at: hlc(3, 'dev-b') },
      },
      hlc(3, 'dev-b'),
    );
    const result = applyRule([a, b]);
    expect(result.rule).toBe('order-submitted-wins');
    expect(result.needsReview).toBe(false);
    const lines = result.merged.lines as Record<string, OrderLine>;
    expect(lines.l1.qty).toBe(3);
    expect(lines.l2.removed).toBe(true);
    expect(lines.l3.qty).toBe(2);
    expect(result.merged.totals).toEqual({ net: 5000, tax: 950, gross: 5950 });
    expect(validateDoc(result.merged)).toEqual({});
    expect(result.losers.map((l) => l._rev)).toEqual(['2-aaaa', '2-bbbb']);
    expect(result.explain).toBe(
      'Combined the draft order line by line, keeping the newest change to each line (2 lines) and recomputing the totals - both versions are in the inbox.',
    );
  });

  it('does not bring back a line one device removed while the other edited other lines', () => {
    const a = orderLeaf(
      '2-aaaa',
      { ...base, l1: { ...base.l1, removed: true, at: hlc(1, 'dev-a') } },
      hlc(1, 'dev-a'),
    );
    const b = orderLeaf(
      '2-bbbb',
      { ...base, l2: { ...base.l2, qty: 9, at: hlc(2, 'dev-b') } },
      hlc(2, 'dev-b'),
    );
    const lines = applyRule([b, a]).merged.lines as Record<string, OrderLine>;
    expect(lines.l1.removed).toBe(true);
    expect(lines.l2.qty).toBe(9);
  });
});

describe('order rule: submitted beats draft', () => {
  it('keeps the submitted version whole; older draft edits need no review', () => {
    const sub = orderLeaf(
      '3-aaaa',
      { ...base, l1: { ...base.l1, qty: 4, at: hlc(5, 'dev-a') } },
      hlc(6, 'dev-a'),
      { status: 'submitted', submittedAt: submittedAt(6) },
    );
    const draft = orderLeaf(
      '3-bbbb',
      { ...base, l1: { ...base.l1, qty: 2, at: hlc(4, 'dev-b') } },
      hlc(7, 'dev-b'),
    );
    const result = applyRule([draft, sub]);
    const { _rev, ...body } = sub;
    expect(_rev).toBe('3-aaaa');
    expect(result.merged).toEqual(body);
    expect(result.needsReview).toBe(false);
    expect(result.losers.map((l) => l._rev)).toEqual(['3-bbbb']);
    expect(result.explain).toBe('Kept the submitted order; the older draft is in the inbox.');
  });

  it('needs review when the draft changed lines after the submitted version', () => {
    const sub = orderLeaf('3-aaaa', base, hlc(6, 'dev-a'), {
      status: 'submitted',
      submittedAt: submittedAt(6),
    });
    const draft = orderLeaf(
      '3-bbbb',
      { ...base, l9: orderLine('l9', { at: hlc(8, 'dev-b') }) },
      hlc(8, 'dev-b'),
    );
    const result = applyRule([sub, draft]);
    expect(result.merged.status).toBe('submitted');
    expect(result.merged.lines).toEqual(base);
    expect(result.needsReview).toBe(true);
    expect(result.explain).toMatch(/submitted on one device while its draft was changed/);
  });

  it('two different submissions: keeps the first submitted and asks for review', () => {
    const early = orderLeaf('3-zzzz', base, hlc(6, 'dev-a'), {
      status: 'submitted',
      submittedAt: submittedAt(6),
    });
    const late = orderLeaf(
      '3-aaaa',
      { ...base, l1: { ...base.l1, qty: 7, at: hlc(5, 'dev-b') } },
      hlc(7, 'dev-b'),
      { status: 'submitted', submittedAt: submittedAt(7) },
    );
    const result = applyRule([late, early]);
    expect(result.merged.submittedAt).toBe(submittedAt(6));
    expect((result.merged.lines as Record<string, OrderLine>).l1.qty).toBe(1);
    expect(result.needsReview).toBe(true);
    expect(result.losers.map((l) => l._rev)).toEqual(['3-aaaa']);
    expect(result.explain).toMatch(/^This order was submitted in different versions/);
  });
});

/** Random order leaves over a small pool of line ids, clocks and statuses. */
const lineArb = (id: string) =>
  fc
    .record({
      qty: fc.integer({ min: 1, max: 20 }),
      minute: fc.integer({ min: 0, max: 5 }),
      device: fc.constantFrom('dev-a', 'dev-b'),
      removed: fc.boolean(),
    })
    .map(({ qty, minute, device, removed }) =>
      orderLine(id, { qty, at: hlc(minute, device), ...(removed ? { removed: true } : {}) }),
    );

const leafArb = fc.record({
  lines: fc.record(
    { l1: lineArb('l1'), l2: lineArb('l2'), l3: lineArb('l3') },
    { requiredKeys: [] },
  ),
  minute: fc.integer({ min: 0, max: 9 }),
  device: fc.constantFrom('dev-a', 'dev-b', 'dev-c'),
  submitted: fc.boolean(),
});

describe('order rule: properties', () => {
  it('gives the same result whatever order the leaves come in, and valid totals', () => {
    fc.assert(
      fc.property(
        fc.array(leafArb, { minLength: 2, maxLength: 4 }).chain((specs) =>
          fc.tuple(
            fc.constant(specs),
            fc.shuffledSubarray(
              specs.map((_, i) => i),
              {
                minLength: specs.length,
                maxLength: specs.length,
              },
            ),
          ),
        ),
        ([specs, order]) => {
          const leaves = specs.map((s, i) =>
            orderLeaf(
              `2-${String(i).padStart(4, '0')}`,
              s.lines as Record<string, OrderLine>,
              hlc(s.minute, s.device),
              s.submitted ? { status: 'submitted', submittedAt: submittedAt(s.minute) } : {},
            ),
          );
          const shuffled = order.map((i) => leaves[i]);
          const first = applyRule(leaves);
          expect(applyRule([...leaves].reverse())).toEqual(first);
          expect(applyRule(shuffled)).toEqual(first);
          const merged = first.merged as { lines: Record<string, OrderLine>; totals: unknown };
          expect(merged.totals).toEqual(orderTotals(merged.lines));
          if (specs.some((s) => s.submitted)) expect(first.merged.status).toBe('submitted');
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('order rule: resolver', () => {
  it('resolves a real draft conflict to a valid merged order with an audit doc', async () => {
    const db = memoryDb();
    const { _id, _rev, ...base } = orderLeaf(
      '1-base',
      { l1: orderLine('l1', { at: hlc(0) }) },
      hlc(0),
    );
    void _rev;
    const a = orderLeaf(
      'x',
      { ...(base.lines as object), l2: orderLine('l2', { at: hlc(1, 'dev-a') }) },
      hlc(1, 'dev-a'),
    );
    const b = orderLeaf(
      'y',
      { l1: orderLine('l1', { qty: 4, at: hlc(2, 'dev-b') }) },
      hlc(2, 'dev-b'),
    );
    await writeConflict(db, _id, base, { aaaa: strip(a), bbbb: strip(b) });
    const summary = await resolveConflicts(db, _id);
    expect(summary).toMatchObject({ resolved: true, needsReview: false });
    expect(await conflictedIds(db)).toEqual([]);
    const merged = (await db.get(_id)) as unknown as {
      lines: Record<string, OrderLine>;
      totals: unknown;
    };
    expect(merged.lines.l1.qty).toBe(4);
    expect(Object.keys(merged.lines)).toEqual(['l1', 'l2']);
    expect(merged.totals).toEqual({ net: 5000, tax: 950, gross: 5950 });
    expect(validateDoc(merged)).toEqual({});
    expect(summary.auditId && (await db.get(summary.auditId))).toMatchObject({
      rule: 'order-submitted-wins',
    });
  });
});

/** A leaf body without `_id`/`_rev`, for writeConflict. */
function strip(l: Leaf): Record<string, unknown> {
  const { _id, _rev, ...body } = l;
  void _id;
  void _rev;
  return body;
}
