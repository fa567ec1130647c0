/**
 * Orders at a stop: draft lines with quantity and price snapshot, totals with tax, and a
 * forward-only submission. The order id is made when the draft is created and submitting is
 * a status change on that one doc, so a double tap, a retry after a crash or two tabs can
 * never make a second order; a submitted order refuses every further edit.
 */
import { INDEX, ensureIndexes } from '../db/indexes';
import { uuidv7 } from '../domain/ids';
import {
  CURRENCY,
  ORDER_LIMITS,
  lineAmounts,
  liveLines,
  orderTotals,
  type OrderDoc,
  type OrderLine,
  type ProductDoc,
} from '../domain/order';
import { migrate } from '../domain/schema';
import type { AccountDoc } from '../domain/types';
import { createError, toOutpostError } from '../errors';
import { createCatalogueIndex, type ProductSearchOptions } from './catalogue';
import type { Store } from './store';

/** What the order screen shows. */
export interface OrderDetail {
  order: OrderDoc;
  /** Null when the account has not reached this device. */
  account: AccountDoc | null;
  /** Live lines in the order they were added, with their net and tax in cents. */
  lines: (OrderLine & { net: number; tax: number })[];
}

const SUBMITTED_MESSAGE = 'This order was submitted and can no longer be changed.';

function checkQty(qty: unknown): number {
  if (!Number.isInteger(qty) || (qty as number) < 1 || (qty as number) > ORDER_LIMITS.qty) {
    const message = `Quantity must be a whole number from 1 to ${ORDER_LIMITS.qty.toLocaleString('en')}.`;
    throw createError('invalid', { message, fields: { qty: message } });
  }
  return qty as number;
}

function requireDraft(order: OrderDoc): void {
  // No field message: the screen shows it as a toast (e.g. submitted meanwhile in another tab).
  if (order.status !== 'draft') throw createError('invalid', { message: SUBMITTED_MESSAGE });
}

function lineOf(order: OrderDoc, lineId: string): OrderLine {
  const line = order.lines[lineId];
  if (!line || line.removed) {
    throw createError('not_found', { message: 'That line is no longer on this order.' });
  }
  return line;
}

/** Builds the order commands and queries over a store. */
export function createOrderRepo(store: Store) {
  const { db, ctx } = store;
  const catalogue = createCatalogueIndex(store.reference);

  /** A line clock later than every line clock of the order (another device's may run ahead). */
  function lineClock(order: OrderDoc): string {
    const seen = Object.values(order.lines).map((l) => l.at);
    if (seen.length > 0) ctx.clock.receive(seen.reduce((a, b) => (a > b ? a : b)));
    return ctx.clock.now();
  }

  /** Applies a change to the lines of a draft and recomputes its totals. */
  function editLines(
    orderId: string,
    change: (order: OrderDoc) => Record<string, OrderLine> | null,
  ): Promise<OrderDoc> {
    return store.update('order', orderId, (order) => {
      requireDraft(order);
      const lines = change(order);
      return lines ? { lines, totals: orderTotals(lines) } : null;
    });
  }

  return {
    /** Products matching the query (name, SKU or category word prefixes), offline. */
    searchProducts: (query: string, opts?: ProductSearchOptions) => catalogue.search(query, opts),

    /** One product; throws not_found. */
    getProduct: (productId: string): Promise<ProductDoc> => store.get('product', productId),

    /** One order; throws not_found. */
    getOrder: (orderId: string): Promise<OrderDoc> => store.get('order', orderId),

    /** An order with its account and its live lines priced, for the order screen. */
    async orderDetail(orderId: string): Promise<OrderDetail> {
      const order = await store.get('order', orderId);
      const account = await store.find('account', order.accountId);
      const lines = liveLines(order.lines).map((l) => ({ ...l, ...lineAmounts(l) }));
      return { order, account, lines };
    },

    /** The orders taken at a stop, oldest first. */
    async ordersOfStop(stopId: string): Promise<OrderDoc[]> {
      await ensureIndexes(db);
      try {
        const res = await db.find({ selector: { stopId }, use_index: INDEX.byStop, limit: 10_000 });
        return res.docs
          .filter((d) => (d as Record<string, unknown>).type === 'order')
          .map((d) => migrate('order', d as Record<string, unknown>) as unknown as OrderDoc)
          .sort((a, b) => (a._id < b._id ? -1 : 1));
      } catch (err) {
        throw toOutpostError(err);
      }
    },

    /**
     * Starts a draft order at a stop, owned by the stop's rep. Passing an `id` makes it
     * idempotent: when that order exists already it is returned as it is.
     */
    async createOrder(stopId: string, opts: { id?: string } = {}): Promise<OrderDoc> {
      if (opts.id) {
        const existing = await store.find('order', opts.id);
        if (existing) return existing;
      }
      const stop = await store.get('stop', stopId);
      const fields = {
        stopId,
        accountId: stop.accountId,
        currency: CURRENCY,
        status: 'draft',
        lines: {},
        totals: orderTotals({}),
      };
      try {
        return await store.create('order', fields, { id: opts.id, owner: stop.owner });
      } catch (err) {
        if (toOutpostError(err).code !== 'conflict' || !opts.id) throw err;
        return store.get('order', opts.id);
      }
    },

    /**
     * Adds a product to a draft with its current price and tax rate. When the product is on
     * the order already, the quantity is added to that line instead.
     */
    async addLine(orderId: string, productId: string, qty = 1): Promise<OrderDoc> {
      const amount = checkQty(qty);
      const product = await store.get('product', productId);
      return editLines(orderId, (order) => {
        const at = lineClock(order);
        const same = liveLines(order.lines).find((l) => l.productId === productId);
        if (same) {
          const total = checkQty(Math.min(same.qty + amount, ORDER_LIMITS.qty + 1));
          return { ...order.lines, [same.lineId]: { ...same, qty: total, at } };
        }
        if (!product.active) {
          throw createError('invalid', {
            message: `${product.name} is no longer sold.`,
            fields: { productId: `${product.name} is no longer sold.` },
          });
        }
        if (Object.keys(order.lines).length >= ORDER_LIMITS.lines) {
          const message = `An order can hold at most ${ORDER_LIMITS.lines} lines.`;
          throw createError('invalid', { message, fields: { lines: message } });
        }
        const lineId = uuidv7();
        const line: OrderLine = {
          lineId,
          productId,
          sku: product.sku,
          name: product.name,
          unit: product.unit,
          qty: amount,
          unitPrice: product.price,
          taxRate: product.taxRate,
          at,
        };
        return { ...order.lines, [lineId]: line };
      });
    },

    /** Sets a line's quantity (1 to ORDER_LIMITS.qty). */
    async setLineQty(orderId: string, lineId: string, qty: number): Promise<OrderDoc> {
      const value = checkQty(qty);
      return editLines(orderId, (order) => {
        const line = lineOf(order, lineId);
        if (line.qty === value) return null;
        return { ...order.lines, [lineId]: { ...line, qty: value, at: lineClock(order) } };
      });
    },

    /**
     * Changes a line's quantity by `delta` on the stored value (so two quick taps on "+" add
     * two); the result must stay within 1 to ORDER_LIMITS.qty.
     */
    async stepLineQty(orderId: string, lineId: string, delta: number): Promise<OrderDoc> {
      if (!Number.isInteger(delta) || delta === 0) {
        throw createError('invalid', { message: 'A quantity step must be a whole number.' });
      }
      return editLines(orderId, (order) => {
        const line = lineOf(order, lineId);
        const qty = checkQty(line.qty + delta);
        return { ...order.lines, [lineId]: { ...line, qty, at: lineClock(order) } };
      });
    },

    /** Removes a line (kept as a tombstone so a merge with an older copy cannot restore it). */
    async removeLine(orderId: string, lineId: string): Promise<OrderDoc> {
      return editLines(orderId, (order) => {
        const line = order.lines[lineId];
        if (!line || line.removed) return null;
        return { ...order.lines, [lineId]: { ...line, removed: true, at: lineClock(order) } };
      });
    },

    /**
     * Submits a draft: forward only and idempotent (an order submitted already is returned as
     * it is). Needs at least one line.
     */
    async submitOrder(orderId: string): Promise<OrderDoc> {
      return store.update('order', orderId, (order) => {
        if (order.status === 'submitted') return null;
        if (liveLines(order.lines).length === 0) {
          const message = 'Add at least one product before submitting.';
          throw createError('invalid', { message, fields: { lines: message } });
        }
        return {
          status: 'submitted',
          submittedAt: new Date(ctx.clock.correctedNow()).toISOString(),
        };
      });
    },
  };
}

export type OrderRepo = ReturnType<typeof createOrderRepo>;
