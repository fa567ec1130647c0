/**
 * Server clock offset learned from the `Date` header of CouchDB responses (DESIGN.md section 5).
 * The header has one-second resolution, so offsets within that uncertainty are treated as zero.
 */

/** Offsets smaller than this (ms) are within the Date header's resolution and ignored. */
export const OFFSET_RESOLUTION_MS = 1500;

/**
 * Estimates server time minus device time from one response: the header's second is taken at
 * its middle, the device time at the middle of the round trip. Returns null for a bad header.
 */
export function offsetFromDateHeader(
  dateHeader: string | null | undefined,
  sentAt: number,
  receivedAt: number,
): number | null {
  if (!dateHeader) return null;
  const server = Date.parse(dateHeader);
  if (Number.isNaN(server)) return null;
  const estimate = server + 500 - (sentAt + receivedAt) / 2;
  return Math.abs(estimate) < OFFSET_RESOLUTION_MS ? 0 : Math.round(estimate);
}
