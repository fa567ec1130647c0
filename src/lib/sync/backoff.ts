/**
 * Retry delays for the replication lanes (DESIGN.md section 7): about 1 s, doubling up to 30 s,
 * each delay jittered by +-50% so many devices coming back at once do not retry in step.
 */

export interface BackoffOptions {
  /** Nominal first delay in ms (default 1000). */
  baseMs?: number;
  /** Largest nominal delay in ms (default 30000); the jittered delay may be up to 1.5x this. */
  maxMs?: number;
  /** Source of randomness in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

export interface Backoff {
  /**
   * PouchDB's `back_off_function`: the next delay in ms. PouchDB passes its previous delay (0
   * after it saw the replication go active again); the sequence is tracked here instead, so a
   * retry that goes active and fails again does not drop back to 1 s. Call `reset()` on success.
   */
  next(previousMs?: number): number;
  /** Starts the sequence again at ~baseMs; call when a lane really succeeded. */
  reset(): void;
  /** Retries scheduled since the last reset. */
  readonly attempts: number;
}

/** Creates a jittered exponential back-off (1 s doubling to 30 s, +-50%) with reset on success. */
export function createBackoff(opts: BackoffOptions = {}): Backoff {
  const baseMs = opts.baseMs ?? 1000;
  const maxMs = Math.max(opts.maxMs ?? 30_000, baseMs);
  const random = opts.random ?? Math.random;
  let attempts = 0;

  return {
    next() {
      // 2 ** attempts stops growing once the nominal delay has reached maxMs.
      const nominal = Math.min(baseMs * 2 ** Math.min(attempts, 30), maxMs);
      attempts += 1;
      const jitter = 0.5 + Math.min(Math.max(random(), 0), 1); // 0.5 .. 1.5
      return Math.round(nominal * jitter);
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}
