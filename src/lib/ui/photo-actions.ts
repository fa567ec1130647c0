/**
 * Photo intents: capture (compress in the worker, then store through the repo, all on the
 * device), and open a photo's full image (from the device, or from the server once this device
 * evicted it). Outcomes in words as toasts; components call these and never touch the repo.
 */
import { remoteDbUrl, type Enrolment } from '$lib/auth/enrolment';
import { compressPhoto } from '$lib/photos/compress-client';
import type { Repo } from '$lib/repo';
import { fetchFullImage } from '$lib/sync/evict';
import { openRemoteDb } from '$lib/sync/remote';
import { toOutpostError, createError } from '$lib/errors';
import type { SaveResult } from './actions';
import type { Toasts } from './toasts.svelte';

/** Where a photo belongs: a stop, an inspection (and its question), or both. */
export interface PhotoTarget {
  stopId?: string;
  inspectionId?: string;
  questionId?: string;
}

/** What the photo intents need besides the repo. */
export interface PhotoActionDeps {
  repo: Repo;
  toasts: Toasts;
  isOnline: () => boolean;
  /** The device's enrolment (null in demo mode: nothing ever left the device). */
  enrolment: () => Enrolment | null;
  /** Where `/couch` is served (location.origin). */
  origin: string;
}

/** An image ready to show: an object URL the caller revokes when done. */
export interface ShownImage {
  url: string;
  revoke(): void;
}

function shown(bytes: Uint8Array, type: string): ShownImage {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  return { url, revoke: () => URL.revokeObjectURL(url) };
}

/** Builds the photo intents. */
export function createPhotoActions(deps: PhotoActionDeps) {
  const { repo, toasts } = deps;
  const offline = () => (deps.isOnline() ? '' : ' (offline)');

  return {
    /**
     * Compresses a picked file on the device and stores it as a photo of `target`; `id` is made
     * at tap time so a retry never stores it twice. Returns null when stored, else the error.
     */
    async capture(target: PhotoTarget, file: Blob, id: string): Promise<SaveResult> {
      try {
        const compressed = await compressPhoto(file);
        await repo.addPhoto({
          ...target,
          id,
          full: compressed.full,
          fullType: compressed.fullType,
          thumb: compressed.thumb,
          width: compressed.width,
          height: compressed.height,
        });
        toasts.info(`Photo saved${offline()}`);
        return null;
      } catch (err) {
        const error = toOutpostError(err);
        toasts.error(error.message);
        return error;
      }
    },

    /** A photo's thumbnail as an object URL (always on the device). */
    async thumbnail(photoId: string): Promise<ShownImage> {
      const view = await repo.photo(photoId);
      return shown(await view.thumbnail(), 'image/jpeg');
    },

    /**
     * The full image as an object URL: from the device, else from the server through the
     * device's credential. Throws an OutpostError in words (offline: where the photo is).
     */
    async fullImage(photoId: string): Promise<ShownImage> {
      const local = await repo.photoFullImage(photoId);
      if (local) return shown(local.bytes, local.type);
      const enrolment = deps.enrolment();
      if (!enrolment)
        throw createError('not_found', { message: 'The full photo is not on this device.' });
      if (!deps.isOnline()) {
        throw createError('network', {
          message: 'The full photo is kept on the server. Connect to the internet to see it.',
        });
      }
      const remote = openRemoteDb(remoteDbUrl(deps.origin, enrolment), enrolment.credentials);
      try {
        const fetched = await fetchFullImage(remote, photoId);
        return shown(fetched.bytes, fetched.type);
      } finally {
        void remote.close().catch(() => undefined);
      }
    },
  };
}

/** The photo intents the photo components dispatch to. */
export type PhotoActions = ReturnType<typeof createPhotoActions>;
