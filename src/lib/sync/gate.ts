/**
 * The gate between the two push lanes: the critical lane (check-ins, orders, notes...) holds it
 * closed while it has work, and the media lane (photos) waits at it before each photo, so a
 * critical doc never waits behind a photo.
 */

/** Closed while the critical lane has work; the media lane waits for it to open. */
export interface LaneGate {
  /** The critical lane has work (or is starting). */
  close(): void;
  /** The critical lane caught up (or is backing off after a failure). */
  open(): void;
  readonly isOpen: boolean;
  /** Resolves when the gate is open (at once when it is). */
  wait(): Promise<void>;
}

/** A gate, closed until the critical lane first catches up (or open at first, if asked). */
export function createLaneGate(initiallyOpen = false): LaneGate {
  let open = initiallyOpen;
  const waiters: (() => void)[] = [];
  return {
    close() {
      open = false;
    },
    open() {
      open = true;
      for (const wake of waiters.splice(0)) wake();
    },
    get isOpen() {
      return open;
    },
    wait() {
      if (open) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}
