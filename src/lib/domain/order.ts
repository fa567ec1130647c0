/**
 * Orders and the product catalogue (DESIGN.md section 4): shapes, money arithmetic, the
 * per-line merge of draft orders and validation with field-level messages.
 *
 * Money is always an integer number of minor units (cents); tax rates are basis points
 * (1900 = 19 %). Rounding: tax is computed per line, `qty * unitPrice * taxRate / 10000`
 * rounded half-up to the cent; the order's net, tax and gross are the sums of the lines, so
 * an order's totals always equal the sum of what its lines show.
 */
import { isHlc } from '../clock/hlc';
import { canonicalJson } from './stamp';
import type { BaseDoc } from './types';
import type { FieldErrors } from './validate';
import { isIsoTimestamp } from './validate';

/** The currency of the catalogue and of every order (ISO 4217). */
export const CURRENCY = 'USD';

export const ORDER_STATUSES = ['draft', 'submitted'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_LIMITS = {
  /** Most units of one product on one line. */
  qty: 9_999,
  /** Highest unit price in cents (100 000.00). */
  price: 10_000_000,
  /** Highest tax rate in basis points (100 %). */
  taxRate: 10_000,
  /** Most lines (live and removed) on one order. */
  lines: 300,
  sku: 40,
  name: 200,
  short: 40,
} as const;

/** A catalogue entry, `product:<sku>`; written by supervisors and admins only. */
export interface ProductDoc extends BaseDoc {
  type: 'product';
  sku: string;
  name: string;
  /** Selling unit ("case of 12", "kg"). */
  unit: string;
  /** Unit price in cents, before tax. */
  price: number;
  /** Tax rate in basis points. */
  taxRate: number;
  category: string;
  /** Inactive products are kept for old orders but not offered any more. */
  active: boolean;
}

/** One line of an order, keyed by its id in `OrderDoc.lines`. */
export interface OrderLine {
  lineId: string;
  productId: string;
  sku: string;
  name: string;
  unit?: string;
  qty: number;
  /** Unit price in cents, copied from the product when the line was added. */
  unitPrice: number;
  /** Tax rate in basis points, copied from the product when the line was added. */
  taxRate: number;
  /** HLC of the last change to this line: the per-line last-writer-wins clock. */
  at: string;
  /** Tombstone: the line was removed (kept so a merge cannot bring it back). */
  removed?: boolean;
}

export interface OrderTotals {
  net: number;
  tax: number;
  gross: number;
}

/** An order taken at a stop, `order:<uuid v7>`: draft until submitted, immutable after. */
export interface OrderDoc extends BaseDoc {
  type: 'order';
  stopId: string;
  accountId: string;
  currency: string;
  status: OrderStatus;
  /** Corrected time (ISO) of the submission. */
  submittedAt?: string;
  lines: Record<string, OrderLine>;
  totals: OrderTotals;
}

/** `a * b / 10000` rounded half-up, for non-negative integers (exact below 2^53). */
function basisPointsOf(amount: number, rate: number): number {
  return Math.floor((amount * rate + 5_000) / 10_000);
}

/** Net and tax of one line in cents (tax rounded half-up per line). */
export function lineAmounts(line: Pick<OrderLine, 'qty' | 'unitPrice' | 'taxRate'>): {
  net: number;
  tax: number;
} {
  const net = line.qty * line.unitPrice;
  return { net, tax: basisPointsOf(net, line.taxRate) };
}

/** The lines still on the order (not removed), in the order they were added. */
export function liveLines(lines: Record<string, OrderLine> | undefined): OrderLine[] {
  return Object.values(lines ?? {})
    .filter((l) => !l.removed)
    .sort((a, b) => (a.lineId < b.lineId ? -1 : a.lineId > b.lineId ? 1 : 0));
}

/** Totals over the live lines: sums of each line's net and rounded tax. */
export function orderTotals(lines: Record<string, OrderLine> | undefined): OrderTotals {
  let net = 0;
  let tax = 0;
  for (const line of liveLines(lines)) {
    const a = lineAmounts(line);
    net += a.net;
    tax += a.tax;
  }
  return { net, tax, gross: net + tax };
}

/** True when `a` is the later version of a line: greater clock, then greater canonical JSON. */
function laterLine(a: OrderLine, b: OrderLine): boolean {
  if (a.at !== b.at) return a.at > b.at;
  return canonicalJson(a) > canonicalJson(b);
}

/**
 * Merges the line maps of several versions of a draft: per line id, the version with the
 * greatest clock wins (a removal is a version like any other, so a removed line stays
 * removed unless it was changed after the removal). Independent of the input order.
 */
export function mergeLines(
  versions: (Record<string, OrderLine> | undefined)[],
): Record<string, OrderLine> {
  const best = new Map<string, OrderLine>();
  for (const lines of versions) {
    for (const [id, line] of Object.entries(lines ?? {})) {
      const current = best.get(id);
      if (!current || laterLine(line, current)) best.set(id, line);
    }
  }
  return Object.fromEntries([...best.keys()].sort().map((id) => [id, best.get(id) as OrderLine]));
}

/** Lowercase, accents removed, runs of non-alphanumerics collapsed to one space. */
export function searchText(value: string): string {
  // Plain ASCII (most names) skips the Unicode work: it is the bulk of building the index.
  if (/^[\x20-\x7e]*$/.test(value)) {
    return value
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, ' ')
      .trim();
  }
  return value
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function label(errors: FieldErrors, doc: Obj, field: string, name: string, max: number): void {
  const v = doc[field];
  if (typeof v !== 'string' || v.trim() === '') errors[field] = `${name} is required.`;
  else if (v.length > max) errors[field] = `${name} is too long (at most ${max} characters).`;
}

function wholeNumber(
  errors: FieldErrors,
  doc: Obj,
  field: string,
  name: string,
  min: number,
  max: number,
): void {
  const v = doc[field];
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
    errors[field] = `${name} must be a whole number from ${min} to ${max}.`;
  }
}

const SKU = /^[A-Z0-9][A-Z0-9-]*$/;

/** Field checks of a product. */
export function validateProduct(doc: Obj, errors: FieldErrors): void {
  label(errors, doc, 'sku', 'SKU', ORDER_LIMITS.sku);
  if (!errors.sku && !SKU.test(doc.sku as string)) {
    errors.sku = 'SKU may hold only capital letters, digits and dashes.';
  } else if (!errors.sku && doc._id !== `product:${doc.sku as string}`) {
    errors._id = 'A product id must be "product:" followed by its SKU.';
  }
  label(errors, doc, 'name', 'Product name', ORDER_LIMITS.name);
  label(errors, doc, 'unit', 'Unit', ORDER_LIMITS.short);
  label(errors, doc, 'category', 'Category', ORDER_LIMITS.short);
  wholeNumber(errors, doc, 'price', 'Price (in cents)', 0, ORDER_LIMITS.price);
  wholeNumber(errors, doc, 'taxRate', 'Tax rate (in basis points)', 0, ORDER_LIMITS.taxRate);
  if (typeof doc.active !== 'boolean') errors.active = 'Active must be true or false.';
}

function validateLine(key: string, line: unknown, errors: FieldErrors): void {
  const at = `lines.${key}`;
  if (!isObj(line)) {
    errors[at] = 'An order line must be an object.';
    return;
  }
  const sub: FieldErrors = {};
  if (line.lineId !== key) sub.lineId = 'Line id must match its key.';
  if (typeof line.productId !== 'string' || !line.productId.startsWith('product:')) {
    sub.productId = 'Line must reference a product.';
  }
  label(sub, line, 'sku', 'SKU', ORDER_LIMITS.sku);
  label(sub, line, 'name', 'Product name', ORDER_LIMITS.name);
  if (line.unit !== undefined) label(sub, line, 'unit', 'Unit', ORDER_LIMITS.short);
  wholeNumber(sub, line, 'qty', 'Quantity', 1, ORDER_LIMITS.qty);
  wholeNumber(sub, line, 'unitPrice', 'Unit price (in cents)', 0, ORDER_LIMITS.price);
  wholeNumber(sub, line, 'taxRate', 'Tax rate (in basis points)', 0, ORDER_LIMITS.taxRate);
  if (!isHlc(line.at)) sub.at = 'Line clock must be an HLC timestamp.';
  if (line.removed !== undefined && line.removed !== true) sub.removed = 'Removed must be true.';
  for (const [k, m] of Object.entries(sub)) errors[`${at}.${k}`] = m;
}

/** Field checks of an order, including that its totals match its lines. */
export function validateOrder(doc: Obj, errors: FieldErrors): void {
  for (const [field, type, name] of [
    ['stopId', 'stop', 'Stop'],
    ['accountId', 'account', 'Account'],
  ] as const) {
    const v = doc[field];
    if (typeof v !== 'string' || !v.startsWith(`${type}:`) || v.length <= type.length + 1) {
      errors[field] = `${name} must reference ${type === 'account' ? 'an' : 'a'} ${type}.`;
    }
  }
  if (typeof doc.currency !== 'string' || !/^[A-Z]{3}$/.test(doc.currency)) {
    errors.currency = 'Currency must be a three-letter code such as USD.';
  }
  if (!(ORDER_STATUSES as readonly unknown[]).includes(doc.status)) {
    errors.status = `Status must be one of: ${ORDER_STATUSES.join(', ')}.`;
  }
  if (doc.status === 'submitted' && !isIsoTimestamp(doc.submittedAt)) {
    errors.submittedAt = 'A submitted order needs its submission time.';
  } else if (doc.submittedAt !== undefined && !isIsoTimestamp(doc.submittedAt)) {
    errors.submittedAt = 'Submission time must be a valid date and time.';
  }
  const lines = doc.lines;
  if (!isObj(lines)) {
    errors.lines = 'Lines must be an object keyed by line id.';
    return;
  }
  const entries = Object.entries(lines);
  if (entries.length > ORDER_LIMITS.lines) {
    errors.lines = `An order can hold at most ${ORDER_LIMITS.lines} lines.`;
    return;
  }
  for (const [key, line] of entries) validateLine(key, line, errors);
  if (doc.status === 'submitted' && liveLines(lines as Record<string, OrderLine>).length === 0) {
    errors.lines = 'An order needs at least one line to be submitted.';
  }
  if (Object.keys(errors).some((k) => k.startsWith('lines.'))) return;
  const totals = orderTotals(lines as Record<string, OrderLine>);
  if (!isObj(doc.totals) || canonicalJson(doc.totals) !== canonicalJson(totals)) {
    errors.totals = 'Totals must equal the sum of the lines.';
  }
}

/** Schema 0 -> 1 for an order typed in by hand: a draft with no lines and computed totals. */
export function migrateOrderV0(doc: Record<string, unknown>): Record<string, unknown> {
  return {
    status: 'draft',
    currency: CURRENCY,
    lines: {},
    totals: orderTotals(isObj(doc.lines) ? (doc.lines as Record<string, OrderLine>) : {}),
    ...doc,
  };
}
