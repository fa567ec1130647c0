/**
 * The conflict inbox over audit docs (DESIGN.md section 6): what needs review first, then what
 * was "resolved for you"; "restore" writes a losing version as a normal new edit; "dismiss"
 * marks the item reviewed. Works on any PouchDB database.
 */
import { validateDoc } from '../domain/validate';
import { applyPatch, type WriteStamp } from '../domain/stamp';
import { SCHEMA_VERSION, schemaOf } from '../domain/schema';
import { isDocType, SYSTEM_FIELDS, type ConflictDoc, type ConflictLoser } from '../domain/types';
import { createError, toOutpostError } from '../errors';
import { nounOf } from './explain';
import { isDataField } from './rules';
import type { ResolverDb } from './resolve';

type Body = Record<string, unknown>;

export type InboxSection = 'needs-review' | 'resolved';

export interface InboxItem {
  section: InboxSection;
  audit: ConflictDoc;
}

/** How many times a read-modify-write is retried after a 409 from a concurrent write. */
const MAX_RETRIES = 5;

async function auditDocs(db: ResolverDb): Promise<ConflictDoc[]> {
  const res = await db.allDocs({
    startkey: 'conflict:',
    endkey: 'conflict:\ufff0',
    include_docs: true,
  });
  return res.rows
    .map((r) => ('doc' in r ? (r.doc as Body | undefined) : undefined))
    .filter((d): d is Body => !!d && d.type === 'conflict') as unknown as ConflictDoc[];
}

/**
 * Audit docs not yet reviewed, for the given owners (all when omitted): needs-review first,
 * then resolved-for-you, each newest first (by `updatedAt`, then id). Items where no version
 * lost anything and no review is needed are left out (nothing to show).
 */
export async function inboxItems(
  db: ResolverDb,
  opts: { owners?: string[] } = {},
): Promise<InboxItem[]> {
  const owners = opts.owners ? new Set(opts.owners) : null;
  const docs = (await auditDocs(db)).filter(
    (d) =>
      d.reviewed !== true &&
      (d.needsReview === true || (Array.isArray(d.losers) && d.losers.length > 0)) &&
      (!owners || owners.has(d.owner)),
  );
  const rank = (d: ConflictDoc) => (d.needsReview ? 0 : 1);
  docs.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (a.updatedAt === b.updatedAt ? 0 : a.updatedAt < b.updatedAt ? 1 : -1) ||
      (a._id < b._id ? 1 : a._id > b._id ? -1 : 0),
  );
  return docs.map((audit) => ({
    section: audit.needsReview ? 'needs-review' : 'resolved',
    audit,
  }));
}

/** Count of unreviewed items needing review (the inbox badge). */
export async function needsReviewCount(
  db: ResolverDb,
  opts: { owners?: string[] } = {},
): Promise<number> {
  return (await inboxItems(db, opts)).filter((i) => i.section === 'needs-review').length;
}

async function getAudit(db: ResolverDb, auditId: string): Promise<ConflictDoc> {
  let doc: Body;
  try {
    doc = await db.get(auditId);
  } catch (err) {
    throw toOutpostError(err);
  }
  if (doc.type !== 'conflict') {
    throw createError('not_found', { message: `${auditId} is not a conflict record.` });
  }
  return doc as unknown as ConflictDoc;
}

async function put(db: ResolverDb, doc: Body): Promise<string> {
  try {
    return (await db.put(doc as PouchDB.Core.PutDocument<Body>)).rev;
  } catch (err) {
    throw toOutpostError(err);
  }
}

/** Marks an audit doc reviewed as a normal edit (per-field clocks stamped). */
async function markReviewed(
  db: ResolverDb,
  auditId: string,
  stamp: WriteStamp,
  patch: Body,
): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const audit = await getAudit(db, auditId);
    const next = applyPatch(audit, { reviewed: true, ...patch }, stamp);
    if (!next) return audit._rev as string;
    try {
      return await put(db, next as unknown as Body);
    } catch (err) {
      if (toOutpostError(err).code !== 'conflict' || attempt >= MAX_RETRIES) throw err;
    }
  }
}

/** Dismiss ("keep this"): marks the item reviewed; the current version stays. */
export async function dismiss(db: ResolverDb, auditId: string, stamp: WriteStamp): Promise<string> {
  return markReviewed(db, auditId, stamp, { resolution: 'dismissed' });
}

/** The current body of a document, or null when it is deleted or missing. */
async function current(db: ResolverDb, docId: string): Promise<Body | null> {
  try {
    return await db.get(docId);
  } catch (err) {
    const e = toOutpostError(err);
    if (e.code === 'not_found') return null;
    throw e;
  }
}

const SYSTEM = new Set<string>(SYSTEM_FIELDS);

/**
 * The body that restores `loser` on top of `cur`: every data field of the loser (and every
 * data field of the current version the loser did not have, removed) is written with the new
 * HLC in `fieldClock`, so the restored version wins any later per-field merge against older
 * writes. The owner stays as it is (ownership moves only by an explicit transfer).
 */
export function restoredBody(
  cur: Body | null,
  docId: string,
  loser: ConflictLoser,
  stamp: WriteStamp,
): Body {
  const base: Body = cur ? { ...cur } : { _id: docId };
  const fieldClock: Record<string, string> = {
    ...((cur?.fieldClock as Record<string, string> | undefined) ?? {}),
  };
  const body = loser.body;
  const fields = new Set(
    [...Object.keys(cur ?? {}), ...Object.keys(body)].filter(
      (f) => isDataField(f) && !SYSTEM.has(f),
    ),
  );
  for (const f of fields) {
    if (body[f] === undefined) delete base[f];
    else base[f] = body[f];
    fieldClock[f] = stamp.hlc;
  }
  const type = (cur?.type ?? body.type) as string;
  base.type = type;
  if (base.owner === undefined && typeof body.owner === 'string') base.owner = body.owner;
  const known = isDocType(type) ? SCHEMA_VERSION[type] : 0;
  base.schema = Math.max(schemaOf(cur ?? {}), schemaOf(body), known, 1);
  base.updatedAt = stamp.hlc;
  base.updatedBy = stamp.user;
  base.deviceId = stamp.deviceId;
  base.fieldClock = fieldClock;
  delete base._conflicts;
  return base;
}

/**
 * Restore ("restore other"): writes the losing version `rev` of the audit as a normal new edit
 * on top of the current document (a losing deletion deletes it), then marks the item reviewed.
 * Returns the new revision of the document.
 */
export async function restoreVersion(
  db: ResolverDb,
  auditId: string,
  rev: string,
  stamp: WriteStamp,
): Promise<string> {
  const audit = await getAudit(db, auditId);
  const loser = (audit.losers ?? []).find((l) => l.rev === rev);
  if (!loser) {
    throw createError('not_found', { message: 'That version is not in this inbox item.' });
  }
  let docRev: string | null = null;
  for (let attempt = 0; docRev === null; attempt++) {
    const cur = await current(db, audit.docId);
    if (cur?.status === 'submitted' && (cur.type === 'order' || cur.type === 'inspection')) {
      // A submitted order or inspection is final everywhere (the server refuses changes too).
      const message = `This ${nounOf(cur.type)} was submitted and can no longer be changed.`;
      throw createError('invalid', { message });
    }
    let next: Body;
    if (loser.deleted) {
      if (!cur) break; // already deleted
      next = {
        _id: audit.docId,
        _rev: cur._rev,
        _deleted: true,
        type: cur.type,
        owner: cur.owner,
        updatedAt: stamp.hlc,
        updatedBy: stamp.user,
        deviceId: stamp.deviceId,
      };
    } else {
      next = restoredBody(cur, audit.docId, loser, stamp);
      if (isDocType(next.type)) {
        const fields = validateDoc(next);
        const keys = Object.keys(fields);
        if (keys.length > 0) throw createError('invalid', { message: fields[keys[0]], fields });
      }
    }
    try {
      docRev = await put(db, next);
    } catch (err) {
      if (toOutpostError(err).code !== 'conflict' || attempt >= MAX_RETRIES) throw err;
    }
  }
  await markReviewed(db, auditId, stamp, { resolution: 'restored', restoredRev: rev });
  return docRev ?? '';
}
