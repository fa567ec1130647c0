import { describe, expect, it } from 'vitest';
import {
  lineAmounts,
  liveLines,
  mergeLines,
  orderTotals,
  searchText,
  type OrderDoc,
} from '$lib/domain/order';
import { migrate } from '$lib/domain/schema';
import { validateDoc } from '$lib/domain/validate';
import { hlc } from '../helpers/conflicts';
import { SEED_HLC } from '../helpers/docs';
import { orderLine, productDoc } from '../helpers/orders';

function orderDoc(over: Partial<OrderDoc> = {}): OrderDoc {
  const lines = over.lines ?? { l1: orderLine('l1', { qty: 2 }) };
  return {
    _id: 'order:o1',
    type: 'order',
    schema: 1,
    owner: 'ana',
    updatedAt: SEED_HLC,
    updatedBy: 'ana',
    deviceId: 'seed',
    stopId: 'stop:s1',
    accountId: 'account:a1',
    currency: 'USD',
    status: 'draft',
    lines,
    totals: orderTotals(lines),
    ...over,
  };
}

describe('order totals', () => {
  it('computes net, per-line tax rounded half-up to the cent, and gross', () => {
    expect(lineAmounts({ qty: 3, unitPrice: 333, taxRate: 1900 })).toEqual({ net: 999, tax: 190 });
    expect(lineAmounts({ qty: 1, unitPrice: 25, taxRate: 1000 })).toEqual({ net: 25, tax: 3 });
    expect(lineAmounts({ qty: 1, unitPrice: 24, taxRate: 1000 })).toEqual({ net: 24, tax: 2 });
    expect(lineAmounts({ qty: 1, unitPrice: 15, taxRate: 1000 })).toEqual({ net: 15, tax: 2 });
    expect(lineAmounts({ qty: 7, unitPrice: 1999, taxRate: 0 })).toEqual({ net: 13993, tax: 0 });
  });

  it('rounds each line, not the order (two half cents make two cents)', () => {
    const lines = {
      a: orderLine('a', { unitPrice: 25, taxRate: 1000 }),
      b: orderLine('b', { unitPrice: 25, taxRate: 1000 }),
    };
    expect(orderTotals(lines)).toEqual({ net: 50, tax: 6, gross: 56 });
  });

  it('sums lines with different tax rates and leaves removed lines out', () => {
    const lines = {
      a: orderLine('a', { qty: 2, unitPrice: 1250, taxRate: 1900 }),
      b: orderLine('b', { qty: 10, unitPrice: 189, taxRate: 700 }),
      c: orderLine('c', { qty: 5, unitPrice: 999, taxRate: 1900, removed: true }),
    };
    // a: 2500 + 475; b: 1890 + 132.3 -> 132
    expect(orderTotals(lines)).toEqual({ net: 4390, tax: 607, gross: 4997 });
    expect(orderTotals({})).toEqual({ net: 0, tax: 0, gross: 0 });
  });

  it('stays exact at the largest quantity, price and rate', () => {
    const line = { qty: 9_999, unitPrice: 10_000_000, taxRate: 10_000 };
    expect(lineAmounts(line)).toEqual({ net: 99_990_000_000, tax: 99_990_000_000 });
  });

  it('lists live lines in the order they were added', () => {
    const lines = { b: orderLine('b'), a: orderLine('a'), c: orderLine('c', { removed: true }) };
    expect(liveLines(lines).map((l) => l.lineId)).toEqual(['a', 'b']);
  });
});

describe('mergeLines', () => {
  it('keeps the newest version of each line and keeps removals', () => {
    const a = { l1: orderLine('l1', { qty: 2, at: hlc(1) }), l2: orderLine('l2', { at: hlc(1) }) };
    const b = {
      l1: orderLine('l1', { qty: 5, at: hlc(2) }),
      l2: orderLine('l2', { removed: true, at: hlc(3) }),
      l3: orderLine('l3', { at: hlc(2) }),
    };
    const merged = mergeLines([a, b]);
    expect(merged).toEqual(mergeLines([b, a]));
    expect(merged.l1.qty).toBe(5);
    expect(merged.l2.removed).toBe(true);
    expect(Object.keys(merged)).toEqual(['l1', 'l2', 'l3']);
  });
});

describe('searchText', () => {
  it('folds case and accents and splits on punctuation', () => {
    expect(searchText('  Crème Brûlée – BEV-001 ')).toBe('creme brulee bev 001');
  });
});

describe('order and product validation', () => {
  it('accepts a valid product and order', () => {
    expect(validateDoc(productDoc('BEV-001'))).toEqual({});
    expect(validateDoc(orderDoc())).toEqual({});
  });

  it('reports product fields one by one', () => {
    const errors = validateDoc(
      productDoc('bev 1', { _id: 'product:bev 1', price: 12.5, taxRate: -1, name: ' ' }),
    );
    expect(errors).toMatchObject({
      sku: 'SKU may hold only capital letters, digits and dashes.',
      price: 'Price (in cents) must be a whole number from 0 to 10000000.',
      taxRate: 'Tax rate (in basis points) must be a whole number from 0 to 10000.',
      name: 'Product name is required.',
    });
    expect(validateDoc(productDoc('P1', { _id: 'product:P2' }))._id).toMatch(/followed by its SKU/);
  });

  it('reports bad lines by line id and totals that do not add up', () => {
    const lines = { l1: orderLine('l1', { qty: 0 }) };
    expect(validateDoc(orderDoc({ lines, totals: orderTotals(lines) }))).toEqual({
      'lines.l1.qty': 'Quantity must be a whole number from 1 to 9999.',
    });
    expect(validateDoc(orderDoc({ totals: { net: 1, tax: 0, gross: 1 } }))).toEqual({
      totals: 'Totals must equal the sum of the lines.',
    });
    expect(validateDoc(orderDoc({ lines: { x: orderLine('y') } }))).toHaveProperty(
      'lines.x.lineId',
    );
  });

  it('needs a submission time and a line to be submitted', () => {
    expect(validateDoc(orderDoc({ status: 'submitted' }))).toEqual({
      submittedAt: 'A submitted order needs its submission time.',
    });
    const empty = orderDoc({ lines: {}, status: 'submitted', submittedAt: '2026-11-22T09:00:00Z' });
    expect(validateDoc(empty)).toEqual({
      lines: 'An order needs at least one line to be submitted.',
    });
    expect(validateDoc(orderDoc({ status: 'sent' as never })).status).toMatch(/draft, submitted/);
  });

  it('migrates a hand-written order to a draft with computed totals', () => {
    const lines = { l1: orderLine('l1', { qty: 3 }) };
    const migrated = migrate('order', { _id: 'order:x', type: 'order', lines });
    expect(migrated).toMatchObject({
      schema: 1,
      status: 'draft',
      currency: 'USD',
      totals: { net: 3000, tax: 570, gross: 3570 },
    });
    expect(migrate('product', { _id: 'product:A', type: 'product' })).toMatchObject({
      active: true,
    });
  });
});
