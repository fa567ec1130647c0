/**
 * The chaos harness's only source of randomness: a small seeded PRNG (sfc32), so a scenario's
 * fault schedule and action choices follow from its seed. Independent streams (one per device,
 * one per proxy, one for the driver) are forked by label, so adding a draw in one stream never
 * shifts another.
 */

/** A seeded random stream. */
export interface Rng {
  /** The seed this stream started from. */
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (both included). */
  int(min: number, max: number): number;
  /** Uniform real in [min, max). */
  between(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T;
  /** An element chosen by weight (weights >= 0, at least one > 0). */
  weighted<T>(entries: readonly (readonly [T, number])[]): T;
  /** An independent stream derived from this seed and `label`. */
  fork(label: string): Rng;
}

/** 32-bit FNV-1a of a string, mixed with a number: derives fork seeds. */
function hash(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A stream seeded with `seed` (any integer; only its low 32 bits count). */
export function createRng(seed: number): Rng {
  const s = seed >>> 0;
  // sfc32 state from the seed (splitmix-style spread), warmed up a few rounds.
  let a = 0x9e3779b9 ^ s;
  let b = 0x243f6a88 ^ Math.imul(s, 0x85ebca6b);
  let c = 0xb7e15162 ^ Math.imul(s, 0xc2b2ae35);
  let d = s ^ 0x5bd1e995;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();

  const rng: Rng = {
    seed: s,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    between: (min, max) => min + next() * (max - min),
    chance: (p) => p > 0 && next() < p,
    pick(list) {
      if (list.length === 0) throw new Error('pick from an empty list');
      return list[Math.floor(next() * list.length)];
    },
    weighted(entries) {
      const total = entries.reduce((n, [, w]) => n + Math.max(0, w), 0);
      if (!(total > 0)) throw new Error('weighted pick needs a positive weight');
      let x = next() * total;
      for (const [value, w] of entries) {
        x -= Math.max(0, w);
        if (x < 0) return value;
      }
      return entries[entries.length - 1][0];
    },
    fork: (label) => createRng(hash(s, label)),
  };
  return rng;
}
