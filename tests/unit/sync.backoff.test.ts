import { describe, expect, it } from 'vitest';
import { createBackoff } from '$lib/sync/backoff';

const fixed = (value: number) => () => value;

describe('createBackoff', () => {
  it('starts at baseMs and doubles up to maxMs with no jitter (random = 0.5)', () => {
    const b = createBackoff({ random: fixed(0.5) });
    const delays = Array.from({ length: 8 }, () => b.next(0));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(b.attempts).toBe(8);
  });

  it('jitters each delay by -50% .. +50%', () => {
    expect(createBackoff({ random: fixed(0) }).next()).toBe(500);
    expect(createBackoff({ random: fixed(0.999999) }).next()).toBe(1500);
    const low = createBackoff({ random: fixed(0) });
    const high = createBackoff({ random: fixed(0.999999) });
    for (let i = 0; i < 10; i++) {
      low.next();
      high.next();
    }
    expect(low.next()).toBe(15000);
    expect(high.next()).toBe(45000);
  });

  it('stays within the jitter band with the real Math.random', () => {
    const b = createBackoff();
    for (let i = 0; i < 50; i++) {
      const nominal = Math.min(1000 * 2 ** i, 30000);
      const d = b.next(0);
      expect(d).toBeGreaterThanOrEqual(nominal * 0.5);
      expect(d).toBeLessThanOrEqual(nominal * 1.5);
    }
  });

  it('reset() starts again at ~1 s', () => {
    const b = createBackoff({ random: fixed(0.5) });
    b.next();
    b.next();
    b.next();
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(1000);
  });

  it("ignores PouchDB's previous delay (its own reset happens before a retry really succeeds)", () => {
    const b = createBackoff({ random: fixed(0.5) });
    expect(b.next(0)).toBe(1000);
    expect(b.next(0)).toBe(2000);
    expect(b.next(123456)).toBe(4000);
  });

  it('honours custom base and max, and clamps a random outside [0, 1)', () => {
    const b = createBackoff({ baseMs: 50, maxMs: 120, random: fixed(7) });
    expect([b.next(), b.next(), b.next()]).toEqual([75, 150, 180]);
    expect(createBackoff({ baseMs: 100, random: fixed(-3) }).next()).toBe(50);
  });

  it('never goes below base when maxMs is smaller than baseMs', () => {
    const b = createBackoff({ baseMs: 1000, maxMs: 10, random: fixed(0.5) });
    expect([b.next(), b.next()]).toEqual([1000, 1000]);
  });
});
