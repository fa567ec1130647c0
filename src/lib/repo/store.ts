/** Reading and writing typed documents on a local db: migration on read, validation on write. */
import { isHlc, type Hlc } from '../clock/hlc';
import type { LocalDb } from '../db/pouch';
import { assertValid } from '../domain/validate';
import { migrate } from '../domain/schema';
import { applyPatch, stampNew, type WriteStamp } from '../domain/stamp';
import { newId } from '../domain/ids';
import { writerFor } from '../domain/ownership';
import { REFERENCE_TYPES } from '../domain/routing';
import type { DocByType, DocType } from '../domain/types';
import { createError, toOutpostError } from '../errors';

/** Who is using the repo: passed in, never global. */
export interface RepoContext {
  /** Signed-in user name. */
  user: string;
  role: 'rep' | 'supervisor';
  /** The device's hybrid logical clock (carries the device id). */
  clock: Hlc;
  /**
   * The team's reference data (products, templates), pulled from the team's reference db into
   * a local db of its own (DESIGN.md section 1). Default: the main db (a demo day, tests).
   */
  reference?: LocalDb;
}

/** How many times a read-modify-write is retried after a 409 from a concurrent local write. */
const MAX_RETRIES = 5;

/** Typed document access shared by the repo's commands and queries. */
export interface Store {
  readonly db: LocalDb;
  readonly ctx: RepoContext;
  /** Where products and templates are read from (`ctx.reference`, else `db`). */
  readonly reference: LocalDb;
  /** A stamp for a write happening now. */
  stamp(): WriteStamp;
  /** Throws `forbidden` (with why) when the server would refuse this user writing for `owner`. */
  assertWritable(type: DocType, owner: unknown): void;
  /** Reads a document of a type, migrated to this build's schema; throws not_found. */
  get<T extends DocType>(type: T, id: string): Promise<DocByType[T]>;
  /** Like get, but resolves null when missing or deleted. */
  find<T extends DocType>(type: T, id: string): Promise<DocByType[T] | null>;
  /** Creates a new document (validated); `id` defaults to a fresh `<type>:<uuid v7>`. */
  create<T extends DocType>(
    type: T,
    fields: Record<string, unknown>,
    opts?: { id?: string; owner?: string },
  ): Promise<DocByType[T]>;
  /**
   * Read-modify-write: `change` gets the current doc and returns a patch (or null for no
   * change). Retried on local 409s. Returns the stored doc.
   */
  update<T extends DocType>(
    type: T,
    id: string,
    change: (current: DocByType[T]) => Record<string, unknown> | null,
    transfer?: { owner: string },
  ): Promise<DocByType[T]>;
}

function checkType<T extends DocType>(
  type: T,
  id: string,
  doc: Record<string, unknown>,
): DocByType[T] {
  if (doc.type !== type) {
    throw createError('not_found', { message: `${id} is not a ${type}.`, status: 404 });
  }
  return migrate(type, doc) as unknown as DocByType[T];
}

/**
 * The refusal for a write the server would refuse (validate_doc_update: a rep writes only their
 * own docs). Caught here, before the write, the person sees why and keeps what they typed; a
 * write accepted on the device and refused on sync would stay on this device only (a check-in
 * tapped just as a supervisor's reassignment of the stop arrived; found by the chaos harness:
 * `npm run chaos -- --seed 11 --profile warehouse-wifi`).
 */
function notYours(type: DocType, owner: unknown) {
  const message =
    type === 'stop'
      ? `This stop was reassigned to ${String(owner)}; it is no longer on your route.`
      : `This ${type} belongs to ${String(owner)}; only they can change it.`;
  return createError('forbidden', { message });
}

/** Creates the typed store over a db for a user. */
export function createStore(db: LocalDb, ctx: RepoContext): Store {
  const mayWrite = writerFor({ name: ctx.user, role: ctx.role });
  const reference = ctx.reference ?? db;
  const dbFor = (type: DocType) => (REFERENCE_TYPES.includes(type) ? reference : db);
  const assertWritable = (type: DocType, owner: unknown) => {
    if (!mayWrite(owner, type)) throw notYours(type, owner);
  };
  const stamp = (): WriteStamp => ({
    user: ctx.user,
    deviceId: ctx.clock.deviceId,
    hlc: ctx.clock.now(),
  });

  async function find<T extends DocType>(type: T, id: string): Promise<DocByType[T] | null> {
    try {
      return checkType(type, id, await dbFor(type).get(id));
    } catch (err) {
      const e = toOutpostError(err);
      if (e.code === 'not_found') return null;
      throw e;
    }
  }

  async function get<T extends DocType>(type: T, id: string): Promise<DocByType[T]> {
    const doc = await find(type, id);
    if (!doc)
      throw createError('not_found', { message: `${type} ${id} was not found on this device.` });
    return doc;
  }

  async function put<T>(doc: T): Promise<T> {
    assertValid(doc);
    try {
      const res = await db.put(doc as unknown as PouchDB.Core.PutDocument<Record<string, unknown>>);
      return { ...doc, _rev: res.rev };
    } catch (err) {
      throw toOutpostError(err);
    }
  }

  return {
    db,
    ctx,
    reference,
    stamp,
    assertWritable,
    get,
    find,
    async create(type, fields, opts = {}) {
      const id = opts.id ?? newId(type);
      // A doc made at a stop is owned by the stop's owner: refused, it is the stop that moved.
      assertWritable(typeof fields.stopId === 'string' ? 'stop' : type, opts.owner ?? ctx.user);
      const doc = stampNew<DocByType[typeof type]>(
        type,
        id,
        opts.owner ?? ctx.user,
        fields,
        stamp(),
      );
      return put(doc);
    },
    async update(type, id, change, transfer) {
      for (let attempt = 0; ; attempt++) {
        const current = await get(type, id);
        assertWritable(type, current.owner);
        const patch = change(current);
        if (!patch) return current;
        // A hybrid logical clock must order an edit after the state it was made from: without
        // this, a device whose clock lags stamped its edit of a pulled doc below the stamps it
        // replaced, so the field clock ran backwards and the older value won the next merge
        // (found by the chaos harness: `npm run chaos -- --seed 100 --profile rural`).
        const seen = [current.updatedAt, ...Object.values(current.fieldClock ?? {})].filter(isHlc);
        if (seen.length > 0) ctx.clock.receive(seen.reduce((a, b) => (a > b ? a : b)));
        const next = applyPatch(current, patch, stamp(), transfer);
        if (!next) return current;
        try {
          return await put(next);
        } catch (err) {
          if (toOutpostError(err).code !== 'conflict' || attempt >= MAX_RETRIES) throw err;
        }
      }
    },
  };
}
