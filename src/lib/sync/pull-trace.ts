/**
 * An optional trace of the pull lane for diagnosis (the chaos harness keeps it per device): what
 * each `_changes` read asked and got (since, seq and revisions per change, last_seq), what the
 * device's `_revs_diff` called missing, what `_bulk_get` returned, what was written and what was
 * checkpointed. Without a hook nothing here runs: no wrapper is installed, no event is built.
 */
import type { AnyDb } from './lane';

type Seq = number | string;

/** One step of the pull lane. */
export type PullTraceEvent =
  | { type: 'start'; since: Seq | undefined; startOver: boolean }
  | { type: 'bootstrap'; since: Seq }
  | { type: 'changes'; since: Seq | undefined; live: boolean }
  | { type: 'change'; seq: Seq; id: string; revs: string[]; lastSeq: Seq | null }
  | { type: 'changes-done'; lastSeq: Seq | undefined; results: number | undefined }
  | { type: 'changes-failed'; message: string }
  | { type: 'revs-diff'; missing: Record<string, string[]>; asked: number }
  | { type: 'bulk-get'; asked: string[]; got: string[] }
  | { type: 'written'; docs: string[]; errors: string[] }
  | { type: 'batch'; seq: Seq }
  /** The checkpoint doc written on the device (every write, batch or caught up). */
  | { type: 'checkpoint'; id: string; seq: Seq }
  | { type: 'paused' }
  | { type: 'retry'; error: string }
  | { type: 'active' }
  | { type: 'cancel' };

/** Receives pull lane trace events. */
export type PullTrace = (event: PullTraceEvent) => void;

const message = (err: unknown) => {
  const e = err as { status?: unknown; message?: unknown } | null;
  if (e && typeof e.message === 'string')
    return e.status ? `${String(e.status)} ${e.message}` : e.message;
  return String(err);
};

const at = (id: unknown, rev: unknown) => `${String(id)}@${String(rev)}`;

type Emitter = { on(event: string, listener: (...args: never[]) => void): unknown };
type ChangesFeed = Emitter & Promise<{ last_seq?: Seq; results?: unknown[] }>;
type ChangeRow = { seq: Seq; id: string; changes?: { rev: string }[] };
type BulkGetBody = {
  results: { id: string; docs: Record<string, unknown>[] }[];
};

/** One `_bulk_get` answer entry as `id@rev`, `id missing rev` or `id error ...`. */
function bulkGetEntry(id: string, entry: Record<string, unknown>): string {
  const ok = entry.ok as { _rev?: string; _deleted?: boolean } | undefined;
  if (ok) return `${at(id, ok._rev)}${ok._deleted ? ' deleted' : ''}`;
  if ('missing' in entry) return `${id} missing ${String(entry.missing)}`;
  return `${id} error ${JSON.stringify(entry.error)}`;
}

/** The remote as the pull lane's replicator sees it, tracing `changes` and `bulkGet`. */
export function tracedSource(source: AnyDb, trace: PullTrace): AnyDb {
  const changes = (opts: { since?: Seq; live?: boolean }) => {
    trace({ type: 'changes', since: opts.since, live: !!opts.live });
    const feed = source.changes(opts as PouchDB.Core.ChangesOptions) as unknown as ChangesFeed;
    feed.on('change', (change: ChangeRow, _pending: unknown, lastSeq: Seq | null) =>
      trace({
        type: 'change',
        seq: change.seq,
        id: change.id,
        revs: (change.changes ?? []).map((c) => c.rev),
        lastSeq: lastSeq ?? null,
      }),
    );
    feed.then(
      (res) =>
        trace({ type: 'changes-done', lastSeq: res?.last_seq, results: res?.results?.length }),
      (err: unknown) => trace({ type: 'changes-failed', message: message(err) }),
    );
    return feed;
  };
  const bulkGet = async (opts: PouchDB.Core.BulkGetOptions) => {
    const body = (await source.bulkGet(opts)) as unknown as BulkGetBody;
    trace({
      type: 'bulk-get',
      asked: opts.docs.map((d) => at(d.id, d.rev)),
      got: body.results.flatMap((r) => r.docs.map((d) => bulkGetEntry(r.id, d))),
    });
    return body;
  };
  return new Proxy(source, {
    get: (target, prop) =>
      prop === 'changes'
        ? changes
        : prop === 'bulkGet'
          ? bulkGet
          : Reflect.get(target, prop, target),
  });
}

/** The device db as the pull lane's replicator sees it: `revsDiff`, `bulkDocs` and checkpoints. */
export function tracedTarget(local: AnyDb, trace: PullTrace): AnyDb {
  const revsDiff = async (diff: Record<string, string[]>) => {
    const res = await local.revsDiff(diff);
    const missing: Record<string, string[]> = {};
    for (const [id, r] of Object.entries(res)) missing[id] = r.missing ?? [];
    trace({ type: 'revs-diff', missing, asked: Object.keys(diff).length });
    return res;
  };
  const bulkDocs = async (
    docs: { docs: Record<string, unknown>[] } | Record<string, unknown>[],
    opts?: PouchDB.Core.BulkDocsOptions,
  ) => {
    const list = Array.isArray(docs) ? docs : docs.docs;
    const res = await local.bulkDocs(docs as never, opts ?? {});
    trace({
      type: 'written',
      docs: list.map((d) => at(d._id, d._rev)),
      errors: res
        .filter((r): r is PouchDB.Core.Error => 'error' in r && !!r.error)
        .map((r) => `${String(r.id)} ${String(r.name ?? r.error)}`),
    });
    return res;
  };
  const put = async (doc: Record<string, unknown> & { _id: string }) => {
    const res = await local.put(doc);
    if (doc._id.startsWith('_local/')) {
      trace({ type: 'checkpoint', id: doc._id, seq: doc.last_seq as Seq });
    }
    return res;
  };
  const wrapped: Record<string | symbol, unknown> = { revsDiff, bulkDocs, put };
  return new Proxy(local, {
    get: (target, prop) => (prop in wrapped ? wrapped[prop] : Reflect.get(target, prop, target)),
  });
}

/** Traces the replicator's own steps (batches, checkpoints, pauses) of one replication. */
export function traceReplication(replication: object, trace: PullTrace): void {
  const rep = replication as Emitter;
  rep.on('checkpoint', (event: Record<string, Seq>) => {
    if ('start_next_batch' in event) trace({ type: 'batch', seq: event.start_next_batch });
  });
  rep.on('paused', (err?: unknown) => {
    if (!err) trace({ type: 'paused' });
  });
  rep.on('error', (err: unknown) => trace({ type: 'retry', error: message(err) }));
  rep.on('active', () => trace({ type: 'active' }));
}
