/**
 * The pure part of photo compression (runs in node tests and in the compression worker): the
 * target pixel size, and the search for an encoding within the byte budget given any encoder.
 */
import { PHOTO_LIMITS } from '../domain/photo';

/** Pixel size of an image. */
export interface Size {
  width: number;
  height: number;
}

/** JPEG qualities tried in order, best first; the first result within the budget is kept. */
export const QUALITY_STEPS = [0.85, 0.78, 0.7, 0.62, 0.54, 0.46] as const;

/** Factors the longest side shrinks by (of the 1600 px target) when even the lowest quality is too big. */
export const SCALE_STEPS = [1, 0.8, 0.64, 0.5] as const;

/** The size of `source` scaled (never up) so its longest side is at most `maxSide`, rounded. */
export function fitWithin(source: Size, maxSide: number): Size {
  const longest = Math.max(source.width, source.height);
  if (longest <= maxSide) return { width: source.width, height: source.height };
  const scale = maxSide / longest;
  return {
    width: Math.max(1, Math.round(source.width * scale)),
    height: Math.max(1, Math.round(source.height * scale)),
  };
}

/** Something encoded: its size in bytes is all the search needs. */
export interface Encoded {
  size: number;
}

/** The encoding kept, with what it took to find it. */
export interface Encoding<T extends Encoded> {
  output: T;
  size: Size;
  quality: number;
  /** Encodes tried (the cost of the search). */
  attempts: number;
  /** False when even the smallest try was over the budget (the smallest is returned then). */
  withinBudget: boolean;
}

/**
 * Encodes `source` at the full-image size with quality stepping down until the output fits in
 * `targetBytes`; when no quality fits, the longest side shrinks step by step. Bounded: at most
 * QUALITY_STEPS x SCALE_STEPS encodes.
 */
export async function encodeWithinBudget<T extends Encoded>(
  source: Size,
  encode: (size: Size, quality: number) => Promise<T>,
  opts: { maxSide?: number; targetBytes?: number } = {},
): Promise<Encoding<T>> {
  const maxSide = opts.maxSide ?? PHOTO_LIMITS.fullSide;
  const targetBytes = opts.targetBytes ?? PHOTO_LIMITS.fullTargetBytes;
  let smallest: Encoding<T> | null = null;
  let attempts = 0;
  for (const scale of SCALE_STEPS) {
    const size = fitWithin(source, Math.max(1, Math.round(maxSide * scale)));
    for (const quality of QUALITY_STEPS) {
      const output = await encode(size, quality);
      attempts += 1;
      if (output.size <= targetBytes) {
        return { output, size, quality, attempts, withinBudget: true };
      }
      if (!smallest || output.size < smallest.output.size) {
        smallest = { output, size, quality, attempts, withinBudget: false };
      }
    }
  }
  return { ...(smallest as Encoding<T>), attempts };
}
