/**
 * What the rep can do with orders on the screens: each intent writes through the repo (local
 * first) and reports the outcome in words; field messages are left to the screen.
 */
import type { ProductDoc } from '$lib/domain/order';
import { newId } from '$lib/domain/ids';
import type { Repo } from '$lib/repo';
import { toOutpostError, type OutpostError } from '$lib/errors';
import type { Toasts } from './toasts.svelte';

/** An intent's outcome: its value, or the error (with field messages). */
export type OrderOutcome<T> = { ok: true; value: T } | { ok: false; error: OutpostError };

/** Builds the order intents over a repo; `isOnline` only changes the confirmations' words. */
export function createOrderActions(repo: Repo, toasts: Toasts, isOnline: () => boolean) {
  const offline = () => (isOnline() ? '' : ' (offline: it will sync later)');

  async function attempt<T>(
    write: () => Promise<T>,
    confirmation?: string,
  ): Promise<OrderOutcome<T>> {
    try {
      const value = await write();
      if (confirmation) toasts.info(`${confirmation}${offline()}`);
      return { ok: true, value };
    } catch (err) {
      const error = toOutpostError(err);
      if (Object.keys(error.fields).length === 0) toasts.error(error.message);
      return { ok: false, error };
    }
  }

  return {
    /** A fresh order id, made when "New order" is tapped so a repeated tap reuses it. */
    newOrderId: () => newId('order'),

    /** Starts (or, for an id already used, reopens) a draft order at a stop. */
    startOrder: (stopId: string, orderId: string) =>
      attempt(async () => (await repo.createOrder(stopId, { id: orderId }))._id),

    /** Catalogue search on the device; an error shows as a toast and gives no results. */
    async searchProducts(query: string): Promise<ProductDoc[]> {
      const outcome = await attempt(() => repo.searchProducts(query, { limit: 20 }));
      return outcome.ok ? outcome.value : [];
    },

    /** Adds one unit of a product (a line of its own, or one more on its line). */
    async addProduct(orderId: string, product: ProductDoc) {
      const outcome = await attempt(
        () => repo.addLine(orderId, product._id, 1),
        `Added ${product.name}`,
      );
      // The search list has no field to show a message next to: every refusal is a toast.
      if (!outcome.ok && Object.keys(outcome.error.fields).length > 0) {
        toasts.error(outcome.error.message);
      }
      return outcome;
    },

    /** Sets a line's quantity; an out-of-range quantity comes back as a field message. */
    setQty: (orderId: string, lineId: string, qty: number) =>
      attempt(() => repo.setLineQty(orderId, lineId, qty)),

    /** One more (+1) or one less (-1) of a line; quick taps add up. */
    stepQty: (orderId: string, lineId: string, delta: number) =>
      attempt(() => repo.stepLineQty(orderId, lineId, delta)),

    /** Takes a line off the order. */
    removeLine: (orderId: string, lineId: string, name: string) =>
      attempt(() => repo.removeLine(orderId, lineId), `Removed ${name}`),

    /** Submits the order; submitting again (double tap, retry) changes nothing. */
    submit: (orderId: string) => attempt(() => repo.submitOrder(orderId), 'Order submitted'),
  };
}

export type OrderActions = ReturnType<typeof createOrderActions>;
