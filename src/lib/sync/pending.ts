/**
 * Counts the docs this device wrote that the server has not confirmed yet. Incremental: one live
 * local changes feed (no network) adds this device's writes; the push lane's checkpoints remove
 * what it confirmed. The confirmed sequence is kept in a `_local` doc so a restart does not count
 * the whole history again.
 */
import type { LocalDb } from '../db/pouch';

/** The `_local` doc holding the push lane's last confirmed local sequence. */
export const PENDING_CHECKPOINT_ID = '_local/outpost-sync-pending';

/** The part of a remote db reconcile needs. */
export type RevsDiffer = Pick<PouchDB.Database, 'revsDiff'>;

export interface PendingTracker {
  /** Docs written by this device and not yet confirmed on the server. */
  count(): number;
  /** The push lane checkpointed everything up to this local sequence. */
  confirm(seq: unknown): void;
  /**
   * Asks the server (one `_revs_diff`) which counted docs it already has and drops those: covers
   * a crash between PouchDB's checkpoint and ours. No request when nothing is counted.
   */
  reconcile(remote: RevsDiffer): Promise<void>;
  /** Resolves once the saved checkpoint is loaded and the feed started. */
  readonly ready: Promise<void>;
  /** Stops the changes feed. */
  stop(): void;
}

interface Entry {
  seq: number;
  rev: string;
}

/** Starts tracking the pending docs of `deviceId` in `local`; `onCount` hears every change. */
export function createPendingTracker(
  local: LocalDb,
  opts: { deviceId: string; remoteKey: string; onCount: (count: number) => void },
): PendingTracker {
  const entries = new Map<string, Entry>();
  let confirmed = 0;
  let lastSeen = 0;
  let saved = 0;
  let saving: Promise<void> | null = null;
  let feed: PouchDB.Core.Changes<Record<string, unknown>> | null = null;
  let stopped = false;

  const notify = () => opts.onCount(entries.size);

  function drop(upTo: number) {
    for (const [id, e] of entries) if (e.seq <= upTo) entries.delete(id);
  }

  async function save(): Promise<void> {
    while (saved < confirmed && !stopped) {
      const seq = confirmed;
      const doc = await local
        .get(PENDING_CHECKPOINT_ID)
        .catch(() => ({ _id: PENDING_CHECKPOINT_ID }));
      await local.put({ ...doc, seq, remote: opts.remoteKey });
      saved = seq;
    }
  }

  function persist() {
    if (saving) return;
    saving = save()
      .catch(() => undefined) // best effort: a lost checkpoint only recounts until reconcile
      .finally(() => {
        saving = null;
        if (saved < confirmed && !stopped) persist();
      });
  }

  const ready = (async () => {
    const doc = (await local.get(PENDING_CHECKPOINT_ID).catch(() => null)) as {
      seq?: unknown;
      remote?: unknown;
    } | null;
    if (doc && doc.remote === opts.remoteKey && typeof doc.seq === 'number') {
      confirmed = saved = lastSeen = doc.seq;
    }
    if (stopped) return;
    feed = local
      .changes({ since: confirmed, live: true, include_docs: true, return_docs: false })
      .on('change', (change) => {
        const seq = Number(change.seq);
        lastSeen = Math.max(lastSeen, seq);
        if (seq <= confirmed) return;
        if (change.doc?.deviceId === opts.deviceId) {
          entries.set(change.id, { seq, rev: change.changes[0].rev });
        } else {
          // The winning revision came from elsewhere (pulled): nothing of ours left to count.
          entries.delete(change.id);
        }
        notify();
      });
  })();

  function confirm(seq: unknown) {
    const n = Number(seq);
    if (!Number.isFinite(n) || n <= confirmed) return;
    confirmed = n;
    drop(n);
    notify();
    persist();
  }

  return {
    count: () => entries.size,
    ready,
    confirm,
    async reconcile(remote) {
      const upTo = lastSeen;
      const candidates = [...entries].filter(([, e]) => e.seq <= upTo);
      if (candidates.length === 0) return;
      const diff = await remote.revsDiff(
        Object.fromEntries(candidates.map(([id, e]) => [id, [e.rev]])),
      );
      for (const [id, e] of candidates) {
        if (!diff[id] && entries.get(id) === e) entries.delete(id);
      }
      if (![...entries.values()].some((e) => e.seq <= upTo)) confirm(upTo);
      notify();
    },
    stop() {
      stopped = true;
      feed?.cancel();
    },
  };
}
