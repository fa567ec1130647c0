/**
 * A `changes()` feed that starts only once a gate opens. The pull lane's replicator asks for
 * its next `_changes` through it while the push lane is sending this device's own writes: the
 * rep's work reaches the server first, and the server streams those same docs back once, after
 * the push, instead of batch by batch while it is still storing them (on a 2-core CouchDB that
 * echo competed with the push for the server and for the device). To PouchDB's replicator it is
 * an ordinary feed: listeners, `then`/`catch`, and `cancel()`, which before the start resolves it
 * as PouchDB's own feeds resolve a cancelled one.
 */

type Listener = (...args: never[]) => void;

/** The part of a PouchDB changes feed the replicator and the pull trace use. */
export interface ChangesFeedLike extends PromiseLike<unknown> {
  on(event: string, listener: Listener): ChangesFeedLike;
  once(event: string, listener: Listener): ChangesFeedLike;
  removeListener(event: string, listener: Listener): ChangesFeedLike;
  catch(onRejected: (reason: unknown) => unknown): Promise<unknown>;
  cancel(): void;
}

/** Starts `start()`'s feed once `open` resolves; until then it only collects listeners. */
export function heldChanges(open: Promise<void>, start: () => ChangesFeedLike): ChangesFeedLike {
  const waiting: { event: string; listener: Listener; once: boolean }[] = [];
  let feed: ChangesFeedLike | null = null;
  let cancelled = false;
  let settle!: { resolve(value: unknown): void; reject(reason: unknown): void };
  const result = new Promise<unknown>((resolve, reject) => (settle = { resolve, reject }));

  void open.then(() => {
    if (cancelled) return;
    try {
      feed = start();
    } catch (err) {
      settle.reject(err);
      return;
    }
    for (const w of waiting.splice(0)) {
      if (w.once) feed.once(w.event, w.listener);
      else feed.on(w.event, w.listener);
    }
    feed.then(settle.resolve, settle.reject);
  });

  const held: ChangesFeedLike = {
    on(event, listener) {
      if (feed) feed.on(event, listener);
      else waiting.push({ event, listener, once: false });
      return held;
    },
    once(event, listener) {
      if (feed) feed.once(event, listener);
      else waiting.push({ event, listener, once: true });
      return held;
    },
    removeListener(event, listener) {
      if (feed) feed.removeListener(event, listener);
      else {
        const i = waiting.findIndex((w) => w.event === event && w.listener === listener);
        if (i >= 0) waiting.splice(i, 1);
      }
      return held;
    },
    then: (onFulfilled, onRejected) => result.then(onFulfilled, onRejected),
    catch: (onRejected) => result.catch(onRejected),
    cancel() {
      if (feed) return feed.cancel();
      if (cancelled) return;
      cancelled = true;
      settle.resolve({ status: 'cancelled' });
    },
  };
  return held;
}
