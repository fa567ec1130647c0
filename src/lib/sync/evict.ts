/**
 * Drops the full image of photos the server has had for a day, keeping the thumbnail: the
 * device's storage holds a season of thumbnails, not a season of photos. The server's copy is
 * fetched on demand (fetchFullImage). Eviction writes a local revision marked `evictedAt` on top
 * of the confirmed one; no push lane ever sends it (push-lane.ts skips it by content, even from
 * checkpoint 0) and the pending count ignores it, so it never reaches the server as an edit or
 * a deletion. Pulls are unaffected: the server's revision is the evicted one's parent, already
 * known here.
 */
import { PHOTO_ATTACHMENTS, bytesOf, hasFullImage, type PhotoDoc } from '../domain/photo';
import { createError, toOutpostError } from '../errors';
import type { AnyDb } from './lane';
import type { RevsDiffer } from './pending';

/** How long a full image stays on the device after the server confirmed it. */
export const EVICT_AFTER_MS = 24 * 60 * 60 * 1000;

/** `_local` doc: when this device first saw each photo confirmed on the server (id -> ms). */
export const CONFIRMED_PHOTOS_ID = '_local/outpost-photos-confirmed';

type ConfirmedDoc = { _id: string; _rev?: string; seen: Record<string, number> };

/** What one eviction pass did. */
export interface EvictionResult {
  /** Photos the server confirmed whose full image is still here. */
  confirmed: number;
  /** Full images dropped by this pass. */
  evicted: string[];
}

/**
 * Records which photos with a full image the server has (one `_revs_diff`) and drops the full
 * image of those confirmed at least `afterMs` ago. Throws when the server cannot be asked.
 */
export async function evictConfirmedPhotos(
  local: AnyDb,
  remote: RevsDiffer,
  opts: { now?: () => number; afterMs?: number } = {},
): Promise<EvictionResult> {
  const now = (opts.now ?? Date.now)();
  const afterMs = opts.afterMs ?? EVICT_AFTER_MS;
  const rows = await local.allDocs({
    startkey: 'photo:',
    endkey: 'photo:\uffff',
    include_docs: true,
  });
  const candidates = new Map<string, PhotoDoc>();
  for (const row of rows.rows) {
    const doc = row.doc as unknown as PhotoDoc | undefined;
    if (doc?.type === 'photo' && hasFullImage(doc) && !doc.evictedAt) candidates.set(doc._id, doc);
  }
  const record = (await local.get(CONFIRMED_PHOTOS_ID).catch(() => null)) as ConfirmedDoc | null;
  const seen: Record<string, number> = {};
  if (candidates.size > 0) {
    const missing = await remote.revsDiff(
      Object.fromEntries([...candidates].map(([id, doc]) => [id, [doc._rev as string]])),
    );
    for (const id of candidates.keys()) {
      if (!missing[id]) seen[id] = record?.seen[id] ?? now;
    }
  }
  const evicted: string[] = [];
  for (const [id, since] of Object.entries(seen)) {
    if (now - since < afterMs) continue;
    const doc = candidates.get(id) as PhotoDoc;
    const attachments = doc._attachments as Record<string, unknown>;
    try {
      await local.put({
        ...doc,
        evictedAt: new Date(now).toISOString(),
        _attachments: { [PHOTO_ATTACHMENTS.thumb]: attachments[PHOTO_ATTACHMENTS.thumb] },
      } as unknown as PouchDB.Core.PutDocument<Record<string, unknown>>);
      evicted.push(id);
      delete seen[id];
    } catch (err) {
      if (toOutpostError(err).code !== 'conflict') throw err; // changed meanwhile: next pass
    }
  }
  const unchanged =
    record && JSON.stringify(record.seen) === JSON.stringify(seen) && evicted.length === 0;
  if (!unchanged && (record || Object.keys(seen).length > 0)) {
    await local
      .put({ _id: CONFIRMED_PHOTOS_ID, ...(record ? { _rev: record._rev } : {}), seen })
      .catch((err: unknown) => {
        if (toOutpostError(err).code !== 'conflict') throw err; // a concurrent pass recorded it
      });
  }
  return { confirmed: Object.keys(seen).length, evicted };
}

/**
 * The full image of a photo from the server (after this device evicted it), through the same
 * remote and credentials as sync. Throws a `network` OutpostError in words when offline.
 */
export async function fetchFullImage(
  remote: AnyDb,
  photoId: string,
): Promise<{ bytes: Uint8Array; type: string }> {
  let data: Blob | Uint8Array;
  try {
    data = (await remote.getAttachment(photoId, PHOTO_ATTACHMENTS.full)) as Blob | Uint8Array;
  } catch (err) {
    const e = toOutpostError(err);
    if (e.code === 'not_found') {
      throw createError('not_found', { message: 'The full photo is not on the server yet.' });
    }
    if (e.code === 'network' || e.status === 0) {
      throw createError('network', {
        message: 'The full photo is kept on the server. Connect to the internet to see it.',
      });
    }
    throw e;
  }
  const type = (data instanceof Uint8Array ? '' : data.type) || 'image/jpeg';
  return { bytes: await bytesOf(data), type };
}
