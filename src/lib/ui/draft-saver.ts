/**
 * Debounced saving of a form's changes: changes are merged per key and written after a short
 * pause, one write at a time; `flush()` writes what is pending right away (call it on
 * `pagehide` / `visibilitychange` to hidden, before leaving, before submit) so the last
 * keystroke is never lost. Plain TypeScript: the page wires it to the repo and the DOM.
 */

/** Where the saver is: nothing pending and stored, waiting/writing, or the last write failed. */
export type DraftState = 'saved' | 'pending' | 'error';

export interface DraftSaver<V> {
  /** Records a change of one key; it is written after `delayMs` without further changes. */
  change(key: string, value: V): void;
  /** Writes everything pending now; resolves when it is stored (or the write failed). */
  flush(): Promise<void>;
  readonly state: DraftState;
  /** Stops the timer; pending changes are kept for a last flush. */
  dispose(): void;
}

/**
 * Creates a saver over `write` (which stores a batch of changes). `onstate` hears every state
 * change; `onerror` gets a failed write's error (its changes stay pending for the next flush).
 */
export function createDraftSaver<V>(opts: {
  write: (changes: Record<string, V>) => Promise<unknown>;
  delayMs: number;
  onstate?: (state: DraftState) => void;
  onerror?: (error: unknown, changes: Record<string, V>) => void;
}): DraftSaver<V> {
  let pending: Record<string, V> = {};
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<void> = Promise.resolve();
  let state: DraftState = 'saved';

  const setState = (next: DraftState) => {
    if (next === state) return;
    state = next;
    opts.onstate?.(next);
  };

  const hasPending = () => Object.keys(pending).length > 0;

  async function writeBatch(): Promise<void> {
    if (!hasPending()) return;
    const batch = pending;
    pending = {};
    try {
      await opts.write(batch);
      if (!hasPending() && timer === null) setState('saved');
    } catch (error) {
      // Keep the failed values unless newer ones arrived meanwhile.
      pending = { ...batch, ...pending };
      setState('error');
      opts.onerror?.(error, batch);
    }
  }

  function flush(): Promise<void> {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    running = running.then(writeBatch);
    return running;
  }

  return {
    change(key, value) {
      pending[key] = value;
      setState('pending');
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        void flush();
      }, opts.delayMs);
    },
    flush,
    get state() {
      return state;
    },
    dispose() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
