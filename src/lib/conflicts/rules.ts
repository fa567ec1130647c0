/**
 * Conflict rules (DESIGN.md sections 4 and 6): one pure function per document type,
 * `(leaves) => { merged, losers, needsReview, explain, rule }`. `leaves` are the live
 * (non-deleted) conflicting leaf bodies, each with its `_rev`. A rule never looks at anything
 * else (no clock, no device, no replica), so every replica that sees the same leaves computes
 * the same result, whatever order the leaves come in.
 *
 * The building block is per-field last-writer-wins (`mergeFields`):
 * - The fields merged are the union, over all leaves, of the data fields: every field except
 *   `_`-prefixed ones and the bookkeeping fields `type, schema, updatedAt, updatedBy, deviceId,
 *   fieldClock`. `owner` is an ordinary field (clocked by `fieldClock.owner`). Fields this build
 *   does not know are merged like any other: never dropped.
 * - A leaf's claim on a field is clocked by `fieldClock[field]`; a leaf that holds the field but
 *   has no clock for it uses its `updatedAt`. A leaf that has neither the field nor a clock for
 *   it never saw the field (it branched off before the field was written, e.g. by a newer
 *   schema) and makes no claim: treating that as a deletion would strip fields written by newer
 *   builds, which DESIGN.md section 4 forbids. (The repo clocks every field it writes and keeps
 *   the clock of a field it removes, so a real deletion always carries a clock.)
 * - The value comes from the claim with the greatest clock; when that leaf lacks the field, the
 *   field is deleted. HLC strings sort in HLC order with the device id inside the string as the
 *   tie-breaker; identical clock strings are broken by the leaf `_rev` (highest wins).
 * - Merged bookkeeping: `fieldClock` = per-field max over the leaves; `updatedAt` = the max leaf
 *   `updatedAt`; `updatedBy`/`deviceId` from that newest leaf (tie: highest `_rev`); `type` from
 *   that leaf too; `schema` = the max (a newer schema is never lowered).
 *
 * `losers` are the leaves whose data fields (as above, including `owner`) differ from the merged
 * body: the versions whose content is not current any more and goes to the audit doc.
 */
import { statusRank } from '../domain/status';
import { canonicalJson } from '../domain/stamp';
import { STOP_STATUSES, type StopStatus } from '../domain/types';
import {
  explainImmutable,
  explainMerge,
  explainSingleWriter,
  explainUnknown,
  fieldWord,
  listWords,
  timeOfHlc,
  type MergeFacts,
} from './explain';
import { explainOrder } from './explain-order';
import { liveLines, mergeLines, orderTotals, type OrderLine } from '../domain/order';

export type Body = Record<string, unknown>;

/** A leaf revision's body as `open_revs` returns it. */
export interface Leaf extends Body {
  _id: string;
  _rev: string;
}

/** Names of the rules, as stored in audit docs. */
export type RuleName =
  | 'field-lww'
  | 'stop-forward'
  | 'task-done-wins'
  | 'note-texts'
  | 'immutable'
  | 'audit-reviewed-wins'
  | 'single-writer'
  | 'unknown-type'
  | 'edit-beats-delete'
  | 'inspection-submitted-wins'
  | 'order-submitted-wins';

export interface RuleResult {
  /** The merged body: `_id` and fields, no `_rev`/`_revisions`. */
  merged: Body;
  /** Leaves whose data the merged body does not hold, ordered by `_rev`. */
  losers: Leaf[];
  /** True when a person should look at it (the inbox lists it first). */
  needsReview: boolean;
  /** One plain sentence for the inbox (src/lib/conflicts/explain.ts). */
  explain: string;
  /** The time (HLC) and the person (user name) the sentence names, if any. */
  mentions?: { at?: string; by?: string };
  rule: RuleName;
}

export type Rule = (leaves: Leaf[]) => RuleResult;

/** Bookkeeping fields the merge sets itself rather than merging as data. */
const BOOKKEEPING = new Set(['type', 'schema', 'updatedAt', 'updatedBy', 'deviceId', 'fieldClock']);

/** True for a field merged as data (owner included, `_` fields and bookkeeping excluded). */
export function isDataField(field: string): boolean {
  return !field.startsWith('_') && !BOOKKEEPING.has(field);
}

const has = (body: Body, field: string) =>
  Object.prototype.hasOwnProperty.call(body, field) && body[field] !== undefined;

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** The data fields of a body, for comparing versions. */
export function dataOf(body: Body): Body {
  const out: Body = {};
  for (const k of Object.keys(body).sort()) if (isDataField(k) && has(body, k)) out[k] = body[k];
  return out;
}

/** True when two bodies hold the same data (bookkeeping and `_` fields ignored). */
export function sameData(a: Body, b: Body): boolean {
  return canonicalJson(dataOf(a)) === canonicalJson(dataOf(b));
}

/** A body without its `_` fields (what an audit doc stores of a version). */
export function withoutReserved(body: Body): Body {
  const out: Body = {};
  for (const k of Object.keys(body).sort())
    if (!k.startsWith('_') && has(body, k)) out[k] = body[k];
  return out;
}

function fieldClockOf(leaf: Body): Record<string, string> {
  const fc = leaf.fieldClock;
  if (typeof fc !== 'object' || fc === null || Array.isArray(fc)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fc)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The clock of a leaf's claim on a field, or null when the leaf never saw the field. */
export function claimClock(leaf: Leaf, field: string): string | null {
  const clock = fieldClockOf(leaf)[field];
  if (clock !== undefined) return clock;
  return has(leaf, field) ? str(leaf.updatedAt) : null;
}

interface Claim {
  leaf: Leaf;
  clock: string;
}

const claimOrder = (a: Claim, b: Claim) => cmp(a.clock, b.clock) || cmp(a.leaf._rev, b.leaf._rev);

/** The winning claim on a field (greatest clock, then highest `_rev`), or null if none. */
function pickField(leaves: Leaf[], field: string): Claim | null {
  let best: Claim | null = null;
  for (const leaf of leaves) {
    const clock = claimClock(leaf, field);
    if (clock === null) continue;
    const claim = { leaf, clock };
    if (!best || claimOrder(claim, best) > 0) best = claim;
  }
  return best;
}

/** The leaf written last: greatest `updatedAt`, then highest `_rev`. */
export function newestLeaf(leaves: Leaf[]): Leaf {
  return leaves.reduce((best, l) =>
    (cmp(str(l.updatedAt), str(best.updatedAt)) || cmp(l._rev, best._rev)) > 0 ? l : best,
  );
}

/** Leaves in `_rev` order, so no rule depends on the order a replica listed them in. */
function ordered(leaves: Leaf[]): Leaf[] {
  if (leaves.length === 0) throw new Error('A conflict rule needs at least one leaf');
  return [...leaves].sort((a, b) => cmp(a._rev, b._rev));
}

const ABSENT = '\u0000absent';

/** Fields whose values differ between the leaves (a missing field counts as a value). */
function differingFields(leaves: Leaf[], fields: string[]): string[] {
  return fields.filter(
    (f) => new Set(leaves.map((l) => (has(l, f) ? canonicalJson(l[f]) : ABSENT))).size > 1,
  );
}

export interface FieldMerge {
  merged: Body;
  /** The winning claim of each merged field. */
  picks: Map<string, Claim>;
  /** Data fields whose values differed between the leaves. */
  differing: string[];
}

/** Per-field last-writer-wins over the leaves (see the module comment). */
export function mergeFields(input: Leaf[]): FieldMerge {
  const leaves = ordered(input);
  const names = new Set<string>();
  for (const leaf of leaves) {
    for (const k of Object.keys(leaf)) if (isDataField(k) && has(leaf, k)) names.add(k);
    for (const k of Object.keys(fieldClockOf(leaf))) if (isDataField(k)) names.add(k);
  }
  const fields = [...names].sort(cmp);
  const newest = newestLeaf(leaves);
  const merged: Body = { _id: leaves[0]._id };
  if (newest.type !== undefined) merged.type = newest.type;
  const schemas = leaves.map((l) => l.schema).filter((s): s is number => Number.isInteger(s));
  if (schemas.length > 0) merged.schema = Math.max(...schemas);
  const picks = new Map<string, Claim>();
  for (const f of fields) {
    const pick = pickField(leaves, f);
    if (!pick) continue;
    picks.set(f, pick);
    if (has(pick.leaf, f)) merged[f] = pick.leaf[f];
  }
  for (const f of ['updatedAt', 'updatedBy', 'deviceId']) if (has(newest, f)) merged[f] = newest[f];
  const clocks: Record<string, string> = {};
  for (const leaf of leaves) {
    for (const [k, v] of Object.entries(fieldClockOf(leaf))) {
      if (clocks[k] === undefined || v > clocks[k]) clocks[k] = v;
    }
  }
  if (leaves.some((l) => l.fieldClock !== undefined)) {
    merged.fieldClock = Object.fromEntries(
      Object.keys(clocks)
        .sort(cmp)
        .map((k) => [k, clocks[k]]),
    );
  }
  return { merged, picks, differing: differingFields(leaves, fields) };
}

function losersOf(leaves: Leaf[], merged: Body): Leaf[] {
  return ordered(leaves).filter((l) => !sameData(l, merged));
}

function typeOf(leaves: Leaf[]): string {
  return str(newestLeaf(leaves).type);
}

function facts(leaves: Leaf[], m: FieldMerge, losers: Leaf[]): MergeFacts {
  return {
    type: typeOf(leaves),
    leafCount: leaves.length,
    differing: m.differing,
    anyLoser: losers.length > 0,
  };
}

/** account (and the base of the others): per-field LWW; never needs review. */
export const fieldLwwRule: Rule = (leaves) => {
  const m = mergeFields(leaves);
  const losers = losersOf(leaves, m.merged);
  return {
    merged: m.merged,
    losers,
    needsReview: false,
    explain: explainMerge(facts(leaves, m, losers)),
    rule: 'field-lww',
  };
};

/** Stop fields only supervisors plan; merged by per-field LWW like the rest. */
export const PLANNING_FIELDS = ['date', 'seq', 'assignee', 'owner', 'formerAssignees'] as const;

/** Among final statuses, which one a merge keeps: done > skipped > cancelled. */
const FINAL_ORDER: Partial<Record<StopStatus, number>> = { cancelled: 0, skipped: 1, done: 2 };

const isStatus = (s: unknown): s is StopStatus =>
  typeof s === 'string' && (STOP_STATUSES as readonly string[]).includes(s);

/** Order of statuses for the merge: forward rank, then done > skipped > cancelled; unknown lowest. */
function statusOrder(s: unknown): number {
  if (!isStatus(s)) return -1;
  return statusRank(s) * 3 + (FINAL_ORDER[s] ?? 0);
}

/**
 * stop: per-field LWW, except `status`, which is the furthest one any leaf reached
 * (planned < en_route < arrived < final; among finals done > skipped > cancelled). Leaves that
 * reached different final statuses (done here, cancelled there) or hold a status this build does
 * not know need review. Planning fields (date, seq, assignee, owner, formerAssignees) follow
 * per-field LWW: only supervisors change them, so the newest plan is the supervisor's.
 */
export const stopRule: Rule = (leaves) => {
  const m = mergeFields(leaves);
  const statuses = [...new Set(leaves.filter((l) => has(l, 'status')).map((l) => l.status))];
  let status: MergeFacts['status'];
  let needsReview = false;
  if (statuses.length > 1) {
    const best = statuses.reduce((a, b) =>
      statusOrder(b) > statusOrder(a) || (statusOrder(b) === statusOrder(a) && str(b) > str(a))
        ? b
        : a,
    );
    m.merged.status = best;
    const finals = statuses
      .filter((s) => isStatus(s) && statusRank(s) === 3)
      .sort((a, b) => statusOrder(b) - statusOrder(a)) as string[];
    const unknown = statuses.some((s) => !isStatus(s));
    needsReview = finals.length > 1 || unknown;
    status = { kept: str(best), finalClash: finals.length > 1 ? finals : null };
  }
  const losers = losersOf(leaves, m.merged);
  const planning = m.differing.filter((f) => (PLANNING_FIELDS as readonly string[]).includes(f));
  return {
    merged: m.merged,
    losers,
    needsReview,
    explain: explainMerge({ ...facts(leaves, m, losers), planning, status }),
    rule: 'stop-forward',
  };
};

/**
 * task: per-field LWW, but done beats not done: when any leaf is done the merge is done, with
 * `doneAt` from the done leaf whose `done` clock is greatest (then highest `_rev`).
 */
export const taskRule: Rule = (leaves) => {
  const m = mergeFields(leaves);
  const done = ordered(leaves).filter((l) => l.done === true);
  let doneWins = false;
  if (done.length > 0) {
    const src = done.reduce((best, l) =>
      claimOrder(
        { leaf: l, clock: claimClock(l, 'done') ?? '' },
        { leaf: best, clock: claimClock(best, 'done') ?? '' },
      ) > 0
        ? l
        : best,
    );
    m.merged.done = true;
    if (has(src, 'doneAt')) m.merged.doneAt = src.doneAt;
    else delete m.merged.doneAt;
    doneWins = done.length < leaves.length;
  }
  const losers = losersOf(leaves, m.merged);
  return {
    merged: m.merged,
    losers,
    needsReview: false,
    explain: explainMerge({ ...facts(leaves, m, losers), doneWins }),
    rule: 'task-done-wins',
  };
};

/**
 * note: per-field LWW; when the leaves hold different texts it needs review (the audit doc
 * keeps every text, so nothing typed is lost).
 */
export const noteRule: Rule = (leaves) => {
  const m = mergeFields(leaves);
  const losers = losersOf(leaves, m.merged);
  const texts = new Set(leaves.map((l) => (has(l, 'text') ? canonicalJson(l.text) : ABSENT)));
  let text: MergeFacts['text'];
  if (texts.size > 1) {
    const pick = m.picks.get('text');
    text = {
      time: pick ? timeOfHlc(pick.clock) : null,
      by:
        pick && pick.clock === pick.leaf.updatedAt && typeof pick.leaf.updatedBy === 'string'
          ? pick.leaf.updatedBy
          : null,
      others: texts.size - 1,
    };
  }
  return {
    merged: m.merged,
    losers,
    needsReview: texts.size > 1,
    explain: explainMerge({ ...facts(leaves, m, losers), text }),
    ...(text && mentionsOf(m.picks.get('text')?.clock, text.by)),
    rule: 'note-texts',
  };
};

/**
 * event, photo: immutable. Keep the leaf whose canonical body (without `_` fields) sorts first
 * (then lowest `_rev`): a choice no replica can make differently. Needs review only when the
 * leaves' data differ (the same event replayed on two devices is not worth a look).
 */
export const immutableRule: Rule = (leaves) => {
  const keyed = ordered(leaves).map((l) => ({ l, key: canonicalJson(withoutReserved(l)) }));
  keyed.sort((a, b) => cmp(a.key, b.key) || cmp(a.l._rev, b.l._rev));
  const keep = keyed[0].l;
  const merged: Body = { _id: keep._id, ...withoutReserved(keep) };
  const losers = losersOf(leaves, merged);
  return {
    merged,
    losers,
    needsReview: losers.length > 0,
    explain: explainImmutable(typeOf(leaves), leaves.length, losers.length > 0),
    rule: 'immutable',
  };
};

/**
 * conflict (audit docs, changed only by reviewing): per-field LWW, but reviewed beats not
 * reviewed, with `resolution`/`restoredRev` from the reviewed leaf whose `reviewed` clock is
 * greatest. Never needs review itself.
 */
export const auditRule: Rule = (leaves) => {
  const m = mergeFields(leaves);
  const reviewed = ordered(leaves).filter((l) => l.reviewed === true);
  let reviewedWins = false;
  if (reviewed.length > 0) {
    const src = reviewed.reduce((best, l) =>
      claimOrder(
        { leaf: l, clock: claimClock(l, 'reviewed') ?? '' },
        { leaf: best, clock: claimClock(best, 'reviewed') ?? '' },
      ) > 0
        ? l
        : best,
    );
    m.merged.reviewed = true;
    for (const f of ['resolution', 'restoredRev']) {
      if (has(src, f)) m.merged[f] = src[f];
      else delete m.merged[f];
    }
    reviewedWins = reviewed.length < leaves.length;
  }
  const losers = losersOf(leaves, m.merged);
  return {
    merged: m.merged,
    losers,
    needsReview: false,
    explain: explainMerge({ ...facts(leaves, m, losers), reviewedWins }),
    rule: 'audit-reviewed-wins',
  };
};

/** Per-question LWW of draft answers: each answer by its `answerClock` (else the leaf's answers clock). */
function mergeAnswers(leaves: Leaf[]): { answers: Body; answerClock: Record<string, string> } {
  const answersOf = (l: Leaf): Body =>
    typeof l.answers === 'object' && l.answers !== null && !Array.isArray(l.answers)
      ? (l.answers as Body)
      : {};
  const clocksOf = (l: Leaf): Body =>
    typeof l.answerClock === 'object' && l.answerClock !== null ? (l.answerClock as Body) : {};
  const ids = new Set<string>();
  for (const l of leaves)
    for (const k of [...Object.keys(answersOf(l)), ...Object.keys(clocksOf(l))]) ids.add(k);
  const answers: Body = {};
  const answerClock: Record<string, string> = {};
  for (const id of [...ids].sort(cmp)) {
    let best: Claim | null = null;
    for (const leaf of leaves) {
      const own = clocksOf(leaf)[id];
      const clock =
        typeof own === 'string'
          ? own
          : has(answersOf(leaf), id)
            ? claimClock(leaf, 'answers')
            : null;
      if (clock === null) continue;
      if (answerClock[id] === undefined || clock > answerClock[id]) answerClock[id] = clock;
      const claim = { leaf, clock };
      if (!best || claimOrder(claim, best) > 0) best = claim;
    }
    const source = best ? answersOf(best.leaf) : {};
    if (has(source, id)) answers[id] = source[id];
  }
  return { answers, answerClock };
}

/**
 * inspection: submitted beats draft. A submitted leaf is kept whole (the resolver keeps a leaf
 * equal to the merge as it is, so its signature attachment stays). Submitted leaves that differ:
 * the one submitted first (then the smallest canonical body) is kept and it needs review.
 * Drafts only: per-field LWW, with `answers` merged question by question by `answerClock`.
 */
export const inspectionRule: Rule = (leaves) => {
  const submitted = ordered(leaves).filter((l) => l.status === 'submitted');
  if (submitted.length > 0) {
    const keyed = submitted.map((l) => ({ l, key: canonicalJson(withoutReserved(l)) }));
    keyed.sort(
      (a, b) =>
        cmp(str(a.l.submittedAt), str(b.l.submittedAt)) ||
        cmp(a.key, b.key) ||
        cmp(a.l._rev, b.l._rev),
    );
    const keep = keyed[0].l;
    const merged: Body = { _id: keep._id, ...withoutReserved(keep) };
    const losers = losersOf(leaves, merged);
    const clash = submitted.some((l) => !sameData(l, merged));
    return {
      merged,
      losers,
      needsReview: clash,
      explain: clash
        ? 'This inspection was submitted on more than one device with different answers; kept the one submitted first, please check - the other versions are in the inbox.'
        : losers.length > 0
          ? 'Kept the submitted inspection; draft changes made at the same time are in the inbox.'
          : 'The copies of this inspection were the same; kept one.',
      rule: 'inspection-submitted-wins',
    };
  }
  const m = mergeFields(leaves);
  const { answers, answerClock } = mergeAnswers(ordered(leaves));
  m.merged.answers = answers;
  if (Object.keys(answerClock).length > 0) m.merged.answerClock = answerClock;
  else delete m.merged.answerClock;
  const losers = losersOf(leaves, m.merged);
  const others = m.differing.filter((f) => f !== 'answers' && f !== 'answerClock');
  const parts = [
    m.differing.includes('answers')
      ? 'combined the draft answers question by question, keeping the newest answer to each'
      : null,
    others.length > 0 ? `kept the newest ${listWords(others.map(fieldWord))}` : null,
  ].filter((p): p is string => p !== null);
  const text =
    parts.length > 0
      ? parts.join('; ')
      : 'both drafts of this inspection held the same content; kept one';
  return {
    merged: m.merged,
    losers,
    needsReview: false,
    explain: `${text.charAt(0).toUpperCase()}${text.slice(1)}${losers.length > 0 ? ' - the earlier versions are in the inbox' : ''}.`,
    rule: 'inspection-submitted-wins',
  };
};

const linesOf = (l: Leaf): Record<string, OrderLine> =>
  typeof l.lines === 'object' && l.lines !== null && !Array.isArray(l.lines)
    ? (l.lines as Record<string, OrderLine>)
    : {};

/** True when a draft leaf holds a line change the kept submitted leaf does not have. */
function hasUnsubmittedEdits(draft: Leaf, kept: Leaf): boolean {
  const keptLines = linesOf(kept);
  return Object.entries(linesOf(draft)).some(([id, line]) => {
    const k = keptLines[id];
    return !k || (str(line.at) > str(k.at) && canonicalJson(line) !== canonicalJson(k));
  });
}

/**
 * order: submitted beats draft. A submitted leaf is kept whole; submitted leaves that differ:
 * the one submitted first (then the smallest canonical body, then lowest `_rev`) is kept and it
 * needs review, as it does when a draft leaf changed lines the submitted one lacks. Drafts only:
 * per-field LWW, with `lines` merged line by line (per-line clock `at`; removed lines stay as
 * tombstones so a removal is not undone) and `totals` recomputed from the merged lines.
 */
export const orderRule: Rule = (leaves) => {
  const sorted = ordered(leaves);
  const submitted = sorted.filter((l) => l.status === 'submitted');
  if (submitted.length > 0) {
    const keyed = submitted.map((l) => ({ l, key: canonicalJson(withoutReserved(l)) }));
    keyed.sort(
      (a, b) =>
        cmp(str(a.l.submittedAt), str(b.l.submittedAt)) ||
        cmp(a.key, b.key) ||
        cmp(a.l._rev, b.l._rev),
    );
    const keep = keyed[0].l;
    const merged: Body = { _id: keep._id, ...withoutReserved(keep) };
    const losers = losersOf(leaves, merged);
    const submittedClash = submitted.some((l) => !sameData(l, merged));
    const draftEditsDropped = sorted.some(
      (l) => l.status !== 'submitted' && hasUnsubmittedEdits(l, keep),
    );
    return {
      merged,
      losers,
      needsReview: submittedClash || draftEditsDropped,
      explain: explainOrder({
        leafCount: leaves.length,
        submitted: true,
        submittedClash,
        draftEditsDropped,
        lineCount: liveLines(linesOf(keep)).length,
        anyLoser: losers.length > 0,
      }),
      rule: 'order-submitted-wins',
    };
  }
  const m = mergeFields(sorted);
  const lines = mergeLines(sorted.map(linesOf));
  m.merged.lines = lines;
  m.merged.totals = orderTotals(lines);
  const losers = losersOf(leaves, m.merged);
  return {
    merged: m.merged,
    losers,
    needsReview: false,
    explain: explainOrder({
      leafCount: leaves.length,
      submitted: false,
      submittedClash: false,
      draftEditsDropped: false,
      lineCount: liveLines(lines).length,
      anyLoser: losers.length > 0,
    }),
    rule: 'order-submitted-wins',
  };
};

/** The `mentions` of a sentence naming the time `hlc` and the person `by` (when they are). */
function mentionsOf(hlc: unknown, by: string | null): Pick<RuleResult, 'mentions'> {
  const mentions: NonNullable<RuleResult['mentions']> = {};
  if (typeof hlc === 'string' && timeOfHlc(hlc)) mentions.at = hlc;
  if (by) mentions.by = by;
  return Object.keys(mentions).length > 0 ? { mentions } : {};
}

function wholeDocLww(leaves: Leaf[]) {
  const keep = newestLeaf(ordered(leaves));
  const merged: Body = { _id: keep._id, ...withoutReserved(keep) };
  return { keep, merged, losers: losersOf(leaves, merged) };
}

/** device status (one writer): whole-document LWW by `updatedAt`, no review. */
export const singleWriterRule: Rule = (leaves) => {
  const { keep, merged, losers } = wholeDocLww(leaves);
  return {
    merged,
    losers,
    needsReview: false,
    explain: explainSingleWriter(typeOf(leaves), timeOfHlc(keep.updatedAt)),
    ...mentionsOf(keep.updatedAt, null),
    rule: 'single-writer',
  };
};

/**
 * A type this build does not know (or leaves that disagree on the type): whole-document LWW
 * by `updatedAt` (tie: highest `_rev`); needs review whenever a version lost.
 */
export const unknownTypeRule: Rule = (leaves) => {
  const { keep, merged, losers } = wholeDocLww(leaves);
  return {
    merged,
    losers,
    needsReview: losers.length > 0,
    explain: explainUnknown(keep.type, leaves.length, timeOfHlc(keep.updatedAt)),
    ...mentionsOf(keep.updatedAt, null),
    rule: 'unknown-type',
  };
};

/** The rule of each known type; any other type gets `unknownTypeRule`. */
export const RULES: Readonly<Record<string, Rule>> = {
  account: fieldLwwRule,
  stop: stopRule,
  task: taskRule,
  note: noteRule,
  event: immutableRule,
  photo: immutableRule,
  conflict: auditRule,
  device: singleWriterRule,
  template: fieldLwwRule,
  inspection: inspectionRule,
  product: fieldLwwRule,
  order: orderRule,
};

/** The rule for a document type. */
export function ruleFor(type: unknown): Rule {
  return (
    (typeof type === 'string' &&
      Object.prototype.hasOwnProperty.call(RULES, type) &&
      RULES[type]) ||
    unknownTypeRule
  );
}

/** Resolves live leaves with the rule of their type (unknown-type when the leaves disagree). */
export function applyRule(leaves: Leaf[]): RuleResult {
  const sorted = ordered(leaves);
  const types = new Set(sorted.map((l) => l.type));
  return (types.size === 1 ? ruleFor(sorted[0].type) : unknownTypeRule)(sorted);
}
