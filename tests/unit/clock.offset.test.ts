import { describe, expect, it } from 'vitest';
import { OFFSET_RESOLUTION_MS, offsetFromDateHeader } from '$lib/clock/offset';

// Device clock: request sent at 08:00:00.000, answer received 200 ms later (midpoint +100 ms).
const SENT = Date.parse('2026-11-22T08:00:00.000Z');
const RECEIVED = SENT + 200;
const header = (iso: string) => new Date(iso).toUTCString();

describe('offsetFromDateHeader', () => {
  it('measures a server that is ahead of the device', () => {
    // The header's second is read at its middle (+500 ms), the device time at the round trip's middle.
    const offset = offsetFromDateHeader(header('2026-11-22T08:01:00Z'), SENT, RECEIVED);
    expect(offset).toBe(60_000 + 500 - 100);
  });

  it('measures a server that is behind the device', () => {
    const offset = offsetFromDateHeader(header('2026-11-22T07:55:00Z'), SENT, RECEIVED);
    expect(offset).toBe(-300_000 + 500 - 100);
  });

  it('treats offsets within the header resolution as zero', () => {
    expect(offsetFromDateHeader(header('2026-11-22T08:00:00Z'), SENT, RECEIVED)).toBe(0);
    expect(offsetFromDateHeader(header('2026-11-22T08:00:01Z'), SENT, RECEIVED)).toBe(0);
    expect(offsetFromDateHeader(header('2026-11-22T07:59:59Z'), SENT, RECEIVED)).toBe(0);
    expect(OFFSET_RESOLUTION_MS).toBeGreaterThanOrEqual(1000);
  });

  it('reports offsets just beyond the resolution', () => {
    // 08:00:02 read at its middle: 2500 - 100 = 2400 ms ahead.
    expect(offsetFromDateHeader(header('2026-11-22T08:00:02Z'), SENT, RECEIVED)).toBe(2400);
  });

  it('accepts the exact header format CouchDB sends', () => {
    expect(offsetFromDateHeader('Sun, 22 Nov 2026 09:00:00 GMT', SENT, RECEIVED)).toBe(
      3_600_000 + 400,
    );
  });

  it('returns null for a missing or garbage header', () => {
    expect(offsetFromDateHeader(null, SENT, RECEIVED)).toBeNull();
    expect(offsetFromDateHeader(undefined, SENT, RECEIVED)).toBeNull();
    expect(offsetFromDateHeader('', SENT, RECEIVED)).toBeNull();
    expect(offsetFromDateHeader('not a date', SENT, RECEIVED)).toBeNull();
    expect(offsetFromDateHeader('Sun, 99 Foo 2026 25:61:00 GMT', SENT, RECEIVED)).toBeNull();
  });
});
