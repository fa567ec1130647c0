/**
 * The photo compression worker (module Web Worker): decodes the picked image with its EXIF
 * orientation applied, encodes the full image (longest side <= 1600 px, <= 500 KB JPEG by
 * stepping the quality down) and a ~200 px JPEG thumbnail, off the main thread.
 */
/// <reference lib="webworker" />
import { PHOTO_LIMITS, PHOTO_THUMB_TYPE } from '../domain/photo';
import { encodeWithinBudget, fitWithin, type Size } from './compress-plan';
import type { CompressReply, CompressRequest } from './compress-messages';

const FULL_TYPE = 'image/jpeg';
const THUMB_QUALITY = 0.75;

function draw(source: CanvasImageSource, size: Size): OffscreenCanvas {
  const canvas = new OffscreenCanvas(size.width, size.height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('This browser cannot draw images off screen.');
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(source, 0, 0, size.width, size.height);
  return canvas;
}

async function compress(file: Blob): Promise<CompressReply> {
  const started = performance.now();
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  try {
    const source = { width: bitmap.width, height: bitmap.height };
    const canvases = new Map<string, OffscreenCanvas>();
    const encoding = await encodeWithinBudget(source, (size, quality) => {
      const key = `${size.width}x${size.height}`;
      let canvas = canvases.get(key);
      if (!canvas) canvases.set(key, (canvas = draw(bitmap, size)));
      return canvas.convertToBlob({ type: FULL_TYPE, quality });
    });
    const largest = canvases.get(`${encoding.size.width}x${encoding.size.height}`) ?? bitmap;
    const thumbSize = fitWithin(encoding.size, PHOTO_LIMITS.thumbSide);
    const thumb = await draw(largest, thumbSize).convertToBlob({
      type: PHOTO_THUMB_TYPE,
      quality: THUMB_QUALITY,
    });
    return {
      ok: true,
      full: encoding.output,
      fullType: FULL_TYPE,
      thumb,
      width: encoding.size.width,
      height: encoding.size.height,
      quality: encoding.quality,
      attempts: encoding.attempts,
      ms: performance.now() - started,
    };
  } finally {
    bitmap.close();
  }
}

self.onmessage = (event: MessageEvent<CompressRequest>) => {
  compress(event.data.file).then(
    (reply) => self.postMessage(reply),
    (err: unknown) =>
      self.postMessage({
        ok: false,
        message: err instanceof Error ? err.message : String(err),
      } satisfies CompressReply),
  );
};
