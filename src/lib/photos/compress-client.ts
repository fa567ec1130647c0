/**
 * Compresses a picked image in a module Web Worker (compress.worker.ts) so the page never
 * freezes: one worker per photo, ended when it answered.
 */
import { createError } from '../errors';
import type { CompressReply, CompressRequest, CompressedPhoto } from './compress-messages';

/** Longest a compression may take before the worker is ended and the user told. */
const COMPRESS_TIMEOUT_MS = 60_000;

/** Compresses `file` (any image the browser decodes); throws an `invalid` OutpostError in words. */
export function compressPhoto(file: Blob): Promise<CompressedPhoto> {
  if (file.type && !file.type.startsWith('image/')) {
    return Promise.reject(
      createError('invalid', {
        message: 'That file is not a picture.',
        fields: { photo: 'That file is not a picture.' },
      }),
    );
  }
  const worker = new Worker(new URL('./compress.worker.ts', import.meta.url), { type: 'module' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new Promise<CompressedPhoto>((resolve, reject) => {
    const fail = (message: string) =>
      reject(createError('invalid', { message, fields: { photo: message } }));
    timer = setTimeout(() => fail('The picture took too long to prepare.'), COMPRESS_TIMEOUT_MS);
    worker.onmessage = (event: MessageEvent<CompressReply>) => {
      if (event.data.ok) resolve(event.data);
      else fail(`That picture could not be read (${event.data.message}).`);
    };
    worker.onerror = () => fail('That picture could not be read.');
    worker.postMessage({ file } satisfies CompressRequest);
  }).finally(() => {
    clearTimeout(timer);
    worker.terminate();
  });
}
