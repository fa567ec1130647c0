/**
 * Schema versions and additive migrations. A migration only adds or fills fields; it never
 * removes or renames, and fields it does not know are left untouched. A document written by a
 * newer schema than this build knows is read as it is and never downgraded.
 */
import type { DocType } from './types';
import { migrateOrderV0 } from './order';

/** The schema version this build writes, per type. */
export const SCHEMA_VERSION: Record<DocType, number> = {
  account: 1,
  stop: 1,
  event: 1,
  note: 1,
  task: 1,
  conflict: 1,
  photo: 1,
  template: 1,
  inspection: 1,
  product: 1,
  order: 1,
  device: 1,
};

type Body = Record<string, unknown>;

/** One additive step from `from` to `from + 1`. */
export interface Migration {
  from: number;
  up(doc: Body): Body;
}

/**
 * Steps per type. Version 0 is a body without a `schema` field, e.g. one an admin typed into
 * Fauxton or an import script wrote: the step fills the defaults the app relies on.
 */
export const MIGRATIONS: Record<DocType, Migration[]> = {
  account: [{ from: 0, up: (d) => ({ contacts: [], ...d }) }],
  stop: [{ from: 0, up: (d) => ({ status: 'planned', ...d }) }],
  event: [{ from: 0, up: (d) => d }],
  note: [{ from: 0, up: (d) => d }],
  task: [{ from: 0, up: (d) => ({ done: false, ...d }) }],
  conflict: [{ from: 0, up: (d) => d }],
  photo: [{ from: 0, up: (d) => d }],
  template: [{ from: 0, up: (d) => d }],
  inspection: [{ from: 0, up: (d) => ({ answers: {}, ...d }) }],
  product: [{ from: 0, up: (d) => ({ active: true, ...d }) }],
  order: [{ from: 0, up: migrateOrderV0 }],
  device: [{ from: 0, up: (d) => d }],
};

/** Schema version of a body: its `schema` field, or 0 when missing/invalid. */
export function schemaOf(doc: Body): number {
  return Number.isInteger(doc.schema) && (doc.schema as number) > 0 ? (doc.schema as number) : 0;
}

/** True when the body was written by a newer schema than this build knows. */
export function isNewerSchema(type: DocType, doc: Body): boolean {
  return schemaOf(doc) > SCHEMA_VERSION[type];
}

/**
 * Brings a body up to this build's schema by running the additive steps in order.
 * Returns the same object when nothing changes; never lowers a newer schema.
 */
export function migrate<T extends Body>(type: DocType, doc: T, steps = MIGRATIONS[type]): T {
  const target = Math.max(SCHEMA_VERSION[type], ...steps.map((s) => s.from + 1));
  let version = schemaOf(doc);
  if (version >= target) return doc;
  let body: Body = doc;
  while (version < target) {
    const step = steps.find((s) => s.from === version);
    if (step) body = step.up(body);
    version += 1;
  }
  return { ...body, schema: version } as unknown as T;
}
