/**
 * The sync status snapshot the UI shows (DESIGN.md section 7) and the pure function deriving it
 * from the state of the two replication lanes.
 */
import type { ErrorCode } from '../errors';
import type { HealReport } from './consistency';
import { SYNC_MESSAGES } from './messages';

/** What sync is doing, in one word. */
export type SyncState =
  'offline' | 'connecting' | 'syncing' | 'idle' | 'error' | 'unauthorized' | 'stopped';

/** The last problem, in words the UI shows as they are. */
export interface SyncError {
  code: ErrorCode;
  message: string;
  status?: number;
}

/** Where one photo is in the media push lane. */
export interface PhotoUpload {
  id: string;
  state: 'waiting' | 'uploading' | 'synced' | 'refused';
  /** Bytes of its attachments (thumbnail + full image). */
  bytes: number;
}

/** A snapshot of the sync status. */
export interface SyncStatus {
  state: SyncState;
  /** False when the browser says so or the server cannot be reached. */
  online: boolean;
  /** Docs written by this device not yet confirmed on the server. */
  pending: number;
  pushing: boolean;
  pulling: boolean;
  /** ISO time of the last batch written or the last time a lane caught up. */
  lastSuccessAt: string | null;
  lastError: SyncError | null;
  /** Docs pushed / pulled since startSync. */
  docsPushed: number;
  docsPulled: number;
  /** Photos of the media lane's current run: waiting, uploading, then synced (oldest first). */
  photos?: PhotoUpload[];
  /** Of `pending`, the photos (known offline too, before the media lane lists them). */
  photosPending?: number;
  /**
   * Revisions the consistency check (consistency.ts) had to heal since startSync: each one is a
   * revision the lanes missed, i.e. a sync bug. The rep is never shown it; it is reported.
   */
  heals?: number;
  /** What the last heal wrote, or null. */
  lastHeal?: HealReport | null;
}

/** Where one replication lane (pull or push) is. */
export type LanePhase = 'starting' | 'active' | 'idle' | 'retrying' | 'stopped';

/** Everything deriveStatus needs; kept by the controller. */
export interface StatusInput {
  stopped: boolean;
  /** Set when the server refused the credential: sync waits for new credentials. */
  auth: { code: 'unauthorized' | 'forbidden'; status: number } | null;
  browserOnline: boolean;
  push: LanePhase;
  pull: LanePhase;
  /** The media (photo) push lane, when it runs. */
  media?: LanePhase;
  /** The one-shot pull of the team's reference data, when there is one ('active' while it runs). */
  reference?: LanePhase;
  /** The transport error of a lane that is retrying (latest first). */
  laneError: { code: ErrorCode; status?: number } | null;
  /** Docs refused by the server (validate_doc_update) since startSync; they are not retried. */
  denied: number;
  pending: number;
  lastSuccessAt: string | null;
  docsPushed: number;
  docsPulled: number;
  photos?: PhotoUpload[];
  photosPending?: number;
  heals?: number;
  lastHeal?: HealReport | null;
}

function errorOf(input: StatusInput, state: SyncState): SyncError | null {
  const { auth, laneError, pending } = input;
  if (auth) {
    const message =
      auth.code === 'forbidden' ? SYNC_MESSAGES.forbidden() : SYNC_MESSAGES.unauthorized(pending);
    return { code: auth.code, message, status: auth.status };
  }
  if (laneError) {
    const message =
      laneError.code === 'network'
        ? SYNC_MESSAGES.offline(pending)
        : SYNC_MESSAGES.serverError(pending);
    return { ...laneError, message };
  }
  if (state === 'offline') return { code: 'network', message: SYNC_MESSAGES.offline(pending) };
  if (input.denied > 0) return { code: 'forbidden', message: SYNC_MESSAGES.denied(input.denied) };
  return null;
}

/** Derives the status snapshot from the lanes' state (pure). */
export function deriveStatus(input: StatusInput): SyncStatus {
  const { push, pull, laneError } = input;
  const media = input.media ?? 'idle';
  const reference = input.reference ?? 'idle';
  const retrying = push === 'retrying' || pull === 'retrying' || media === 'retrying';
  const networkDown = retrying && laneError?.code === 'network';
  let state: SyncState;
  if (input.stopped) state = 'stopped';
  else if (input.auth) state = 'unauthorized';
  else if (!input.browserOnline || networkDown) state = 'offline';
  else if (retrying) state = 'error';
  else if (push === 'active' || pull === 'active' || media === 'active' || reference === 'active')
    state = 'syncing';
  else if (push === 'starting' || pull === 'starting') state = 'connecting';
  else state = 'idle';
  return {
    state,
    online: input.browserOnline && !networkDown,
    pending: input.pending,
    pushing: !input.stopped && !input.auth && (push === 'active' || media === 'active'),
    pulling: !input.stopped && !input.auth && (pull === 'active' || reference === 'active'),
    lastSuccessAt: input.lastSuccessAt,
    lastError: input.stopped ? null : errorOf(input, state),
    docsPushed: input.docsPushed,
    docsPulled: input.docsPulled,
    photos: input.photos ?? [],
    photosPending: input.photosPending ?? 0,
    heals: input.heals ?? 0,
    lastHeal: input.lastHeal ?? null,
  };
}

const photosKey = (photos: PhotoUpload[] = []) =>
  photos.map((p) => `${p.id}:${p.state}:${p.bytes}`).join(',');

/** True when two snapshots say the same thing. */
export function sameStatus(a: SyncStatus, b: SyncStatus): boolean {
  return (
    a.state === b.state &&
    a.online === b.online &&
    a.pending === b.pending &&
    a.pushing === b.pushing &&
    a.pulling === b.pulling &&
    a.lastSuccessAt === b.lastSuccessAt &&
    a.docsPushed === b.docsPushed &&
    a.docsPulled === b.docsPulled &&
    photosKey(a.photos) === photosKey(b.photos) &&
    a.photosPending === b.photosPending &&
    a.heals === b.heals &&
    a.lastError?.message === b.lastError?.message &&
    a.lastError?.code === b.lastError?.code
  );
}
