/**
 * Hybrid logical clock (DESIGN.md section 5): wall milliseconds corrected by the server
 * offset, a counter for events in the same millisecond, and the device id as tie-breaker.
 * Timestamps are strings that sort lexicographically in causal/HLC order.
 */

/** A source of wall-clock milliseconds; tests pass a fake one. */
export type WallClock = () => number;

export interface HlcParts {
  wall: number;
  counter: number;
  deviceId: string;
}

export interface Hlc {
  /** The device this clock stamps for. */
  readonly deviceId: string;
  /** Issues a new timestamp for a local event; always greater than every earlier one. */
  now(): string;
  /** Merges a timestamp seen on another replica so later local stamps order after it. */
  receive(remote: string): void;
  /** Sets the device-to-server offset in ms (server time = device time + offset). */
  setServerOffset(ms: number): void;
  /** The device-to-server offset in ms currently applied. */
  serverOffset(): number;
  /** Device wall time corrected by the server offset, in ms since the epoch. */
  correctedNow(): number;
  /** Raw device wall time in ms since the epoch. */
  deviceNow(): number;
}

const WALL_DIGITS = 15;
const COUNTER_DIGITS = 6;
const MAX_COUNTER = 10 ** COUNTER_DIGITS - 1;

/** Formats HLC parts as a sortable string: `<wall:15>-<counter:6>-<deviceId>`. */
export function formatHlc({ wall, counter, deviceId }: HlcParts): string {
  return `${String(wall).padStart(WALL_DIGITS, '0')}-${String(counter).padStart(COUNTER_DIGITS, '0')}-${deviceId}`;
}

/** Parses a string made by formatHlc; throws on anything else. */
export function parseHlc(value: string): HlcParts {
  const match = /^(\d{15})-(\d{6})-(.+)$/.exec(value);
  if (!match) throw new Error(`Not an HLC timestamp: ${JSON.stringify(value)}`);
  return { wall: Number(match[1]), counter: Number(match[2]), deviceId: match[3] };
}

/** True when the value is a well-formed HLC string. */
export function isHlc(value: unknown): value is string {
  return typeof value === 'string' && /^\d{15}-\d{6}-.+$/.test(value);
}

/** Orders two HLC strings: negative when a is earlier, 0 when equal, positive when later. */
export function compareHlc(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Creates a hybrid logical clock for one device. */
export function createHlc(opts: {
  deviceId: string;
  wallClock?: WallClock;
  offsetMs?: number;
}): Hlc {
  const { deviceId } = opts;
  if (!deviceId || /\s/.test(deviceId)) throw new Error('HLC needs a device id without spaces');
  const wallClock = opts.wallClock ?? Date.now;
  let offset = opts.offsetMs ?? 0;
  let lastWall = 0;
  let lastCounter = 0;

  const physical = () => Math.floor(wallClock() + offset);

  function advance(wall: number, counter: number) {
    if (counter > MAX_COUNTER) {
      // Counter exhausted within one millisecond: borrow the next millisecond.
      wall += 1;
      counter = 0;
    }
    lastWall = wall;
    lastCounter = counter;
  }

  return {
    deviceId,
    now() {
      const pt = physical();
      if (pt > lastWall) advance(pt, 0);
      else advance(lastWall, lastCounter + 1);
      return formatHlc({ wall: lastWall, counter: lastCounter, deviceId });
    },
    receive(remote) {
      const r = parseHlc(remote);
      const pt = physical();
      const wall = Math.max(pt, lastWall, r.wall);
      let counter: number;
      if (wall === lastWall && wall === r.wall) counter = Math.max(lastCounter, r.counter) + 1;
      else if (wall === lastWall) counter = lastCounter + 1;
      else if (wall === r.wall) counter = r.counter + 1;
      else counter = 0;
      advance(wall, counter);
    },
    setServerOffset(ms) {
      if (!Number.isFinite(ms)) throw new Error('Server offset must be a finite number of ms');
      offset = ms;
    },
    serverOffset: () => offset,
    correctedNow: () => wallClock() + offset,
    deviceNow: () => wallClock(),
  };
}
