/**
 * Keeps the browser database usable after a write failed for lack of space. PouchDB's idb
 * adapter treats every transaction abort that bubbles up to the IndexedDB connection as a global
 * failure: it closes the connection, and every later read or write on that PouchDB fails until
 * the page reloads. A QuotaExceededError aborts only the one write (PouchDB already reports it to
 * its caller), so the connection-level handler is told to ignore exactly those aborts; the
 * user's next save, once space is freed, then works without a reload.
 */

type AbortHandler = ((this: IDBDatabase, ev: Event) => unknown) | null;

const isQuotaAbort = (ev: Event) =>
  ev.target instanceof IDBTransaction && ev.target.error?.name === 'QuotaExceededError';

/** Installs the filter on IDBDatabase's `onabort` (once; a no-op where IndexedDB is missing). */
export function keepConnectionsAfterQuotaAborts(
  proto: IDBDatabase | undefined = globalThis.IDBDatabase?.prototype,
): void {
  if (!proto) return;
  const descriptor = Object.getOwnPropertyDescriptor(proto, 'onabort');
  if (
    !descriptor?.set ||
    !descriptor.get ||
    (descriptor.set as { quotaAware?: boolean }).quotaAware
  ) {
    return;
  }
  const { get, set } = descriptor;
  const filtered = function (this: IDBDatabase, handler: AbortHandler) {
    if (typeof handler !== 'function') return set.call(this, handler);
    set.call(this, function (this: IDBDatabase, ev: Event) {
      if (isQuotaAbort(ev)) return undefined;
      return handler.call(this, ev);
    });
  };
  Object.assign(filtered, { quotaAware: true });
  Object.defineProperty(proto, 'onabort', { ...descriptor, get, set: filtered });
}
