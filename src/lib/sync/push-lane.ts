/**
 * The push lane (local -> remote, live), speaking CouchDB's replication protocol itself:
 * changes since the checkpoint, `_revs_diff`, a local `bulkGet` of the missing revisions with
 * their history, `_bulk_docs` with `new_edits: false`. PouchDB's replicator runs those steps
 * strictly one after another per batch and reached about 0.6 of raw `_bulk_docs` throughput
 * here (bench/sync-throughput.ts); this lane prepares batch k+1 while batch k is being written,
 * keeps two writes in flight, and sends this device's own revisions without asking first.
 * Design docs stay local (pouchdb-find keeps its indexes as `_design/` docs). The checkpoint is
 * a `_local` doc on the remote, so a server that lost its data gets everything again.
 *
 * The same lane runs twice (sync.ts): the critical lane carries every doc but photos, the media
 * lane carries photos only, one per request, each after the critical lane caught up (gate.ts).
 * Neither ever sends a device's eviction revision of a photo (domain/photo.ts).
 */
import { isEvictionRevision } from '../domain/photo';
import type { Backoff } from './backoff';
import type { LaneGate } from './gate';
import type { PulledRevs } from './pulled-revs';
import type { AnyDb, Lane, LaneHandlers, LaneTuning } from './lane';
import type { PhotoUpload } from './status';

type Doc = Record<string, unknown> & { _id: string };

/** One leaf revision of a doc; `doc` when the changes feed already gave all of it. */
interface Leaf {
  id: string;
  rev: string;
  doc?: Doc;
}

/**
 * The doc as sent, from a changes row read with its doc, when that row holds everything: a doc
 * with one leaf, of generation 1 (its history is that one revision) and no attachments. A new
 * doc, the bulk of an offline backlog, then costs no second read; any other leaf is read with
 * its history.
 */
function wholeFromChange(row: { changes: { rev: string }[]; doc?: unknown }): Doc | undefined {
  const doc = row.doc as Doc | undefined;
  const [only, ...more] = row.changes;
  if (!doc || more.length > 0 || doc._rev !== only.rev || doc._attachments) return undefined;
  const [generation, hash] = only.rev.split('-');
  if (generation !== '1' || !hash) return undefined;
  return { ...doc, _revisions: { start: 1, ids: [hash] } };
}

interface Batch {
  docs: Doc[];
  lastSeq: number | string;
  /** Changes read (including ones the server already had). */
  size: number;
}

/**
 * Batches whose `_bulk_docs` may be in flight at once: the server parses batch k+1 while it
 * stores batch k (CouchDB's own replicator runs several workers per job). Disjoint docs, since
 * a changes feed names each doc once. The media lane sends one photo at a time.
 */
const WRITES_IN_FLIGHT = 2;

/** Writes the remote checkpoint at most every this many batches while catching up. */
const CHECKPOINT_EVERY = 10;

const LOCAL_ID_DOC = '_local/outpost-db-id';
const CANCEL_WAIT_MS = 5000;

/**
 * This local database's own id, made once and kept in a `_local` doc: the remote checkpoint is
 * keyed by it, so a wiped and recreated local db (sequences start again at 0) never reuses the
 * old checkpoint and skips its new writes.
 */
export async function localDbId(local: AnyDb): Promise<string> {
  try {
    return ((await local.get(LOCAL_ID_DOC)) as unknown as { id: string }).id;
  } catch {
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    try {
      await local.put({ _id: LOCAL_ID_DOC, id });
      return id;
    } catch {
      return ((await local.get(LOCAL_ID_DOC)) as unknown as { id: string }).id; // a concurrent start won
    }
  }
}

/** What a push lane carries and how it shares the connection with the other one. */
export interface PushLaneOptions extends LaneTuning {
  backoff: Backoff;
  on: LaneHandlers;
  /** Ids this lane pushes (default: every doc but design docs). */
  carries?: (id: string) => boolean;
  /** Checkpoint `_local/outpost-<name>-<local db id>` on the remote (default 'push'). */
  name?: string;
  /** A gate this lane holds closed while it has work, open once caught up or backing off. */
  busy?: LaneGate;
  /**
   * A gate this lane holds closed from its first batch with docs to send until that catch-up
   * ends (done, failed or cancelled): the pull lane waits at it (held-changes.ts).
   */
  sending?: LaneGate;
  /** Revisions just pulled from the server: no need to ask the server about them (pulled-revs.ts). */
  pulled?: PulledRevs;
  /**
   * This device's id. A leaf whose body carries it was written here, so the server can only
   * have it if an earlier push reached it before its checkpoint: such leaves are sent without
   * asking `_revs_diff` first (CouchDB treats a replicated revision it already has as a no-op
   * success). Not used by the media lane, where a needless resend is a whole photo.
   */
  ownDeviceId?: string;
  /**
   * Media mode: each doc is read with its attachments and pushed in a request of its own, once
   * `waitFor` is open, and reported through `upload`.
   */
  media?: { waitFor: LaneGate; upload(event: PhotoUpload & { rev: string }): void };
}

/** Attachment bytes of a doc read with stubs (`length` per attachment). */
function attachmentBytes(doc: Doc): number {
  const attachments = (doc._attachments ?? {}) as Record<string, { length?: number }>;
  return Object.values(attachments).reduce((sum, a) => sum + (a.length ?? 0), 0);
}

/** Starts the push lane; its checkpoint is a `_local` doc on the remote, keyed by the local db. */
export function startPushLane(local: AnyDb, remote: AnyDb, opts: PushLaneOptions): Lane {
  const { backoff, on, batchSize, media, busy, sending } = opts;
  const ownDeviceId = media ? undefined : opts.ownDeviceId;
  const writesInFlight = media ? 1 : WRITES_IN_FLIGHT;
  const carries = (id: string) => !id.startsWith('_design/') && (opts.carries?.(id) ?? true);
  let cancelled = false;
  let wake: (() => void) | null = null;
  let dirty = true;
  let cancelSignal: () => void = () => undefined;
  const cancelledPromise = new Promise<void>((resolve) => (cancelSignal = resolve));
  const feed = local.changes({ live: true, since: 'now' }).on('change', (change) => {
    if (!carries(change.id)) return;
    dirty = true;
    busy?.close();
    wake?.();
  });
  feed.on('error', () => undefined); // ends with cancel(); a broken local feed shows in the next round

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (cancelled) return resolve();
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const nextChange = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
      if (dirty || cancelled) resolve();
    });

  let checkpointId = '';
  /**
   * The remote checkpoint as this run last read or wrote it (null: read it first), and how far
   * this run has got: a catch-up after a local write then costs no checkpoint read.
   */
  let checkpoint: { since: number | string; rev?: string; scanned: number } | null = null;

  /** Ends the round at the next step once cancelled: no request leaves after cancel(). */
  const stillRunning = () => {
    if (cancelled) throw new Error('push lane cancelled');
  };

  async function readCheckpoint(): Promise<number | string> {
    if (checkpoint) return checkpoint.since;
    checkpointId ||= `_local/outpost-${opts.name ?? 'push'}-${await localDbId(local)}`;
    stillRunning();
    try {
      const doc = (await remote.get(checkpointId)) as unknown as { since?: number | string };
      checkpoint = { since: doc.since ?? 0, rev: (doc as { _rev?: string })._rev, scanned: 0 };
    } catch (err) {
      if ((err as { status?: number }).status !== 404) throw err;
      checkpoint = { since: 0, scanned: 0 };
    }
    return checkpoint.since;
  }

  /** Writes the checkpoint with the rev last seen; a lost one (server wiped) restarts from 0. */
  async function writeCheckpoint(since: number | string) {
    const put = (rev?: string) =>
      remote.put({ _id: checkpointId, ...(rev ? { _rev: rev } : {}), since });
    let result: PouchDB.Core.Response;
    try {
      result = await put(checkpoint?.rev);
    } catch (err) {
      if ((err as { status?: number }).status !== 409) throw err;
      stillRunning();
      let rev: string;
      try {
        rev = (await remote.get(checkpointId))._rev;
      } catch (lookup) {
        if ((lookup as { status?: number }).status !== 404) throw lookup;
        checkpoint = null; // the server lost it, and maybe everything we sent: start again
        throw lookup;
      }
      stillRunning();
      result = await put(rev);
    }
    checkpoint = { since, rev: result.rev, scanned: 0 };
  }

  async function prepare(since: number | string): Promise<Batch | null> {
    // The critical lane reads each change with its doc (PouchDB reads it for the row anyway).
    const changes = await local.changes({
      since,
      limit: batchSize,
      style: 'all_docs',
      include_docs: !media,
    });
    if (changes.results.length === 0) return null;
    stillRunning();
    const leaves = changes.results.flatMap((row): Leaf[] => {
      const revs = row.changes.map((c) => c.rev);
      if (!carries(row.id) || opts.pulled?.consume(row.id, revs)) return [];
      const doc = wholeFromChange(row);
      return doc ? [{ id: row.id, rev: revs[0], doc }] : revs.map((rev) => ({ id: row.id, rev }));
    });
    const docs = ownDeviceId ? await sendOwnAskOthers(leaves) : await read(await missingOf(leaves));
    if (media) {
      for (const doc of docs) {
        media.upload({
          id: doc._id,
          rev: doc._rev as string,
          state: 'waiting',
          bytes: attachmentBytes(doc),
        });
      }
    }
    return { docs, lastSeq: changes.last_seq, size: changes.results.length };
  }

  /**
   * Reads leaves with their history; media: stubs only (each photo's data is read just before it
   * is sent). One `get` per leaf: PouchDB's `bulkGet` on a local db reads each doc's revision tree
   * twice (`open_revs`), a third of the push lane's time here. A leaf compacted away meanwhile
   * (404) went with the newer revision.
   */
  async function read(leaves: Leaf[]): Promise<Doc[]> {
    const got = await Promise.all(
      leaves.map(({ id, rev, doc }) =>
        doc
          ? doc
          : local.get(id, { rev, revs: true, attachments: !media }).then(
              (doc) => doc as unknown as Doc,
              (err: unknown) => {
                if ((err as { status?: number }).status === 404) return null;
                throw err;
              },
            ),
      ),
    );
    stillRunning();
    return got.filter((d): d is Doc => d !== null && !isEvictionRevision(d));
  }

  /** The leaves the server says it is missing (`_revs_diff`). */
  async function missingOf(leaves: Leaf[]): Promise<Leaf[]> {
    if (leaves.length === 0) return [];
    const diff: Record<string, string[]> = {};
    for (const { id, rev } of leaves) (diff[id] ??= []).push(rev);
    const missing = await remote.revsDiff(diff);
    stillRunning();
    const asked = new Map(leaves.map((leaf) => [`${leaf.rev} ${leaf.id}`, leaf]));
    return Object.entries(missing).flatMap(([id, m]) =>
      (m.missing ?? []).map((rev) => asked.get(`${rev} ${id}`) ?? { id, rev }),
    );
  }

  /** Reads every leaf; this device's own ones go as they are, the others only if missing. */
  async function sendOwnAskOthers(leaves: Leaf[]): Promise<Doc[]> {
    const docs = await read(leaves);
    const own: Doc[] = [];
    const others: Doc[] = [];
    for (const d of docs) (d.deviceId === ownDeviceId ? own : others).push(d);
    if (others.length === 0) return own;
    const missing = new Set(
      (await missingOf(others.map((d) => ({ id: d._id, rev: d._rev as string })))).map(
        (l) => `${l.rev} ${l.id}`,
      ),
    );
    return [...own, ...others.filter((d) => missing.has(`${d._rev as string} ${d._id}`))];
  }

  /** Writes a batch: all docs in one request, or (media) one doc per request behind the gate. */
  async function write(docs: Doc[]) {
    if (!media) {
      const results = await remote.bulkDocs(docs, { new_edits: false });
      for (const r of results) if ('error' in r && r.error) on.denied?.(r);
      return;
    }
    for (const stub of docs) {
      await Promise.race([media.waitFor.wait(), cancelledPromise]);
      stillRunning();
      const rev = stub._rev as string;
      const upload = { id: stub._id, rev, bytes: attachmentBytes(stub) };
      const got = await local.bulkGet({
        docs: [{ id: stub._id, rev }],
        revs: true,
        attachments: true,
      });
      const found = got.results[0]?.docs[0];
      stillRunning();
      if (!found || !('ok' in found)) continue; // compacted away by a newer revision: sent with it
      media.upload({ ...upload, state: 'uploading' });
      const [result] = await remote.bulkDocs([found.ok as unknown as Doc], { new_edits: false });
      if (result && 'error' in result && result.error) {
        on.denied?.(result);
        media.upload({ ...upload, state: 'refused' });
      } else media.upload({ ...upload, state: 'synced' });
    }
  }

  /** Pushes everything up to the end of the local changes feed. */
  async function catchUp() {
    let since = await readCheckpoint();
    let pending: Promise<Batch | null> = prepare(since);
    let batches = 0;
    let reportedActive = false;
    const writing: { batch: Batch; done: Promise<void> }[] = [];
    /** Waits for the oldest write and confirms its batch: checkpoints never pass an unwritten one. */
    let sent = 0;
    const settleOldest = async () => {
      const { batch, done } = writing.shift() as (typeof writing)[number];
      await done;
      stillRunning();
      since = batch.lastSeq;
      sent += batch.docs.length;
      if (checkpoint) {
        checkpoint.since = since;
        checkpoint.scanned += batch.size;
      }
      backoff.reset();
      on.change?.(batch.docs);
      on.checkpoint?.(since);
      if (++batches % CHECKPOINT_EVERY === 0) await writeCheckpoint(since);
    };
    for (;;) {
      const batch = await pending;
      if (!batch || cancelled) break;
      if (!reportedActive) {
        on.phase?.('active');
        reportedActive = true;
      }
      pending = prepare(batch.lastSeq);
      pending.catch(() => undefined); // awaited next turn; a failed write must not leave it unhandled
      stillRunning();
      if (batch.docs.length > 0) sending?.close();
      const done = batch.docs.length > 0 ? write(batch.docs) : Promise.resolve();
      done.catch(() => undefined); // awaited in order by settleOldest
      writing.push({ batch, done });
      if (writing.length >= writesInFlight) await settleOldest();
    }
    while (writing.length > 0) await settleOldest();
    // Changes that sent nothing (pulled docs) move the remote checkpoint only now and then: a
    // restart just reads them again locally, one `_revs_diff` per batch.
    const unsaved = checkpoint?.scanned ?? 0;
    if (batches > 0 && (sent > 0 || unsaved >= CHECKPOINT_EVERY * batchSize)) {
      stillRunning();
      await writeCheckpoint(since);
    }
  }

  async function run() {
    on.phase?.('starting');
    while (!cancelled) {
      dirty = false;
      busy?.close();
      try {
        // Photos go after everything else: the media lane does not even read the changes feed
        // while the critical lane has work (that read competes with the push for the device).
        if (media) await Promise.race([media.waitFor.wait(), cancelledPromise]);
        if (cancelled) break;
        try {
          await catchUp();
        } finally {
          sending?.open();
        }
        if (cancelled) break;
        if (!dirty) busy?.open();
        on.phase?.('idle');
        await nextChange();
      } catch (err) {
        if (cancelled) break;
        checkpoint = null; // read it again: the server may have lost data meanwhile
        busy?.open(); // a failing critical lane must not hold the photos back forever
        on.phase?.('retrying', err);
        await sleep(backoff.next());
      }
    }
  }

  const done = run();
  return {
    direction: 'push',
    async cancel() {
      if (cancelled) return;
      cancelled = true;
      cancelSignal();
      sending?.open();
      feed.cancel();
      wake?.();
      // A request in flight ends with its own timeout; do not wait longer than this for it.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, CANCEL_WAIT_MS)))]);
      clearTimeout(timer);
    },
  };
}
