/**
 * Copies revisions between databases the way CouchDB's replicator does, batched across docs and
 * target dbs: `_revs_diff` on each target, one `_bulk_get?revs=true&attachments=true` on the
 * source for everything missing anywhere, then `_bulk_docs` with `new_edits: false` on each
 * target. Revision trees stay identical, conflicts travel as conflicts, and copying the same
 * revision twice is a no-op, so a batch may be repeated after a crash or by a second router.
 */
import { createError } from '../../errors';
import { dbPath, type AdminCouch } from '../couch/admin-http';
import { forEachLimited } from './limit';

/** What to copy: target db -> doc id -> the revisions it should hold. */
export type CopyPlan = Map<string, Map<string, Set<string>>>;

/** Adds `revs` of `id` for `db` to a plan. */
export function planAdd(plan: CopyPlan, db: string, id: string, revs: Iterable<string>): void {
  let docs = plan.get(db);
  if (!docs) plan.set(db, (docs = new Map()));
  let set = docs.get(id);
  if (!set) docs.set(id, (set = new Set()));
  for (const r of revs) set.add(r);
}

export interface CopyResult {
  /** Revisions written, per target db. */
  written: Map<string, { id: string; rev: string }[]>;
  /** Revisions the source no longer has (compacted or purged): skipped. */
  gone: number;
}

type Doc = Record<string, unknown> & { _id: string; _rev: string };

interface BulkGetAnswer {
  results: { id: string; docs: ({ ok: Doc } | { error: { rev?: string; error: string } })[] }[];
}

const BULK_GET_CHUNK = 200;

/**
 * Changes per batch up to which the router sends revisions without asking `_revs_diff` first:
 * a few fresh changes are new to their targets (steady state); a long catch-up asks.
 */
export const FRESH_BATCH = 50;

/** What each target db of `plan` lacks (`_revs_diff` per target). */
async function askMissing(
  couch: AdminCouch,
  plan: CopyPlan,
  concurrency: number,
): Promise<Map<string, Map<string, string[]>>> {
  const missing = new Map<string, Map<string, string[]>>();
  await forEachLimited([...plan.keys()], concurrency, async (db) => {
    const ask: Record<string, string[]> = {};
    for (const [id, revs] of plan.get(db)!) ask[id] = [...revs];
    const diff = await couch.request<Record<string, { missing?: string[] }>>(
      'POST',
      `${dbPath(db)}/_revs_diff`,
      { body: ask },
    );
    const lacks = new Map<string, string[]>();
    for (const [id, d] of Object.entries(diff)) if (d.missing?.length) lacks.set(id, d.missing);
    if (lacks.size) missing.set(db, lacks);
  });
  return missing;
}

/** Options of {@link copyRevisions}. */
export interface CopyOptions {
  /** Target dbs written at once (default 4). */
  concurrency?: number;
  /** False: send every planned revision without asking `_revs_diff` first. */
  ask?: boolean;
  /**
   * Told what is about to be written into each target, before the write: the write's own echo
   * (a `_db_updates` event, a master change) can arrive before the write's answer does.
   */
  writing?: (db: string, revs: { id: string; rev: string }[]) => void;
}

/**
 * Copies what each target of `plan` lacks from `source`. `ask: false` skips `_revs_diff` and
 * sends every planned revision: for a few fresh changes the targets lack anyway (a revision a
 * target already has is a no-op there), it saves a round trip per target db.
 */
export async function copyRevisions(
  couch: AdminCouch,
  source: string,
  plan: CopyPlan,
  opts: CopyOptions = {},
): Promise<CopyResult> {
  const concurrency = opts.concurrency ?? 4;
  const missing =
    opts.ask === false
      ? new Map(
          [...plan].map(([db, docs]) => [db, new Map([...docs].map(([id, r]) => [id, [...r]]))]),
        )
      : await askMissing(couch, plan, concurrency);

  const wanted = new Map<string, { id: string; rev: string }>();
  for (const lacks of missing.values()) {
    for (const [id, revs] of lacks) for (const rev of revs) wanted.set(`${rev}@${id}`, { id, rev });
  }
  const fetched = new Map<string, Doc>();
  const all = [...wanted.values()];
  for (let i = 0; i < all.length; i += BULK_GET_CHUNK) {
    const answer = await couch.request<BulkGetAnswer>('POST', `${dbPath(source)}/_bulk_get`, {
      query: { revs: true, attachments: true },
      body: { docs: all.slice(i, i + BULK_GET_CHUNK) },
    });
    for (const r of answer.results) {
      for (const d of r.docs) if ('ok' in d) fetched.set(`${d.ok._rev}@${d.ok._id}`, d.ok);
    }
  }

  const written: CopyResult['written'] = new Map();
  await forEachLimited([...missing.keys()], concurrency, async (db) => {
    const docs: Doc[] = [];
    for (const [id, revs] of missing.get(db)!) {
      for (const rev of revs) {
        const doc = fetched.get(`${rev}@${id}`);
        if (doc) docs.push(doc);
      }
    }
    if (!docs.length) return;
    const revs = docs.map((d) => ({ id: d._id, rev: d._rev }));
    opts.writing?.(db, revs);
    const errors = await couch.request<{ id: string; error?: string; reason?: string }[]>(
      'POST',
      `${dbPath(db)}/_bulk_docs`,
      { body: { docs, new_edits: false } },
    );
    const failed = errors.filter((e) => e.error);
    if (failed.length) {
      throw createError('internal', {
        error: failed[0].error,
        reason: failed[0].reason,
        message: `${failed.length} revisions were refused by ${db}: ${failed[0].id}: ${failed[0].error} ${failed[0].reason ?? ''}`,
      });
    }
    written.set(db, revs);
  });
  return { written, gone: all.length - fetched.size };
}
