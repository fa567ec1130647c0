/**
 * Reads the photo docs on the device for the storage panel: each photo's full-image size and
 * whether the server has it (confirmed by the media push lane, recorded by the eviction pass,
 * or the photo came from the server in the first place).
 */
import type { LocalDb } from '../db/pouch';
import { isEvictionRevision } from '../domain/photo';
import { CONFIRMED_PHOTOS_ID } from '../sync/evict';
import { fullImageBytes, type PhotoSpace } from './space';

type Row = Record<string, unknown>;

/**
 * Every photo on the device as far as space goes. `deviceId` tells this device's photos (only
 * those can wait for upload); `synced` lists photo ids the running sync saw land on the server.
 */
export async function loadPhotoSpace(
  db: LocalDb,
  deviceId: string,
  synced: Iterable<string> = [],
): Promise<PhotoSpace[]> {
  const [rows, record] = await Promise.all([
    db.allDocs({ startkey: 'photo:', endkey: 'photo:\uffff', include_docs: true }),
    db.get(CONFIRMED_PHOTOS_ID).catch(() => null) as Promise<{ seen?: Row } | null>,
  ]);
  const confirmed = new Set([...Object.keys(record?.seen ?? {}), ...synced]);
  const photos: PhotoSpace[] = [];
  for (const row of rows.rows) {
    const doc = row.doc as Row | undefined;
    if (!doc || doc.type !== 'photo') continue;
    const onServer = confirmed.has(row.id) || isEvictionRevision(doc) || doc.deviceId !== deviceId;
    photos.push({ id: row.id, fullBytes: fullImageBytes(doc), onServer });
  }
  return photos;
}
