/**
 * The push lane (local -> remote, live), speaking CouchDB's replication protocol itself:
 * changes since the checkpoint, `_revs_diff`, a local `bulkGet` of the missing revisions with
 * their history, `_bulk_docs` with `new_edits: false`. PouchDB's replicator runs those steps
 * strictly one after another per batch and reached about 0.6 of raw `_bulk_docs` throughput
 * here (bench/sync-throughput.ts); this lane prepares batch k+1 while batch k is being written.
 * Design docs stay local (pouchdb-find keeps its indexes as `_design/` docs). The checkpoint is
 * a `_local` doc on the remote, so a server that lost its data gets everything again.
 */
import type { Backoff } from './backoff';
import type { AnyDb, Lane, LaneHandlers, LaneTuning } from './lane';

type Doc = Record<string, unknown> & { _id: string };

interface Batch {
  docs: Doc[];
  lastSeq: number | string;
  /** Changes read (including ones the server already had). */
  size: number;
}

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

/** Starts the push lane; its checkpoint is a `_local` doc on the remote, keyed by the local db. */
export function startPushLane(
  local: AnyDb,
  remote: AnyDb,
  opts: LaneTuning & { backoff: Backoff; on: LaneHandlers },
): Lane {
  const { backoff, on, batchSize } = opts;
  let cancelled = false;
  let wake: (() => void) | null = null;
  let dirty = true;
  const feed = local.changes({ live: true, since: 'now' }).on('change', () => {
    dirty = true;
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

  /** Ends the round at the next step once cancelled: no request leaves after cancel(). */
  const stillRunning = () => {
    if (cancelled) throw new Error('push lane cancelled');
  };

  async function readCheckpoint(): Promise<number | string> {
    checkpointId ||= `_local/outpost-push-${await localDbId(local)}`;
    stillRunning();
    try {
      const doc = (await remote.get(checkpointId)) as unknown as { since?: number | string };
      return doc.since ?? 0;
    } catch (err) {
      if ((err as { status?: number }).status === 404) return 0;
      throw err;
    }
  }

  async function writeCheckpoint(since: number | string) {
    let rev: string | undefined;
    try {
      rev = (await remote.get(checkpointId))._rev;
    } catch (err) {
      if ((err as { status?: number }).status !== 404) throw err;
    }
    stillRunning();
    await remote.put({ _id: checkpointId, ...(rev ? { _rev: rev } : {}), since });
  }

  async function prepare(since: number | string): Promise<Batch | null> {
    const changes = await local.changes({ since, limit: batchSize, style: 'all_docs' });
    if (changes.results.length === 0) return null;
    stillRunning();
    const diff: Record<string, string[]> = {};
    for (const row of changes.results) {
      if (!row.id.startsWith('_design/')) diff[row.id] = row.changes.map((c) => c.rev);
    }
    const missing = Object.keys(diff).length ? await remote.revsDiff(diff) : {};
    const wanted = Object.entries(missing).flatMap(([id, m]) =>
      (m.missing ?? []).map((rev) => ({ id, rev })),
    );
    const docs: Doc[] = [];
    stillRunning();
    if (wanted.length > 0) {
      const got = await local.bulkGet({ docs: wanted, revs: true, attachments: true });
      for (const result of got.results) {
        for (const d of result.docs) if ('ok' in d) docs.push(d.ok as unknown as Doc);
      }
    }
    return { docs, lastSeq: changes.last_seq, size: changes.results.length };
  }

  /** Pushes everything up to the end of the local changes feed. */
  async function catchUp() {
    let since = await readCheckpoint();
    let pending: Promise<Batch | null> = prepare(since);
    let batches = 0;
    let reportedActive = false;
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
      if (batch.docs.length > 0) {
        const results = await remote.bulkDocs(batch.docs, { new_edits: false });
        for (const r of results) if ('error' in r && r.error) on.denied?.(r);
      }
      stillRunning();
      since = batch.lastSeq;
      backoff.reset();
      on.change?.(batch.docs);
      on.checkpoint?.(since);
      if (++batches % CHECKPOINT_EVERY === 0) await writeCheckpoint(since);
    }
    if (batches > 0) {
      stillRunning();
      await writeCheckpoint(since);
    }
  }

  async function run() {
    on.phase?.('starting');
    while (!cancelled) {
      dirty = false;
      try {
        await catchUp();
        if (cancelled) break;
        on.phase?.('idle');
        await nextChange();
      } catch (err) {
        if (cancelled) break;
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
      feed.cancel();
      wake?.();
      // A request in flight ends with its own timeout; do not wait longer than this for it.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, CANCEL_WAIT_MS)))]);
      clearTimeout(timer);
    },
  };
}
