/**
 * What the storage panel says, computed from plain numbers: how full the browser's storage is,
 * whether the browser promised to keep it, how many photos still wait for the server and how much
 * space dropping already-uploaded full images would free. No browser APIs here (see ui/storage.ts).
 */
import { hasFullImage, isPhotoId, PHOTO_ATTACHMENTS } from '../domain/photo';

/** The browser's answer to `navigator.storage.estimate()` and `persisted()`. */
export interface StorageReading {
  /** Bytes this origin uses. */
  usage: number;
  /** Bytes this origin may use. */
  quota: number;
  /** True: kept under pressure; false: may be cleared; null: the browser does not say. */
  persisted: boolean | null;
}

/** One photo doc as far as space goes. */
export interface PhotoSpace {
  id: string;
  /** Size of the full image on this device; null when it is not (or no longer) here. */
  fullBytes: number | null;
  /** True once the server has this photo (its current revision). */
  onServer: boolean;
}

/** Photos waiting for the server, and full images that could be dropped from this device. */
export interface PhotoSpaceSummary {
  waiting: number;
  waitingBytes: number;
  reclaimable: number;
  reclaimableBytes: number;
}

/** The share of the quota in use, 0..1 (0 when the quota is unknown). */
export function usedShare(reading: Pick<StorageReading, 'usage' | 'quota'>): number {
  if (!(reading.quota > 0)) return 0;
  return Math.min(1, Math.max(0, reading.usage / reading.quota));
}

/** The persistence promise in words, as the storage panel shows it. */
export function persistenceWords(persisted: boolean | null): string {
  if (persisted === true) return 'Storage: kept by the browser';
  if (persisted === false) return 'Storage: may be cleared under pressure';
  return 'Storage: the browser does not say whether it keeps it';
}

/** Counts photos not yet on the server and the full images already there that could go. */
export function summarisePhotoSpace(photos: PhotoSpace[]): PhotoSpaceSummary {
  const summary = { waiting: 0, waitingBytes: 0, reclaimable: 0, reclaimableBytes: 0 };
  for (const photo of photos) {
    if (!photo.onServer) {
      summary.waiting += 1;
      summary.waitingBytes += photo.fullBytes ?? 0;
    } else if (photo.fullBytes !== null) {
      summary.reclaimable += 1;
      summary.reclaimableBytes += photo.fullBytes;
    }
  }
  return summary;
}

type Row = Record<string, unknown>;

/** The size of a photo doc's full image from its attachment stub, or null when not on the device. */
export function fullImageBytes(doc: Row): number | null {
  if (!isPhotoId(String(doc._id ?? '')) || !hasFullImage(doc)) return null;
  const stub = (doc._attachments as Record<string, { length?: unknown }>)[PHOTO_ATTACHMENTS.full];
  return typeof stub?.length === 'number' ? stub.length : null;
}
