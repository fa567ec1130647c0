import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  QUALITY_STEPS,
  SCALE_STEPS,
  encodeWithinBudget,
  fitWithin,
  type Size,
} from '$lib/photos/compress-plan';
import { SAMPLE_PHOTOS } from '../fixtures/make-photos';

/** Width and height from a JPEG's first start-of-frame marker. */
function jpegSize(bytes: Uint8Array): Size {
  let i = 2;
  while (i < bytes.length) {
    const marker = bytes[i + 1];
    const length = (bytes[i + 2] << 8) | bytes[i + 3];
    if (marker >= 0xc0 && marker <= 0xc3) {
      return {
        height: (bytes[i + 5] << 8) | bytes[i + 6],
        width: (bytes[i + 7] << 8) | bytes[i + 8],
      };
    }
    i += 2 + length;
  }
  throw new Error('no SOF marker');
}

/** An encoder whose output grows with pixels and quality, like JPEG's (bytes per pixel at q=1). */
const modelEncoder =
  (bytesPerPixel: number, log: [Size, number][] = []) =>
  async (size: Size, quality: number) => {
    log.push([size, quality]);
    return { size: Math.round(size.width * size.height * bytesPerPixel * quality) };
  };

describe('fitWithin', () => {
  it('scales the longest side down to the limit, keeping the aspect ratio', () => {
    expect(fitWithin({ width: 4000, height: 3000 }, 1600)).toEqual({ width: 1600, height: 1200 });
    expect(fitWithin({ width: 3000, height: 4000 }, 200)).toEqual({ width: 150, height: 200 });
    expect(fitWithin({ width: 4032, height: 1816 }, 1600)).toEqual({ width: 1600, height: 721 });
  });

  it('never scales up and never reaches zero', () => {
    expect(fitWithin({ width: 800, height: 600 }, 1600)).toEqual({ width: 800, height: 600 });
    expect(fitWithin({ width: 10_000, height: 1 }, 200)).toEqual({ width: 200, height: 1 });
  });
});

describe('encodeWithinBudget', () => {
  it('keeps the best quality within 500 KB at 1600 px', async () => {
    const log: [Size, number][] = [];
    // 1600x1200 at q=1 would be 640 KB: q=0.78 (about 500 KB) is the first within budget.
    const result = await encodeWithinBudget(
      { width: 4000, height: 3000 },
      modelEncoder(1 / 3, log),
    );
    expect(result.size).toEqual({ width: 1600, height: 1200 });
    expect(result.withinBudget).toBe(true);
    expect(result.output.size).toBeLessThanOrEqual(500 * 1024);
    expect(result.quality).toBe(0.78);
    expect(log.map(([, q]) => q)).toEqual([0.85, 0.78]);
    expect(result.attempts).toBe(2);
  });

  it('shrinks the image when even the lowest quality is too big', async () => {
    const result = await encodeWithinBudget({ width: 4000, height: 3000 }, modelEncoder(1));
    expect(result.withinBudget).toBe(true);
    expect(result.output.size).toBeLessThanOrEqual(500 * 1024);
    expect(Math.max(result.size.width, result.size.height)).toBeLessThan(1600);
  });

  it('returns the smallest try when nothing fits, after a bounded number of encodes', async () => {
    const result = await encodeWithinBudget({ width: 4000, height: 3000 }, modelEncoder(100));
    expect(result.withinBudget).toBe(false);
    expect(result.attempts).toBe(QUALITY_STEPS.length * SCALE_STEPS.length);
    expect(result.quality).toBe(QUALITY_STEPS.at(-1));
    expect(result.size).toEqual({ width: 800, height: 600 });
  });
});

describe('the sample photos in tests/fixtures', () => {
  it.each(SAMPLE_PHOTOS.map((p) => p.file))('%s is camera-size and plans to 1600 px', (file) => {
    const bytes = new Uint8Array(readFileSync(new URL(`../fixtures/${file}`, import.meta.url)));
    expect(bytes.byteLength).toBeGreaterThan(2.8 * 1024 * 1024);
    const size = jpegSize(bytes);
    expect(size).toEqual({ width: 4000, height: 3000 });
    expect(fitWithin(size, 1600)).toEqual({ width: 1600, height: 1200 });
    expect(fitWithin(fitWithin(size, 1600), 200)).toEqual({ width: 200, height: 150 });
  });
});
