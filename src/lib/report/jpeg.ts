/** Reads what a PDF needs to embed a JPEG as it is (DCTDecode): pixel size and colour channels. */

/** A JPEG's frame header. */
export interface JpegInfo {
  width: number;
  height: number;
  /** 1 grey, 3 colour (YCbCr/RGB), 4 CMYK. */
  components: number;
}

/** Start-of-frame markers (baseline, progressive, ...); C4, C8 and CC are not frames. */
const isFrameMarker = (m: number) =>
  m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** The frame header of a JPEG, or null when the bytes are not a readable JPEG. */
export function readJpegInfo(bytes: Uint8Array): JpegInfo | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image / scan before any frame
    const length = (bytes[i + 2] << 8) | bytes[i + 3];
    if (isFrameMarker(marker)) {
      const height = (bytes[i + 5] << 8) | bytes[i + 6];
      const width = (bytes[i + 7] << 8) | bytes[i + 8];
      const components = bytes[i + 9];
      if (!width || !height || ![1, 3, 4].includes(components)) return null;
      return { width, height, components };
    }
    if (length < 2) return null;
    i += 2 + length;
  }
  return null;
}
