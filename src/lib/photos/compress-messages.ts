/** The messages between the page and the photo compression worker (compress.worker.ts). */

/** Page -> worker: the picked image file. */
export interface CompressRequest {
  file: Blob;
}

/** Worker -> page: the compressed images, or why it failed. */
export type CompressReply =
  | {
      ok: true;
      /** Full image: longest side <= 1600 px, within 500 KB unless the image cannot get there. */
      full: Blob;
      fullType: string;
      /** Thumbnail JPEG, longest side <= 200 px. */
      thumb: Blob;
      width: number;
      height: number;
      quality: number;
      /** Encodes tried to fit the budget. */
      attempts: number;
      /** Time spent in the worker (decode + encodes), ms. */
      ms: number;
    }
  | { ok: false; message: string };

/** A successful compression. */
export type CompressedPhoto = Extract<CompressReply, { ok: true }>;
