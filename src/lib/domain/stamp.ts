/**
 * Building new bodies for writes: system fields stamped, per-field clocks advanced for the
 * fields that changed, and every field the caller did not touch (including unknown fields a
 * newer schema wrote) carried over untouched.
 */
import { SCHEMA_VERSION, schemaOf } from './schema';
import { SYSTEM_FIELDS, type BaseDoc, type DocType } from './types';

/** Who writes and when: filled by the repo on every write. */
export interface WriteStamp {
  user: string;
  deviceId: string;
  /** HLC timestamp of this write. */
  hlc: string;
}

type Body = Record<string, unknown>;
const SYSTEM = new Set<string>(SYSTEM_FIELDS);

/** Nesting beyond which canonicalJson gives up: no JSON doc gets there, a cyclic object would. */
const MAX_CANONICAL_DEPTH = 100_000;

/**
 * Deterministic JSON with sorted object keys, for comparing and hashing bodies. Iterative, so a
 * body nested thousands of levels deep (a hostile or corrupt doc from the server) cannot
 * overflow the stack of whoever compares it (the resolver, the conflict rules, applyPatch).
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  // Work items: a value still to write (with its depth), or literal text to emit.
  const todo: ({ value: unknown; depth: number } | string)[] = [{ value, depth: 0 }];
  while (todo.length > 0) {
    const item = todo.pop() as { value: unknown; depth: number } | string;
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    const { value: v, depth } = item;
    if (v === undefined) out.push('null');
    else if (v === null || typeof v !== 'object') out.push(JSON.stringify(v));
    else if (depth >= MAX_CANONICAL_DEPTH) {
      throw new RangeError(`canonicalJson: nested deeper than ${MAX_CANONICAL_DEPTH} levels`);
    } else if (Array.isArray(v)) {
      out.push('[');
      todo.push(']');
      for (let i = v.length - 1; i >= 0; i--) {
        todo.push({ value: v[i], depth: depth + 1 });
        if (i > 0) todo.push(',');
      }
    } else {
      const keys = Object.keys(v as Body)
        .filter((k) => (v as Body)[k] !== undefined)
        .sort();
      out.push('{');
      todo.push('}');
      for (let i = keys.length - 1; i >= 0; i--) {
        todo.push({ value: (v as Body)[keys[i]], depth: depth + 1 });
        todo.push(`${JSON.stringify(keys[i])}:`);
        if (i > 0) todo.push(',');
      }
    }
  }
  return out.join('');
}

/** Stamps a brand-new document: every data field (and the owner) gets the write's clock. */
export function stampNew<T extends BaseDoc>(
  type: DocType,
  id: string,
  owner: string,
  fields: Body,
  stamp: WriteStamp,
): T {
  const data: Body = {};
  // The owner is merged like any data field (conflicts/rules.ts) and must carry its clock from
  // the start: unclocked, a leaf's claim on it is its `updatedAt`, so any later edit by the old
  // owner (a task ticked) beat a supervisor's concurrent transfer and silently took the doc back
  // (found by the chaos harness: `npm run chaos -- --seed 2 --profile moving-vehicle`).
  const fieldClock: Record<string, string> = { owner: stamp.hlc };
  for (const [k, v] of Object.entries(fields)) {
    if (SYSTEM.has(k) || v === undefined) continue;
    data[k] = v;
    fieldClock[k] = stamp.hlc;
  }
  return {
    ...data,
    _id: id,
    type,
    schema: SCHEMA_VERSION[type],
    owner,
    updatedAt: stamp.hlc,
    updatedBy: stamp.user,
    deviceId: stamp.deviceId,
    fieldClock,
  } as T;
}

/**
 * Applies a patch to an existing document. Only fields whose value really changes get a new
 * field clock; `undefined` in the patch removes a field. Unknown fields are preserved and a
 * newer schema number is never lowered. System fields in the patch are ignored; `transfer`
 * is the one way to change the owner. Returns null when nothing changes.
 */
export function applyPatch<T extends BaseDoc>(
  existing: T,
  patch: Body,
  stamp: WriteStamp,
  transfer?: { owner: string },
): T | null {
  const next: Body = { ...existing };
  const fieldClock: Record<string, string> = { ...(existing.fieldClock ?? {}) };
  let changed = false;
  if (transfer && transfer.owner !== existing.owner) {
    // Ownership moves only through an explicit transfer (a supervisor reassigning work).
    next.owner = transfer.owner;
    fieldClock.owner = stamp.hlc;
    changed = true;
  }
  for (const [k, v] of Object.entries(patch)) {
    if (SYSTEM.has(k) || k.startsWith('_')) continue;
    if (canonicalJson(existing[k]) === canonicalJson(v) && (v !== undefined) === k in existing)
      continue;
    if (v === undefined) delete next[k];
    else next[k] = v;
    fieldClock[k] = stamp.hlc;
    changed = true;
  }
  if (!changed) return null;
  return {
    ...next,
    schema: Math.max(schemaOf(existing), SCHEMA_VERSION[existing.type]),
    updatedAt: stamp.hlc,
    updatedBy: stamp.user,
    deviceId: stamp.deviceId,
    fieldClock,
  } as T;
}
