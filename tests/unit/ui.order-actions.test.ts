import { afterEach, describe, expect, it } from 'vitest';
import { createOrderActions } from '$lib/ui/order-actions';
import { Toasts } from '$lib/ui/toasts.svelte';
import { accountDoc, docsOfType, putAll, stopDoc } from '../helpers/docs';
import { destroyMemoryDbs } from '../helpers/memory-db';
import { productDoc } from '../helpers/orders';
import { testRepo } from '../helpers/repo';

afterEach(destroyMemoryDbs);

async function setup(online = true) {
  const t = testRepo();
  await putAll(t.db, [
    accountDoc('a1'),
    stopDoc('s1', { accountId: 'account:a1' }),
    productDoc('TEA-1', { name: 'Green Tea' }),
    productDoc('OLD-1', { name: 'Old Soap', active: false }),
  ]);
  const toasts = new Toasts();
  return { ...t, toasts, actions: createOrderActions(t.repo, toasts, () => online) };
}

describe('order actions', () => {
  it('a repeated "New order" with the id made at the tap opens the same draft', async () => {
    const { actions, db } = await setup();
    const id = actions.newOrderId();
    expect(id).toMatch(/^order:/);
    const [first, second] = await Promise.all([
      actions.startOrder('stop:s1', id),
      actions.startOrder('stop:s1', id),
    ]);
    expect(first).toEqual({ ok: true, value: id });
    expect(second).toEqual({ ok: true, value: id });
    expect(await docsOfType(db, 'order')).toHaveLength(1);
  });

  it('confirms in words, offline too, and leaves field messages to the screen', async () => {
    const { actions, toasts } = await setup(false);
    const id = actions.newOrderId();
    await actions.startOrder('stop:s1', id);
    const [tea] = await actions.searchProducts('green');
    const added = await actions.addProduct(id, tea);
    expect(added.ok).toBe(true);
    expect(toasts.items.at(-1)?.text).toBe('Added Green Tea (offline: it will sync later)');
    const lineId = added.ok ? Object.keys(added.value.lines)[0] : '';
    const refused = await actions.setQty(id, lineId, 0);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.fields.qty).toMatch(/^Quantity must be/);
    const [old] = await actions.searchProducts('soap');
    expect(old).toBeUndefined(); // inactive products are not offered
    const soap = await actions.addProduct(id, { ...tea, _id: 'product:OLD-1', name: 'Old Soap' });
    expect(soap.ok).toBe(false);
    expect(toasts.items.at(-1)?.text).toBe('Old Soap is no longer sold.');
    await actions.submit(id);
    await actions.submit(id);
    // At most three toasts on screen: the confirmation of the add has made room.
    expect(toasts.items.map((t) => t.text)).toEqual([
      'Old Soap is no longer sold.',
      'Order submitted (offline: it will sync later)',
      'Order submitted (offline: it will sync later)',
    ]);
    const late = await actions.removeLine(id, lineId, 'Green Tea');
    expect(late.ok).toBe(false);
    expect(toasts.items.at(-1)).toMatchObject({
      text: 'This order was submitted and can no longer be changed.',
    });
  });
});
