/** Mango indexes the pages' queries need; created once per database, idempotent. */
import type { LocalDb } from './pouch';

/** Index names, passed as `use_index` so queries never fall back to a full scan. */
export const INDEX = {
  /** Stops of a day for an assignee. Only stops carry `date`. */
  stopsByDay: 'stops-by-day',
  /** Events, notes and tasks of a stop. */
  byStop: 'by-stop',
  /** Stops, events and notes of an account. */
  byAccount: 'by-account',
} as const;

const DEFINITIONS: { name: string; fields: string[] }[] = [
  { name: INDEX.stopsByDay, fields: ['date', 'assignee'] },
  { name: INDEX.byStop, fields: ['stopId'] },
  { name: INDEX.byAccount, fields: ['accountId'] },
];

const ensured = new WeakMap<LocalDb, Promise<void>>();

/** Creates the indexes (once per db handle; concurrent callers share the same promise). */
export function ensureIndexes(db: LocalDb): Promise<void> {
  let pending = ensured.get(db);
  if (!pending) {
    pending = (async () => {
      for (const { name, fields } of DEFINITIONS) {
        await db.createIndex({ index: { fields, name, ddoc: name } });
      }
    })();
    ensured.set(db, pending);
    pending.catch(() => ensured.delete(db));
  }
  return pending;
}
