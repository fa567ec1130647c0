/**
 * Photo documents (DESIGN.md section 4): metadata plus two attachments, `thumb` (about 200 px,
 * JPEG, always on the device) and `full` (at most 1600 px, JPEG or WebP). Immutable once
 * captured. The one local-only revision a device ever writes on top is the eviction of the full
 * image (`evictedAt`), which no push lane sends (src/lib/sync/evict.ts).
 */
import type { BaseDoc } from './types';
import { isIsoTimestamp } from './validate';

/** Attachment names on a photo doc. */
export const PHOTO_ATTACHMENTS = { thumb: 'thumb', full: 'full' } as const;

/** Content types a photo's full image may have; the thumbnail is always JPEG (PDF-embeddable). */
export const PHOTO_FULL_TYPES = ['image/jpeg', 'image/webp'] as const;
export const PHOTO_THUMB_TYPE = 'image/jpeg';

/** Size rules for capture (compression targets) and storage (hard limits). */
export const PHOTO_LIMITS = {
  /** Longest side of the full image after compression, px. */
  fullSide: 1600,
  /** Target size of the full image after compression, bytes. */
  fullTargetBytes: 500 * 1024,
  /** Longest side of the thumbnail, px. */
  thumbSide: 200,
  /** Refused above this: keeps a photo doc far below CouchDB's max_document_size (8 MB). */
  maxFullBytes: 4 * 1024 * 1024,
  maxThumbBytes: 256 * 1024,
  caption: 500,
} as const;

/** A captured photo; the images are its attachments. */
export interface PhotoDoc extends BaseDoc {
  type: 'photo';
  /** The stop it was taken at (set when captured from a stop). */
  stopId?: string;
  /** The inspection it answers (set when captured from an inspection's photo question). */
  inspectionId?: string;
  /** The inspection question it answers, when `inspectionId` is set. */
  questionId?: string;
  caption?: string;
  /** Corrected device time of capture (ISO 8601). */
  capturedAt: string;
  /** Pixel size of the full image. */
  width: number;
  height: number;
  /** Local only: when this device dropped the full image (never on the server). */
  evictedAt?: string;
}

type Obj = Record<string, unknown>;

function reference(errors: Record<string, string>, doc: Obj, field: string, type: string) {
  const v = doc[field];
  if (v === undefined) return;
  if (typeof v !== 'string' || !v.startsWith(`${type}:`) || v.length <= type.length + 1) {
    errors[field] = `${field === 'stopId' ? 'Stop' : 'Inspection'} must reference a ${type}.`;
  }
}

/** Checks a photo body's own fields into `errors` (the common fields are checked by validateDoc). */
export function validatePhoto(doc: Obj, errors: Record<string, string>): void {
  reference(errors, doc, 'stopId', 'stop');
  reference(errors, doc, 'inspectionId', 'inspection');
  if (doc.stopId === undefined && doc.inspectionId === undefined) {
    errors.stopId = 'A photo must belong to a stop or an inspection.';
  }
  if (doc.questionId !== undefined && (typeof doc.questionId !== 'string' || !doc.questionId)) {
    errors.questionId = 'Question id must be text.';
  }
  if (doc.caption !== undefined) {
    if (typeof doc.caption !== 'string') errors.caption = 'Caption must be text.';
    else if (doc.caption.length > PHOTO_LIMITS.caption) {
      errors.caption = `Caption is too long (at most ${PHOTO_LIMITS.caption} characters).`;
    }
  }
  if (!isIsoTimestamp(doc.capturedAt)) {
    errors.capturedAt = 'Capture time must be a valid date and time.';
  }
  for (const side of ['width', 'height'] as const) {
    const v = doc[side];
    if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 20_000) {
      errors[side] = `Photo ${side} must be a whole number of pixels.`;
    }
  }
}

/** True for an id of a photo doc: the media push lane carries these, the critical lane the rest. */
export function isPhotoId(id: string): boolean {
  return id.startsWith('photo:');
}

/**
 * True for this device's local eviction revision of a photo (full image dropped): such a body is
 * never pushed, never counted as pending, and never offered to the server as a change.
 */
export function isEvictionRevision(doc: Obj | null | undefined): boolean {
  return !!doc && doc.type === 'photo' && typeof doc.evictedAt === 'string';
}

/** True when the full image is stored on this device (its attachment stub or data is present). */
export function hasFullImage(doc: Obj): boolean {
  const attachments = doc._attachments as Obj | undefined;
  return !!attachments && PHOTO_ATTACHMENTS.full in attachments;
}

/** Attachment data as PouchDB returns it (Blob in the browser, Buffer in node) as plain bytes. */
export async function bytesOf(data: Blob | Uint8Array): Promise<Uint8Array> {
  return data instanceof Uint8Array ? data : new Uint8Array(await data.arrayBuffer());
}
