/**
 * Counts the docs this device wrote that the server has not confirmed yet. Incremental: one live
 * local changes feed (no network) adds this device's writes; the push lanes' checkpoints remove
 * what they confirmed, each for the docs it carries (photos: the media lane, the rest: the
 * critical lane), and the media lane confirms each photo as it lands. The confirmed sequences are
 * kept in a `_local` doc so a restart does not count the whole history again. A photo's local
 * eviction revision is never pending: it is never pushed.
 */
import type { LocalDb } from '../db/pouch';
import { isEvictionRevision, isPhotoId } from '../domain/photo';

/**
 * The count's listener hears local writes at most this often: a backlog of thousands, read when
 * sync starts, would otherwise re-derive the sync status (and redraw its badge) once per doc.
 * The first write after a quiet moment and every confirmation are heard at once.
 */
const WRITE_NOTIFY_MS = 50;

/** The `_local` doc holding the push lane's last confirmed local sequence. */
export const PENDING_CHECKPOINT_ID = '_local/outpost-sync-pending';

/** The part of a remote db reconcile needs. */
export type RevsDiffer = Pick<PouchDB.Database, 'revsDiff'>;

/** The push lane that carries a doc. */
export type PushLaneName = 'critical' | 'media';

/** The push lane carrying the doc with this id. */
export const laneOf = (id: string): PushLaneName => (isPhotoId(id) ? 'media' : 'critical');

export interface PendingTracker {
  /** Docs written by this device and not yet confirmed on the server. */
  count(): number;
  /** A push lane checkpointed everything it carries up to this local sequence. */
  confirm(seq: unknown, lane?: PushLaneName): void;
  /** The server took this revision of a doc (the media lane, photo by photo). */
  confirmDoc(id: string, rev: string): void;
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
  opts: {
    deviceId: string;
    remoteKey: string;
    /** Hears the count, and how many of them are photos (the media lane's). */
    onCount: (count: number, photos: number) => void;
  },
): PendingTracker {
  const entries = new Map<string, Entry>();
  const confirmed: Record<PushLaneName, number> = { critical: 0, media: 0 };
  const both = () => Math.min(confirmed.critical, confirmed.media);
  let lastSeen = 0;
  let saved: Record<PushLaneName, number> = { critical: 0, media: 0 };
  let saving: Promise<void> | null = null;
  let feed: PouchDB.Core.Changes<Record<string, unknown>> | null = null;
  let stopped = false;

  /** Counted photos, kept with every change of `entries` so a count costs nothing. */
  let photos = 0;
  let notifyTimer: ReturnType<typeof setTimeout> | undefined;
  let notifiedAt = -Infinity;
  const notify = () => {
    clearTimeout(notifyTimer);
    notifyTimer = undefined;
    // Once nothing is pending the next write is heard at once, as after a quiet moment.
    notifiedAt = entries.size === 0 ? -Infinity : Date.now();
    opts.onCount(entries.size, photos);
  };
  /**
   * A write is heard at once after a quiet moment or when nothing was pending (the first write
   * always shows), then at most every WRITE_NOTIFY_MS.
   */
  const notifySoon = () => {
    if (notifyTimer) return;
    const wait = notifiedAt + WRITE_NOTIFY_MS - Date.now();
    if (wait <= 0) notify();
    else notifyTimer = setTimeout(notify, wait);
  };

  function put(id: string, entry: Entry) {
    if (!entries.has(id) && laneOf(id) === 'media') photos += 1;
    entries.set(id, entry);
  }
  function remove(id: string) {
    if (entries.delete(id) && laneOf(id) === 'media') photos -= 1;
  }

  function drop(lane: PushLaneName, upTo: number) {
    for (const [id, e] of entries) if (e.seq <= upTo && laneOf(id) === lane) remove(id);
  }

  const unsaved = () => saved.critical < confirmed.critical || saved.media < confirmed.media;

  async function save(): Promise<void> {
    while (unsaved() && !stopped) {
      const lanes = { ...confirmed };
      const doc = await local
        .get(PENDING_CHECKPOINT_ID)
        .catch(() => ({ _id: PENDING_CHECKPOINT_ID }));
      // `seq` (both lanes) stays readable by builds that knew one push lane.
      await local.put({
        ...doc,
        seq: Math.min(lanes.critical, lanes.media),
        lanes,
        remote: opts.remoteKey,
      });
      saved = lanes;
    }
  }

  function persist() {
    if (saving) return;
    saving = save()
      .catch(() => undefined) // best effort: a lost checkpoint only recounts until reconcile
      .finally(() => {
        saving = null;
        if (unsaved() && !stopped) persist();
      });
  }

  const ready = (async () => {
    const doc = (await local.get(PENDING_CHECKPOINT_ID).catch(() => null)) as {
      seq?: unknown;
      lanes?: Partial<Record<PushLaneName, unknown>>;
      remote?: unknown;
    } | null;
    if (doc && doc.remote === opts.remoteKey && typeof doc.seq === 'number') {
      for (const lane of ['critical', 'media'] as const) {
        const seq = doc.lanes?.[lane];
        confirmed[lane] = typeof seq === 'number' ? seq : doc.seq;
      }
      saved = { ...confirmed };
      lastSeen = both();
    }
    if (stopped) return;
    feed = local
      .changes({ since: both(), live: true, include_docs: true, return_docs: false })
      .on('change', (change) => {
        const seq = Number(change.seq);
        lastSeen = Math.max(lastSeen, seq);
        if (seq <= confirmed[laneOf(change.id)]) return;
        if (isEvictionRevision(change.doc)) {
          remove(change.id); // a local-only revision: nothing to send
        } else if (change.doc?.deviceId === opts.deviceId) {
          put(change.id, { seq, rev: change.changes[0].rev });
        } else {
          // The winning revision came from elsewhere (pulled): nothing of ours left to count.
          remove(change.id);
        }
        notifySoon();
      });
  })();

  function confirm(seq: unknown, lane: PushLaneName = 'critical') {
    const n = Number(seq);
    if (!Number.isFinite(n) || n <= confirmed[lane]) return;
    confirmed[lane] = n;
    drop(lane, n);
    notify();
    persist();
  }

  return {
    count: () => entries.size,
    ready,
    confirm,
    confirmDoc(id, rev) {
      if (entries.get(id)?.rev !== rev) return;
      remove(id);
      notify();
    },
    async reconcile(remote) {
      const upTo = lastSeen;
      const candidates = [...entries].filter(([, e]) => e.seq <= upTo);
      if (candidates.length === 0) return;
      const diff = await remote.revsDiff(
        Object.fromEntries(candidates.map(([id, e]) => [id, [e.rev]])),
      );
      for (const [id, e] of candidates) {
        if (!diff[id] && entries.get(id) === e) remove(id);
      }
      for (const lane of ['critical', 'media'] as const) {
        if (![...entries].some(([id, e]) => e.seq <= upTo && laneOf(id) === lane)) {
          confirm(upTo, lane);
        }
      }
      notify();
    },
    stop() {
      stopped = true;
      clearTimeout(notifyTimer);
      feed?.cancel();
    },
  };
}
