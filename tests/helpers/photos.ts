/** Photo test data: image-like bytes of a given size and a photo stored through the repo. */
import { createHash } from 'node:crypto';
import type { Repo } from '$lib/repo';
import type { PhotoInput } from '$lib/repo/photos';

/** Deterministic bytes standing in for an encoded image (starts with a JPEG SOI marker). */
export function fakeImage(bytes: number, seed = 1): Uint8Array {
  const out = new Uint8Array(bytes);
  let state = seed;
  for (let i = 0; i < bytes; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out[i] = state & 0xff;
  }
  out.set([0xff, 0xd8, 0xff], 0);
  return out;
}

/** Stores a photo of `fullBytes` on a stop through the repo. */
export function addTestPhoto(
  repo: Repo,
  over: Partial<PhotoInput> & { fullBytes?: number; seed?: number } = {},
) {
  const { fullBytes = 300_000, seed = 1, ...input } = over;
  return repo.addPhoto({
    stopId: 'stop:s1',
    full: fakeImage(fullBytes, seed),
    fullType: 'image/jpeg',
    thumb: fakeImage(9_000, seed + 1),
    width: 1600,
    height: 1200,
    ...input,
  });
}

/** SHA-256 of bytes as hex (to compare what reached the server with what was captured). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
