/**
 * Photo commands and queries: store a captured photo (thumbnail + full image as attachments of
 * one immutable `photo` doc), list the photos of a stop or an inspection, read their images.
 */
import { assertValid } from '../domain/validate';
import { newId } from '../domain/ids';
import {
  PHOTO_ATTACHMENTS,
  PHOTO_FULL_TYPES,
  PHOTO_LIMITS,
  PHOTO_THUMB_TYPE,
  bytesOf,
  hasFullImage,
  type PhotoDoc,
} from '../domain/photo';
import { stampNew } from '../domain/stamp';
import { createError, toOutpostError } from '../errors';
import type { Store } from './store';

/** Image bytes as the browser (Blob) or node (Uint8Array/Buffer) has them. */
export type ImageData = Blob | Uint8Array;

/** A compressed photo ready to store. */
export interface PhotoInput {
  /** The stop and/or the inspection the photo belongs to (one of them is required). */
  stopId?: string;
  inspectionId?: string;
  questionId?: string;
  caption?: string;
  /** The full image (at most 1600 px, JPEG or WebP) and its content type. */
  full: ImageData;
  fullType: string;
  /** The thumbnail (about 200 px JPEG). */
  thumb: ImageData;
  width: number;
  height: number;
  /** Made at tap time, so a retried save never stores the photo twice. */
  id?: string;
}

/** A photo as the screens and the day report see it. */
export interface PhotoView {
  doc: PhotoDoc;
  /** False once this device evicted the full image (fetch it from the server when online). */
  fullOnDevice: boolean;
  /** The thumbnail's bytes (JPEG), always on the device. */
  thumbnail(): Promise<Uint8Array>;
}

const sizeOf = (data: ImageData) => (data instanceof Uint8Array ? data.byteLength : data.size);

/** Bytes as PouchDB accepts them on every adapter: Blobs as they are, byte arrays as base64. */
function attachmentData(data: ImageData): Blob | string {
  if (!(data instanceof Uint8Array)) return data;
  let binary = '';
  for (let i = 0; i < data.length; i += 0x8000) {
    binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function imageProblems(input: PhotoInput): Record<string, string> {
  const fields: Record<string, string> = {};
  const mb = (n: number) => `${(n / 1024 / 1024).toLocaleString('en')} MB`;
  if (!(PHOTO_FULL_TYPES as readonly string[]).includes(input.fullType)) {
    fields.full = 'The photo must be a JPEG or WebP image.';
  } else if (sizeOf(input.full) === 0) fields.full = 'The photo is empty.';
  else if (sizeOf(input.full) > PHOTO_LIMITS.maxFullBytes) {
    fields.full = `The photo is too large (at most ${mb(PHOTO_LIMITS.maxFullBytes)}).`;
  }
  if (sizeOf(input.thumb) === 0) fields.thumb = 'The thumbnail is empty.';
  else if (sizeOf(input.thumb) > PHOTO_LIMITS.maxThumbBytes) {
    fields.thumb = `The thumbnail is too large (at most ${PHOTO_LIMITS.maxThumbBytes / 1024} KB).`;
  }
  return fields;
}

/** Builds the photo commands and queries over a store. */
export function createPhotoCommands(store: Store) {
  const { db, ctx } = store;

  async function attachment(id: string, name: string): Promise<Uint8Array> {
    try {
      return await bytesOf((await db.getAttachment(id, name)) as Blob | Uint8Array);
    } catch (err) {
      throw toOutpostError(err);
    }
  }

  function view(doc: PhotoDoc): PhotoView {
    return {
      doc,
      fullOnDevice: hasFullImage(doc),
      thumbnail: () => attachment(doc._id, PHOTO_ATTACHMENTS.thumb),
    };
  }

  return {
    /**
     * Stores a captured photo on the device (validated; the images as attachments). The owner
     * is the stop's owner when the stop is on the device, else the user.
     */
    async addPhoto(input: PhotoInput): Promise<PhotoDoc> {
      const id = input.id ?? newId('photo');
      const existing = await store.find('photo', id);
      if (existing) return existing; // the same tap saved twice
      const stop = input.stopId ? await store.find('stop', input.stopId) : null;
      const fields = {
        stopId: input.stopId,
        inspectionId: input.inspectionId,
        questionId: input.questionId,
        caption: input.caption?.trim() || undefined,
        capturedAt: new Date(ctx.clock.correctedNow()).toISOString(),
        width: input.width,
        height: input.height,
      };
      const owner = stop?.owner ?? ctx.user;
      store.assertWritable('stop', owner);
      const doc = stampNew<PhotoDoc>('photo', id, owner, fields, store.stamp());
      const problems = imageProblems(input);
      if (Object.keys(problems).length > 0) {
        throw createError('invalid', { message: Object.values(problems)[0], fields: problems });
      }
      assertValid(doc);
      const _attachments = {
        [PHOTO_ATTACHMENTS.thumb]: {
          content_type: PHOTO_THUMB_TYPE,
          data: attachmentData(input.thumb),
        },
        [PHOTO_ATTACHMENTS.full]: {
          content_type: input.fullType,
          data: attachmentData(input.full),
        },
      };
      try {
        const res = await db.put({ ...doc, _attachments } as unknown as PouchDB.Core.PutDocument<
          Record<string, unknown>
        >);
        return { ...doc, _rev: res.rev };
      } catch (err) {
        throw toOutpostError(err);
      }
    },

    /** The photos of a stop or an inspection (by id prefix), oldest first, with thumbnail access. */
    async photosOf(parentId: string): Promise<PhotoView[]> {
      const field = parentId.startsWith('inspection:') ? 'inspectionId' : 'stopId';
      const res = await db.allDocs({
        startkey: 'photo:',
        endkey: 'photo:\uffff',
        include_docs: true,
      });
      const photos: PhotoDoc[] = [];
      for (const row of res.rows) {
        const doc = row.doc as unknown as PhotoDoc | undefined;
        if (doc && doc.type === 'photo' && doc[field] === parentId) photos.push(doc);
      }
      photos.sort((a, b) => a.capturedAt.localeCompare(b.capturedAt) || a._id.localeCompare(b._id));
      return photos.map(view);
    },

    /** One photo with thumbnail access; throws not_found. */
    async photo(id: string): Promise<PhotoView> {
      return view(await store.get('photo', id));
    },

    /** The full image's bytes when still on this device, else null (evicted: ask the server). */
    async photoFullImage(id: string): Promise<{ bytes: Uint8Array; type: string } | null> {
      const doc = await store.get('photo', id);
      const stub = (doc._attachments as Record<string, { content_type?: string }> | undefined)?.[
        PHOTO_ATTACHMENTS.full
      ];
      if (!stub) return null;
      return {
        bytes: await attachment(id, PHOTO_ATTACHMENTS.full),
        type: stub.content_type ?? 'image/jpeg',
      };
    },
  };
}
