/**
 * The pull lane keeps its checkpoint on the device only (PouchDB's `checkpoint: 'target'`), so
 * a pulled batch costs no checkpoint round trips to the server. A device checkpoint holds only
 * for the server db it was made against: a db deleted and created again (say, restored from an
 * old backup) numbers its changes anew, and the old checkpoint would skip them. So the server
 * db carries a random id in `_local/outpost-origin` (`_local` docs never replicate), the device
 * remembers which id its checkpoint belongs to, and a missing or different id starts the pull
 * from 0: the device then compares revisions locally and fetches only what it lacks.
 */
import type { AnyDb } from './lane';

/** The server db's id, a `_local` doc of the per-user db (any member may write it). */
export const ORIGIN_ID = '_local/outpost-origin';
/** Which origin the device's pull checkpoint belongs to, per remote url. */
export const SEEN_ORIGIN_ID = '_local/outpost-pull-origins';

/** The outcome of the check: where to start, and how to remember the origin afterwards. */
export interface PullOrigin {
  /** True when the device's checkpoint may not be trusted: pull from 0. */
  startOver: boolean;
  /** Records the origin as the checkpoint's (call once the pull started over and caught up). */
  remember(): Promise<void>;
}

const randomId = () =>
  `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}${Math.random().toString(36).slice(2, 10)}`;

const statusOf = (err: unknown) => (err as { status?: number }).status;

/** Reads the server db's origin id, creating it when the db has none (one request, or three). */
async function serverOrigin(remote: AnyDb): Promise<string> {
  try {
    return ((await remote.get(ORIGIN_ID)) as unknown as { id: string }).id;
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
  try {
    const id = randomId();
    await remote.put({ _id: ORIGIN_ID, id });
    return id;
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
    return ((await remote.get(ORIGIN_ID)) as unknown as { id: string }).id; // another device won
  }
}

/** Checks whether the device's pull checkpoint belongs to the server db behind `remote`. */
export async function checkPullOrigin(
  local: AnyDb,
  remote: AnyDb,
  remoteKey: string,
): Promise<PullOrigin> {
  const origin = await serverOrigin(remote);
  const seen = (await local.get(SEEN_ORIGIN_ID).catch(() => null)) as {
    origins?: Record<string, string>;
  } | null;
  const startOver = seen?.origins?.[remoteKey] !== origin;
  return {
    startOver,
    async remember() {
      if (!startOver) return;
      const doc = (await local.get(SEEN_ORIGIN_ID).catch(() => ({ _id: SEEN_ORIGIN_ID }))) as {
        _id: string;
        origins?: Record<string, string>;
      };
      await local.put({ ...doc, origins: { ...doc.origins, [remoteKey]: origin } });
    },
  };
}
