import { describe, expect, it } from 'vitest';
import { compareHlc, createHlc, formatHlc, isHlc, parseHlc } from '$lib/clock/hlc';
import { fakeWallClock } from '../helpers/memory-db';

const T = Date.parse('2026-11-22T08:00:00.000Z');

function device(deviceId: string, start: number = T) {
  const wall = fakeWallClock(start);
  return { clock: createHlc({ deviceId, wallClock: wall }), wall };
}

const isIncreasing = (stamps: string[]) =>
  stamps.every((s, i) => i === 0 || compareHlc(stamps[i - 1], s) < 0);

describe('createHlc: local stamps', () => {
  it('uses the wall clock and counter 0 for the first stamp of a millisecond', () => {
    const { clock } = device('dev-a');
    expect(parseHlc(clock.now())).toEqual({ wall: T, counter: 0, deviceId: 'dev-a' });
  });

  it('increments the counter for stamps within the same millisecond', () => {
    const { clock } = device('dev-a');
    const stamps = [clock.now(), clock.now(), clock.now()];
    expect(stamps.map((s) => parseHlc(s).counter)).toEqual([0, 1, 2]);
    expect(stamps.map((s) => parseHlc(s).wall)).toEqual([T, T, T]);
    expect(isIncreasing(stamps)).toBe(true);
  });

  it('resets the counter when the wall clock moves forward', () => {
    const { clock, wall } = device('dev-a');
    clock.now();
    clock.now();
    wall.advance(5);
    expect(parseHlc(clock.now())).toEqual({ wall: T + 5, counter: 0, deviceId: 'dev-a' });
  });

  it('stays monotonic when the wall clock jumps backwards', () => {
    const { clock, wall } = device('dev-a');
    const before = clock.now();
    wall.advance(-60 * 60_000); // the user sets the device clock back an hour
    const after = [clock.now(), clock.now()];
    expect(isIncreasing([before, ...after])).toBe(true);
    // Logical time holds at the last wall value and only the counter moves.
    expect(after.map((s) => parseHlc(s).wall)).toEqual([T, T]);
    expect(after.map((s) => parseHlc(s).counter)).toEqual([1, 2]);
    // Once the wall clock passes the old value again, it takes over.
    wall.set(T + 10);
    expect(parseHlc(clock.now())).toEqual({ wall: T + 10, counter: 0, deviceId: 'dev-a' });
  });

  it('borrows the next millisecond when the counter overflows', () => {
    const { clock, wall } = device('dev-a');
    let last = '';
    for (let i = 0; i < 1_000_000; i++) last = clock.now();
    expect(parseHlc(last)).toEqual({ wall: T, counter: 999_999, deviceId: 'dev-a' });
    const overflow = clock.now();
    expect(parseHlc(overflow)).toEqual({ wall: T + 1, counter: 0, deviceId: 'dev-a' });
    expect(compareHlc(last, overflow)).toBeLessThan(0);
    // The wall clock catching up with the borrowed millisecond keeps counting from there.
    wall.set(T + 1);
    const next = clock.now();
    expect(parseHlc(next)).toEqual({ wall: T + 1, counter: 1, deviceId: 'dev-a' });
  });

  it('borrows the next millisecond when a received counter is at its maximum', () => {
    const { clock } = device('dev-a');
    clock.now();
    const remote = formatHlc({ wall: T, counter: 999_999, deviceId: 'dev-b' });
    clock.receive(remote);
    const next = clock.now();
    expect(compareHlc(next, remote)).toBeGreaterThan(0);
    expect(parseHlc(next).wall).toBe(T + 1);
  });

  it('rejects a device id that is empty or has spaces', () => {
    expect(() => createHlc({ deviceId: '' })).toThrow(/device id/);
    expect(() => createHlc({ deviceId: 'my phone' })).toThrow(/device id/);
  });

  it('exposes its device id', () => {
    expect(device('tablet-7').clock.deviceId).toBe('tablet-7');
  });
});

describe('createHlc: receive', () => {
  it('orders later local stamps after a remote stamp from a device whose clock is ahead', () => {
    const a = device('dev-a', T);
    const b = device('dev-b', T + 5 * 60_000); // five minutes ahead
    const remote = b.clock.now();
    expect(compareHlc(a.clock.now(), remote)).toBeLessThan(0); // before receiving: earlier

    a.clock.receive(remote);
    const local = a.clock.now();
    expect(compareHlc(local, remote)).toBeGreaterThan(0);
    expect(parseHlc(local).wall).toBe(T + 5 * 60_000);
    expect(parseHlc(local).deviceId).toBe('dev-a');

    // Still ahead after the local wall clock moves on a little.
    a.wall.advance(1000);
    expect(compareHlc(a.clock.now(), remote)).toBeGreaterThan(0);
  });

  it('ignores a remote stamp that is behind the local clock, staying monotonic', () => {
    const a = device('dev-a', T);
    const before = a.clock.now();
    a.clock.receive(formatHlc({ wall: T - 60_000, counter: 42, deviceId: 'dev-b' }));
    const after = a.clock.now();
    expect(compareHlc(before, after)).toBeLessThan(0);
    expect(parseHlc(after).wall).toBe(T);
  });

  it('takes the larger counter when local and remote share the same wall time', () => {
    const a = device('dev-a', T);
    a.clock.now(); // counter 0 at T
    a.clock.receive(formatHlc({ wall: T, counter: 7, deviceId: 'dev-b' }));
    expect(parseHlc(a.clock.now())).toEqual({ wall: T, counter: 9, deviceId: 'dev-a' });
  });

  it('throws on a malformed remote stamp and keeps working', () => {
    const a = device('dev-a', T);
    const before = a.clock.now();
    expect(() => a.clock.receive('yesterday')).toThrow(/Not an HLC/);
    expect(compareHlc(a.clock.now(), before)).toBeGreaterThan(0);
  });
});

describe('compareHlc: ordering across devices', () => {
  it('orders by wall time first, whatever the device ids', () => {
    const early = formatHlc({ wall: T, counter: 5, deviceId: 'zzz' });
    const late = formatHlc({ wall: T + 1, counter: 0, deviceId: 'aaa' });
    expect(compareHlc(early, late)).toBeLessThan(0);
    expect(compareHlc(late, early)).toBeGreaterThan(0);
  });

  it('orders by counter within the same millisecond, whatever the device ids', () => {
    const first = formatHlc({ wall: T, counter: 1, deviceId: 'zzz' });
    const second = formatHlc({ wall: T, counter: 2, deviceId: 'aaa' });
    expect(compareHlc(first, second)).toBeLessThan(0);
  });

  it('breaks a tie of wall and counter by device id', () => {
    const a = formatHlc({ wall: T, counter: 3, deviceId: 'device-a' });
    const b = formatHlc({ wall: T, counter: 3, deviceId: 'device-b' });
    expect(compareHlc(a, b)).toBeLessThan(0);
    expect(compareHlc(b, a)).toBeGreaterThan(0);
    expect(compareHlc(a, a)).toBe(0);
  });

  it('sorts numerically across digit-count boundaries (fixed width fields)', () => {
    const stamps = [
      formatHlc({ wall: 10, counter: 0, deviceId: 'a' }),
      formatHlc({ wall: 9, counter: 10, deviceId: 'a' }),
      formatHlc({ wall: 9, counter: 9, deviceId: 'a' }),
      formatHlc({ wall: 100, counter: 0, deviceId: 'a' }),
    ];
    const sorted = [...stamps].sort(compareHlc).map((s) => parseHlc(s));
    expect(sorted.map((p) => [p.wall, p.counter])).toEqual([
      [9, 9],
      [9, 10],
      [10, 0],
      [100, 0],
    ]);
  });

  it('gives one total order for interleaved writes of two devices', () => {
    const a = device('dev-a', T);
    const b = device('dev-b', T);
    const issued: string[] = [];
    for (let i = 0; i < 5; i++) {
      issued.push(a.clock.now(), b.clock.now());
      a.wall.advance(1);
      b.wall.advance(1);
    }
    const sorted = [...issued].sort(compareHlc);
    // Same wall and counter on both devices each round: dev-a sorts before dev-b.
    expect(sorted).toEqual(issued);
    expect(new Set(issued).size).toBe(issued.length);
  });
});

describe('createHlc: server offset', () => {
  it('applies the offset to stamps and correctedNow, never to deviceNow', () => {
    const wall = fakeWallClock(T);
    const clock = createHlc({ deviceId: 'dev-a', wallClock: wall, offsetMs: 90_000 });
    expect(clock.serverOffset()).toBe(90_000);
    expect(parseHlc(clock.now()).wall).toBe(T + 90_000);
    expect(clock.correctedNow()).toBe(T + 90_000);
    expect(clock.deviceNow()).toBe(T);
  });

  it('picks up an offset set later', () => {
    const wall = fakeWallClock(T);
    const clock = createHlc({ deviceId: 'dev-a', wallClock: wall });
    expect(clock.serverOffset()).toBe(0);
    clock.setServerOffset(-30_000);
    expect(clock.serverOffset()).toBe(-30_000);
    expect(clock.correctedNow()).toBe(T - 30_000);
    expect(clock.deviceNow()).toBe(T);
    wall.advance(60_000);
    expect(parseHlc(clock.now()).wall).toBe(T + 30_000);
  });

  it('stays monotonic when a negative offset is learned after stamping', () => {
    const wall = fakeWallClock(T);
    const clock = createHlc({ deviceId: 'dev-a', wallClock: wall });
    const before = clock.now();
    clock.setServerOffset(-120_000); // device turned out to be two minutes fast
    const after = clock.now();
    expect(compareHlc(before, after)).toBeLessThan(0);
    expect(clock.correctedNow()).toBe(T - 120_000);
  });

  it('rejects a non-finite offset and keeps the previous one', () => {
    const clock = createHlc({ deviceId: 'dev-a', wallClock: fakeWallClock(T), offsetMs: 5 });
    expect(() => clock.setServerOffset(Number.NaN)).toThrow(/finite/);
    expect(() => clock.setServerOffset(Infinity)).toThrow(/finite/);
    expect(clock.serverOffset()).toBe(5);
  });
});

describe('formatHlc / parseHlc / isHlc', () => {
  it('round-trips parts through a string', () => {
    const parts = { wall: T, counter: 12, deviceId: 'dev-7f3a' };
    const s = formatHlc(parts);
    expect(s).toBe(`00${T}-000012-dev-7f3a`);
    expect(parseHlc(s)).toEqual(parts);
    expect(isHlc(s)).toBe(true);
  });

  it('round-trips device ids that contain dashes and colons', () => {
    const parts = { wall: 1, counter: 0, deviceId: 'ana:phone-2' };
    expect(parseHlc(formatHlc(parts))).toEqual(parts);
  });

  it('round-trips every stamp a clock issues', () => {
    const { clock } = device('dev-a');
    for (let i = 0; i < 5; i++) {
      const s = clock.now();
      expect(formatHlc(parseHlc(s))).toBe(s);
    }
  });

  it.each([
    ['empty', ''],
    ['words', 'not a clock'],
    ['short wall', '123-000001-dev'],
    ['short counter', '001795334400000-1-dev'],
    ['missing device id', '001795334400000-000001-'],
    ['no device part', '001795334400000-000001'],
    ['letters in wall', '00179533440000x-000001-dev'],
    ['ISO date', '2026-11-22T08:00:00.000Z'],
  ])('rejects a bad string (%s)', (_label, value) => {
    expect(() => parseHlc(value)).toThrow(/Not an HLC timestamp/);
    expect(isHlc(value)).toBe(false);
  });

  it('isHlc is false for non-strings', () => {
    for (const v of [undefined, null, 42, {}, ['001795334400000-000001-dev']]) {
      expect(isHlc(v)).toBe(false);
    }
  });
});
