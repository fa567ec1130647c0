/** Hand-built products and order lines for the order tests. */
import type { OrderLine, ProductDoc } from '$lib/domain/order';
import { SEED_HLC } from './docs';

const FIELDS = ['sku', 'name', 'unit', 'price', 'taxRate', 'category', 'active'];

/** A valid product `product:<sku>` owned by the supervisor. */
export function productDoc(sku: string, over: Partial<ProductDoc> = {}): ProductDoc {
  return {
    _id: `product:${sku}`,
    type: 'product',
    schema: 1,
    owner: 'sam',
    updatedAt: SEED_HLC,
    updatedBy: 'sam',
    deviceId: 'seed',
    fieldClock: Object.fromEntries(['owner', ...FIELDS].map((f) => [f, SEED_HLC])),
    sku,
    name: `Product ${sku}`,
    unit: 'each',
    price: 1000,
    taxRate: 1900,
    category: 'General',
    active: true,
    ...over,
  };
}

/** An order line with the given money fields and clock. */
export function orderLine(lineId: string, over: Partial<OrderLine> = {}): OrderLine {
  return {
    lineId,
    productId: 'product:P1',
    sku: 'P1',
    name: 'Product P1',
    qty: 1,
    unitPrice: 1000,
    taxRate: 1900,
    at: SEED_HLC,
    ...over,
  };
}
