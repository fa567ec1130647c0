import { afterEach, describe, expect, it } from 'vitest';
import { validateDoc } from '$lib/domain/validate';
import { accountDoc, docsOfType, putAll, stopDoc } from '../helpers/docs';
import { destroyMemoryDbs } from '../helpers/memory-db';
import { productDoc } from '../helpers/orders';
import { rejectionOf, testRepo } from '../helpers/repo';

afterEach(destroyMemoryDbs);

async function seeded() {
  const t = testRepo();
  await putAll(t.db, [
    accountDoc('a1'),
    stopDoc('s1', { accountId: 'account:a1' }),
    productDoc('BEV-001', {
      name: 'Sparkling Water 0.5 l',
      price: 89,
      taxRate: 700,
      category: 'Beverages',
    }),
    productDoc('BEV-002', { name: 'Café Crème Beans 1 kg', price: 1899, category: 'Beverages' }),
    productDoc('CLN-010', { name: 'Glass Cleaner', price: 450, category: 'Cleaning' }),
    productDoc('OLD-001', { name: 'Discontinued Soap', active: false, category: 'Cleaning' }),
  ]);
  return t;
}

describe('draft orders', () => {
  it('creates a draft at a stop owned by the stop rep', async () => {
    const { repo } = await seeded();
    const order = await repo.createOrder('stop:s1');
    expect(order._id).toMatch(/^order:[0-9a-f-]{36}$/);
    expect(order).toMatchObject({
      type: 'order',
      stopId: 'stop:s1',
      accountId: 'account:a1',
      owner: 'ana',
      status: 'draft',
      currency: 'USD',
      lines: {},
      totals: { net: 0, tax: 0, gross: 0 },
    });
    expect(await repo.ordersOfStop('stop:s1')).toEqual([order]);
  });

  it('creating with the same id twice returns the first order', async () => {
    const { repo, db } = await seeded();
    const id = 'order:0190a6d2-0000-7000-8000-000000000001';
    const [a, b] = await Promise.all([
      repo.createOrder('stop:s1', { id }),
      repo.createOrder('stop:s1', { id }),
    ]);
    expect(a._id).toBe(id);
    expect(b._id).toBe(id);
    expect(await docsOfType(db, 'order')).toHaveLength(1);
  });

  it('adds lines with a price snapshot, merges the same product and recomputes totals', async () => {
    const { repo, db } = await seeded();
    const { _id } = await repo.createOrder('stop:s1');
    await repo.addLine(_id, 'product:BEV-001', 10);
    await repo.addLine(_id, 'product:BEV-002');
    const order = await repo.addLine(_id, 'product:BEV-001', 2);
    const lines = Object.values(order.lines);
    expect(lines).toHaveLength(2);
    expect(lines.find((l) => l.sku === 'BEV-001')).toMatchObject({
      qty: 12,
      unitPrice: 89,
      taxRate: 700,
      name: 'Sparkling Water 0.5 l',
    });
    // 12 x 0.89 = 10.68 + 0.75 tax; 18.99 + 3.61 tax
    expect(order.totals).toEqual({ net: 2967, tax: 436, gross: 3403 });
    // A later price change does not touch the line already on the order.
    await db.put({ ...(await db.get('product:BEV-002')), price: 2500 });
    const again = await repo.getOrder(_id);
    expect(again.totals.net).toBe(2967);
    expect(validateDoc(again)).toEqual({});
  });

  it('changes quantities within bounds and keeps removed lines as tombstones', async () => {
    const { repo } = await seeded();
    const { _id } = await repo.createOrder('stop:s1');
    const withLine = await repo.addLine(_id, 'product:CLN-010');
    const lineId = Object.keys(withLine.lines)[0];
    const before = withLine.lines[lineId].at;
    const changed = await repo.setLineQty(_id, lineId, 4);
    expect(changed.lines[lineId].qty).toBe(4);
    expect(changed.lines[lineId].at > before).toBe(true);
    expect(changed.totals).toEqual({ net: 1800, tax: 342, gross: 2142 });

    for (const bad of [0, -1, 2.5, 10_000, Number.NaN]) {
      const err = await rejectionOf(repo.setLineQty(_id, lineId, bad));
      expect(err).toMatchObject({
        code: 'invalid',
        fields: { qty: 'Quantity must be a whole number from 1 to 9,999.' },
      });
    }
    const removed = await repo.removeLine(_id, lineId);
    expect(removed.lines[lineId].removed).toBe(true);
    expect(removed.totals).toEqual({ net: 0, tax: 0, gross: 0 });
    expect(await rejectionOf(repo.setLineQty(_id, lineId, 2))).toMatchObject({ code: 'not_found' });
  });

  it('steps quantities on the stored value, so quick taps add up', async () => {
    const { repo } = await seeded();
    const { _id } = await repo.createOrder('stop:s1');
    const lineId = Object.keys((await repo.addLine(_id, 'product:CLN-010')).lines)[0];
    await Promise.all([
      repo.stepLineQty(_id, lineId, 1),
      repo.stepLineQty(_id, lineId, 1),
      repo.stepLineQty(_id, lineId, 1),
    ]);
    expect((await repo.getOrder(_id)).lines[lineId].qty).toBe(4);
    const down = await repo.stepLineQty(_id, lineId, -3);
    expect(down.lines[lineId].qty).toBe(1);
    expect(await rejectionOf(repo.stepLineQty(_id, lineId, -1))).toMatchObject({
      code: 'invalid',
      fields: { qty: 'Quantity must be a whole number from 1 to 9,999.' },
    });
    expect(await rejectionOf(repo.stepLineQty(_id, lineId, 0.5))).toMatchObject({
      code: 'invalid',
    });
  });

  it('refuses inactive products and unknown products', async () => {
    const { repo } = await seeded();
    const { _id } = await repo.createOrder('stop:s1');
    expect(await rejectionOf(repo.addLine(_id, 'product:OLD-001'))).toMatchObject({
      code: 'invalid',
      message: 'Discontinued Soap is no longer sold.',
    });
    expect(await rejectionOf(repo.addLine(_id, 'product:NOPE'))).toMatchObject({
      code: 'not_found',
    });
  });
});

describe('submitting', () => {
  it('submits once: double submit and retries keep one submitted order', async () => {
    const { repo, db } = await seeded();
    const { _id } = await repo.createOrder('stop:s1');
    await repo.addLine(_id, 'product:BEV-001', 3);
    const [a, b] = await Promise.all([repo.submitOrder(_id), repo.submitOrder(_id)]);
    expect(a.status).toBe('submitted');
    expect(b).toMatchObject({ status: 'submitted', submittedAt: a.submittedAt, _rev: a._rev });
    const retry = await repo.submitOrder(_id);
    expect(retry._rev).toBe(a._rev);
    const orders = await docsOfType(db, 'order');
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({
      status: 'submitted',
      submittedAt: '2026-11-22T08:00:00.000Z',
    });
  });

  it('refuses every edit after submission with a clear message', async () => {
    const { repo } = await seeded();
    const { _id } = await repo.createOrder('stop:s1');
    const draft = await repo.addLine(_id, 'product:BEV-001');
    const lineId = Object.keys(draft.lines)[0];
    await repo.submitOrder(_id);
    const message = 'This order was submitted and can no longer be changed.';
    for (const attempt of [
      () => repo.addLine(_id, 'product:BEV-002'),
      () => repo.setLineQty(_id, lineId, 2),
      () => repo.removeLine(_id, lineId),
    ]) {
      expect(await rejectionOf(attempt())).toMatchObject({ code: 'invalid', message });
    }
    expect((await repo.getOrder(_id)).lines[lineId].qty).toBe(1);
  });

  it('needs at least one line', async () => {
    const { repo } = await seeded();
    const { _id } = await repo.createOrder('stop:s1');
    expect(await rejectionOf(repo.submitOrder(_id))).toMatchObject({
      code: 'invalid',
      fields: { lines: 'Add at least one product before submitting.' },
    });
    expect((await repo.getOrder(_id)).status).toBe('draft');
  });
});

describe('searchProducts', () => {
  it('matches word prefixes of name, SKU and category, ignoring case and accents', async () => {
    const { repo } = await seeded();
    const skus = async (q: string) => (await repo.searchProducts(q)).map((p) => p.sku);
    expect(await skus('cafe')).toEqual(['BEV-002']);
    expect(await skus('CRÈME bea')).toEqual(['BEV-002']);
    expect(await skus('bev')).toEqual(['BEV-002', 'BEV-001']);
    expect(await skus('cln-0')).toEqual(['CLN-010']);
    expect(await skus('clean')).toEqual(['CLN-010']);
    expect(await skus('water glass')).toEqual([]);
    expect(await skus('')).toEqual(['BEV-002', 'CLN-010', 'BEV-001']);
    expect(await skus('soap')).toEqual([]);
    expect((await repo.searchProducts('soap', { inactive: true })).map((p) => p.sku)).toEqual([
      'OLD-001',
    ]);
    expect(await repo.searchProducts('', { limit: 1 })).toHaveLength(1);
  });

  it('sees products that arrive or change after the first search', async () => {
    const { repo, db } = await seeded();
    expect(await repo.searchProducts('tea')).toEqual([]);
    await repo.createOrder('stop:s1'); // unrelated writes do not rebuild, and do no harm
    await putAll(db, [productDoc('TEA-001', { name: 'Green Tea 20 bags' })]);
    expect((await repo.searchProducts('tea')).map((p) => p.sku)).toEqual(['TEA-001']);
    await db.put({ ...(await db.get('product:TEA-001')), active: false });
    expect(await repo.searchProducts('tea')).toEqual([]);
  });
});
