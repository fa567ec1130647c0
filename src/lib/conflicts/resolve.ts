/**
 * Resolving conflicts on any replica so that every replica writes the same revisions
 * (DESIGN.md section 6). Works on any PouchDB database (memory, idb, or an http remote: plain
 * CouchDB protocol) and only uses `get` (with `open_revs: 'all', revs: true`), `changes` and
 * `bulkDocs(..., { new_edits: false })`.
 *
 * For a doc with two or more live leaves:
 * - `sortedLeafRevs` = the live leaf revs in string order; W = CouchDB's winner among them
 *   (highest generation, then highest rev id); `merged` = the type's rule (rules.ts).
 * - The audit doc `conflict:<docId>:<first 16 hex of md5(sortedLeafRevs)>` is written first,
 *   with revision `1-md5(canonicalJson(body))` (an identical audit written twice is a no-op).
 * - Then the merged body as a child of W with rev `<gen(W)+1>-md5(sortedLeafRevs, merged)`, and
 *   for every other live leaf L a tombstone child `<gen(L)+1>-md5('tombstone', L, sortedLeafRevs)`
 *   whose body is `{ _deleted, type, owner, resolvedBy: <auditId> }` (owner so owner-filtered
 *   replication carries it; `resolvedBy` tells resolver tombstones from user deletions).
 * - Except when the merged body is exactly a leaf's body (`_` fields aside): always so for
 *   immutable types and whole-document LWW, and for field merges where one leaf holds every
 *   newest field. Then that leaf (the highest rev among equal ones) stays current as it is and
 *   every other leaf gets its tombstone: no new revision of the kept body. An event is thereby
 *   never edited (validate_doc_update forbids editing events for non-admins) and a photo keeps
 *   its attachments.
 * Every byte depends only on the leaves, so two replicas resolving the same conflict write the
 * same revisions and replication merges them without a new conflict.
 *
 * Delete vs edit: a deleted leaf that is not a resolver tombstone, next to a live leaf, means
 * someone deleted the doc while someone else edited it. The edit stays current (CouchDB already
 * prefers live leaves); an audit doc `conflict:<docId>:<16 hex of md5('deleted', rev)>` (rule
 * `edit-beats-delete`, needs review) is written once per such deletion.
 */
import { formatHlc, isHlc } from '../clock/hlc';
import type { LocalDb } from '../db/pouch';
import { canonicalJson } from '../domain/stamp';
import { toOutpostError } from '../errors';
import { explainEditBeatsDelete, isoOfHlc } from './explain';
import { md5Hex } from './hash';
import { childRevisions, sortRevs, winningRev, type Revisions } from './revs';
import { applyRule, withoutReserved, type Body, type Leaf, type RuleResult } from './rules';

/** Any PouchDB database: local (memory, idb) or remote (http). */
export type ResolverDb = LocalDb;

/** Writer name and device id stamped on audit docs. */
export const RESOLVER = 'resolver';

/** `updatedAt` of an audit doc whose leaves carry no HLC (e.g. docs typed into Fauxton). */
const EPOCH_HLC = formatHlc({ wall: 0, counter: 0, deviceId: RESOLVER });

/** What resolving one document did. */
export interface ResolveSummary {
  docId: string;
  /** True when a conflict (two or more live leaves) was resolved by this call's writes. */
  resolved: boolean;
  /** The audit doc of the resolved conflict, or null. */
  auditId: string | null;
  /** The revision that is current after resolving (the merged one), or null. */
  keptRev: string | null;
  needsReview: boolean;
  /** Audit docs written for deletions that lost to an edit (rule edit-beats-delete). */
  deletionAuditIds: string[];
}

/** What the resolver writes for one conflict, computed from the leaves alone. */
export interface ResolutionPlan {
  result: RuleResult;
  sortedLeafRevs: string[];
  winnerRev: string;
  /** The revision current after resolving: the merged one, or a leaf kept as it is. */
  keptRev: string;
  audit: Body;
  /** The merged revision to write, or null when a leaf is kept as it is. */
  merged: Body | null;
  tombstones: Body[];
}

type Row = Record<string, unknown>;

const isObj = (v: unknown): v is Row => typeof v === 'object' && v !== null && !Array.isArray(v);

function maxHlc(values: unknown[]): string {
  const hlcs = values.filter(isHlc).sort();
  return hlcs.length > 0 ? hlcs[hlcs.length - 1] : EPOCH_HLC;
}

/** The audit fields naming the time (ISO) and the person its sentence mentions, when it does. */
function explainFields(mentions: RuleResult['mentions']): Body {
  const out: Body = {};
  const at = isoOfHlc(mentions?.at);
  if (at) out.explainAt = at;
  if (mentions?.by) out.explainBy = mentions.by;
  return out;
}

/** `conflict:<docId>:<first 16 hex of md5(sortedLeafRevs)>`. */
export function auditIdFor(docId: string, sortedLeafRevs: readonly string[]): string {
  return `conflict:${docId}:${md5Hex(sortedLeafRevs.join('\n')).slice(0, 16)}`;
}

/** The audit id of a deletion that lost to an edit. */
export function deletionAuditIdFor(docId: string, deletedRev: string): string {
  return `conflict:${docId}:${md5Hex(`deleted\n${deletedRev}`).slice(0, 16)}`;
}

/** Adds the computed revision `1-md5(canonicalJson(body))` to an audit body. */
function withAuditRev(body: Body): Body {
  const hash = md5Hex(canonicalJson(body));
  return { ...body, _rev: `1-${hash}`, _revisions: { start: 1, ids: [hash] } };
}

function revisionsOf(leaf: Leaf): Revisions | undefined {
  const r = leaf._revisions;
  if (!isObj(r) || typeof r.start !== 'number' || !Array.isArray(r.ids)) return undefined;
  return { start: r.start, ids: r.ids.filter((x): x is string => typeof x === 'string') };
}

function ownerOf(body: Body): string | undefined {
  return typeof body.owner === 'string' ? body.owner : undefined;
}

/**
 * Everything the resolver writes for `live` (two or more live leaves of one doc), as a pure
 * function of those leaves.
 */
export function planResolution(live: Leaf[]): ResolutionPlan {
  if (live.length < 2) throw new Error('A conflict needs at least two live leaves');
  const docId = live[0]._id;
  const sortedLeafRevs = sortRevs(live.map((l) => l._rev));
  const winnerRev = winningRev(sortedLeafRevs);
  const winner = live.find((l) => l._rev === winnerRev) as Leaf;
  const result = applyRule(live);
  const revKey = sortedLeafRevs.join('\n');
  const auditId = auditIdFor(docId, sortedLeafRevs);
  const mergedBody: Body = { ...result.merged, _id: docId };
  const kept = withoutReserved(mergedBody);
  const keptJson = canonicalJson(kept);
  const equal = live.filter((l) => canonicalJson(withoutReserved(l)) === keptJson);
  let keptRev: string;
  let merged: Body | null = null;
  if (equal.length > 0) {
    keptRev = winningRev(equal.map((l) => l._rev));
  } else {
    const mergedHash = md5Hex(`${revKey}\n${canonicalJson(mergedBody)}`);
    const mergedRevisions = childRevisions(winnerRev, revisionsOf(winner), mergedHash);
    keptRev = `${mergedRevisions.start}-${mergedHash}`;
    merged = { ...mergedBody, _rev: keptRev, _revisions: mergedRevisions };
  }
  const parentOfKept = merged ? winnerRev : keptRev;
  const audit = withAuditRev({
    _id: auditId,
    type: 'conflict',
    schema: 1,
    docId,
    docType: typeof winner.type === 'string' ? winner.type : '',
    rule: result.rule,
    explain: result.explain,
    ...explainFields(result.mentions),
    needsReview: result.needsReview,
    reviewed: false,
    keptRev,
    leafRevs: sortedLeafRevs,
    losers: result.losers.map((l) => ({ rev: l._rev, body: withoutReserved(l) })),
    kept,
    owner: ownerOf(kept) ?? ownerOf(winner) ?? '',
    updatedAt: maxHlc(live.map((l) => l.updatedAt)),
    updatedBy: RESOLVER,
    deviceId: RESOLVER,
    fieldClock: {},
  });
  const tombstones = live
    .filter((l) => l._rev !== parentOfKept)
    .map((l) => {
      const hash = md5Hex(`tombstone\n${l._rev}\n${revKey}`);
      const revisions = childRevisions(l._rev, revisionsOf(l), hash);
      const body: Body = {
        _id: docId,
        _rev: `${revisions.start}-${hash}`,
        _revisions: revisions,
        _deleted: true,
        resolvedBy: auditId,
      };
      if (l.type !== undefined) body.type = l.type;
      if (l.owner !== undefined) body.owner = l.owner;
      return body;
    });
  return {
    result,
    sortedLeafRevs,
    winnerRev,
    keptRev,
    audit,
    merged,
    tombstones,
  };
}

/**
 * The audit doc for a deletion that lost to an edit: depends on the deleted leaf and on the
 * version that stays current (`current`, live).
 */
export function planDeletionAudit(deleted: Leaf, current: Leaf | Body): Body {
  const docId = deleted._id;
  const kept = withoutReserved(current);
  const by = typeof deleted.updatedBy === 'string' ? deleted.updatedBy : null;
  return withAuditRev({
    _id: deletionAuditIdFor(docId, deleted._rev),
    type: 'conflict',
    schema: 1,
    docId,
    docType: typeof current.type === 'string' ? current.type : '',
    rule: 'edit-beats-delete',
    explain: explainEditBeatsDelete(current.type, by),
    ...explainFields({ by: by ?? undefined }),
    needsReview: true,
    reviewed: false,
    keptRev: typeof current._rev === 'string' ? current._rev : null,
    leafRevs: [deleted._rev],
    losers: [{ rev: deleted._rev, body: withoutReserved(deleted), deleted: true }],
    kept,
    owner: ownerOf(deleted) ?? ownerOf(kept) ?? '',
    updatedAt: isHlc(deleted.updatedAt) ? deleted.updatedAt : maxHlc([current.updatedAt]),
    updatedBy: RESOLVER,
    deviceId: RESOLVER,
    fieldClock: {},
  });
}

/** Every leaf of a document (live and deleted) with its `_revisions`; [] when it is unknown. */
export async function readLeaves(db: ResolverDb, docId: string): Promise<Leaf[]> {
  let rows: unknown;
  try {
    rows = await db.get(docId, { open_revs: 'all', revs: true });
  } catch (err) {
    const e = toOutpostError(err);
    if (e.code === 'not_found') return [];
    throw e;
  }
  if (!Array.isArray(rows)) return [];
  return rows
    .map((r) => (isObj(r) && isObj(r.ok) ? (r.ok as Leaf) : null))
    .filter((l): l is Leaf => l !== null && typeof l._rev === 'string');
}

/** True for a deleted leaf the resolver wrote (not a user's deletion). */
export function isResolverTombstone(leaf: Leaf): boolean {
  return leaf._deleted === true && typeof leaf.resolvedBy === 'string';
}

/** Writes revisions as they are (`new_edits: false`); an already stored revision is a no-op. */
async function writeRevisions(db: ResolverDb, docs: Body[]): Promise<void> {
  if (docs.length === 0) return;
  let res: unknown;
  try {
    res = await db.bulkDocs(docs as PouchDB.Core.PutDocument<Row>[], { new_edits: false });
  } catch (err) {
    throw toOutpostError(err);
  }
  for (const r of Array.isArray(res) ? res : []) {
    if (!isObj(r) || !r.error) continue;
    const e = toOutpostError(r);
    if (e.code !== 'conflict') throw e; // a concurrent identical write is fine
  }
}

async function exists(db: ResolverDb, id: string): Promise<boolean> {
  try {
    await db.get(id);
    return true;
  } catch (err) {
    const e = toOutpostError(err);
    if (e.code === 'not_found') return false;
    throw e;
  }
}

async function resolveNow(db: ResolverDb, docId: string): Promise<ResolveSummary> {
  // Design and local docs are not Outpost documents: never merged.
  const leaves = docId.startsWith('_') ? [] : await readLeaves(db, docId);
  const live = leaves.filter((l) => l._deleted !== true);
  const userDeleted = leaves.filter((l) => l._deleted === true && !isResolverTombstone(l));
  const summary: ResolveSummary = {
    docId,
    resolved: false,
    auditId: null,
    keptRev: null,
    needsReview: false,
    deletionAuditIds: [],
  };
  const plan = live.length >= 2 ? planResolution(live) : null;
  const audits: Body[] = plan && plan.result.merged.type !== 'conflict' ? [plan.audit] : [];
  if (live.length > 0) {
    const current = plan
      ? (plan.merged ?? (live.find((l) => l._rev === plan.keptRev) as Leaf))
      : live[0];
    for (const d of sortRevs(userDeleted.map((l) => l._rev))) {
      const deleted = userDeleted.find((l) => l._rev === d) as Leaf;
      const audit = planDeletionAudit(deleted, current);
      if (await exists(db, audit._id as string)) continue;
      audits.push(audit);
      summary.deletionAuditIds.push(audit._id as string);
      summary.needsReview = true;
    }
  }
  // Audits first: a loser is only removed once its body is stored.
  await writeRevisions(db, audits);
  if (plan) {
    await writeRevisions(db, plan.merged ? [plan.merged, ...plan.tombstones] : plan.tombstones);
    summary.resolved = true;
    summary.auditId = audits.includes(plan.audit) ? (plan.audit._id as string) : null;
    summary.keptRev = plan.keptRev;
    summary.needsReview ||= plan.result.needsReview;
  }
  return summary;
}

// Calls for the same doc on the same db handle run one after the other (they would write the
// same revisions anyway; this only saves the duplicate work).
const running = new WeakMap<object, Map<string, Promise<unknown>>>();

/**
 * Resolves the conflicts of one document (see the module comment). Idempotent, and safe to run
 * concurrently with itself on the same db or on other replicas.
 */
export function resolveConflicts(db: ResolverDb, docId: string): Promise<ResolveSummary> {
  let perDb = running.get(db);
  if (!perDb) running.set(db, (perDb = new Map()));
  const map = perDb;
  const next = (map.get(docId) ?? Promise.resolve()).then(() => resolveNow(db, docId));
  const settled = next.catch(() => undefined);
  map.set(docId, settled);
  void settled.then(() => {
    if (map.get(docId) === settled) map.delete(docId);
  });
  return next;
}

/** A `_changes` row as read with `style: 'all_docs'` and a doc with `conflicts: true`. */
export interface ChangeRow {
  id: string;
  deleted?: boolean;
  changes: { rev: string }[];
  doc?: Row;
}

/**
 * True when a change row may need the resolver: the doc has live conflicts, or it is live with
 * more than one leaf (a deletion may have lost to an edit). Resolved docs keep their resolver
 * tombstones as extra leaves, so `checked` remembers leaf sets already looked at.
 */
export function mayNeedResolving(row: ChangeRow, checked?: Map<string, string>): boolean {
  if (row.id.startsWith('_')) return false;
  const conflicts = row.doc?._conflicts;
  if (Array.isArray(conflicts) && conflicts.length > 0) return true;
  if (row.deleted || row.changes.length < 2) return false;
  return checked?.get(row.id) !== leafKey(row);
}

function leafKey(row: ChangeRow): string {
  return sortRevs(row.changes.map((c) => c.rev)).join(',');
}

/** Totals of a resolveAll run. */
export interface ResolveAllResult {
  /** Documents whose leaves were read. */
  checked: number;
  /** Conflicts resolved (merged + tombstones written). */
  resolved: number;
  /** Of those, and of reported deletions, how many need a person's review. */
  needsReview: number;
  /** Deletions that lost to an edit and were reported. */
  deletions: number;
  summaries: ResolveSummary[];
}

const checkedSets = new WeakMap<object, Map<string, string>>();

/**
 * Finds the documents that need the resolver (all of them, or those in `docIds`: e.g. the
 * docs of a pulled batch) through `_changes` with `style: 'all_docs'` and `conflicts: true`,
 * and resolves each.
 */
export async function resolveAll(
  db: ResolverDb,
  opts: { docIds?: string[] } = {},
): Promise<ResolveAllResult> {
  let checked = checkedSets.get(db);
  if (!checked) checkedSets.set(db, (checked = new Map()));
  const out: ResolveAllResult = {
    checked: 0,
    resolved: 0,
    needsReview: 0,
    deletions: 0,
    summaries: [],
  };
  if (opts.docIds && opts.docIds.length === 0) return out;
  const res = await db.changes({
    style: 'all_docs',
    conflicts: true,
    include_docs: true,
    ...(opts.docIds ? { doc_ids: opts.docIds } : {}),
  });
  const rows = (res.results as unknown as ChangeRow[]).filter((r) => mayNeedResolving(r, checked));
  for (const row of rows) {
    const s = await resolveConflicts(db, row.id);
    out.checked += 1;
    if (s.resolved) out.resolved += 1;
    if (s.needsReview) out.needsReview += 1;
    out.deletions += s.deletionAuditIds.length;
    if (s.resolved || s.deletionAuditIds.length > 0) out.summaries.push(s);
    else checked.set(row.id, leafKey(row));
  }
  return out;
}
