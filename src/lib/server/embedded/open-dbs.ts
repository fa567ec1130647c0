/**
 * What the embedded server's PouchDB holds open, so that stopping the server releases it: every
 * database object (LevelDB keeps files open per db - a log, a lock, tables - until `close()`)
 * and every listener plugins added to PouchDB's process-wide event emitter. A process that
 * starts and stops the server many times (tests, the chaos harness) otherwise runs out of file
 * descriptors, and a stopped server's pouchdb-all-dbs would go on writing to its closed db
 * whenever a later server creates one.
 */

/** The bookkeeping db pouchdb-all-dbs writes to whenever a db is created or destroyed. */
const ALL_DBS_NAME = 'pouch__all_dbs__';

type Listener = (...args: unknown[]) => void;

export interface OpenDbs {
  /** PouchDB db objects alive now (the db cache's, and any other not yet closed). */
  count(): number;
  /** Closes every db still open (pending all-dbs bookkeeping first), removes the listeners. */
  closeAll(): Promise<void>;
}

/**
 * Tracks `Pouch` (a `PouchDB.defaults` class, before any plugin sees it): PouchDB announces each
 * instance on its constructor's `ref` event and its closing on `unref`; the emitter is shared by
 * every PouchDB class in the process, so only instances of `Pouch` itself are kept, and only
 * listeners added through `Pouch` are removed.
 */
export function trackOpenDbs(Pouch: PouchDB.Static): OpenDbs {
  const open = new Set<PouchDB.Database>();
  const shared = Pouch as unknown as NodeJS.EventEmitter;
  const emitter = { on: shared.on.bind(shared), off: shared.off.bind(shared) };
  const added: [string, Listener][] = [];
  for (const method of ['on', 'addListener', 'once'] as const) {
    const original = shared[method].bind(shared);
    Object.defineProperty(Pouch, method, {
      configurable: true,
      writable: true,
      value: (event: string, listener: Listener) => {
        added.push([event, listener]);
        return original(event, listener);
      },
    });
  }
  const onRef = (db: PouchDB.Database) => {
    if (db.constructor === Pouch) open.add(db);
  };
  const onUnref = (db: PouchDB.Database) => open.delete(db);
  emitter.on('ref', onRef);
  emitter.on('unref', onUnref);

  const allDbsSettled = async () => {
    // pouchdb-all-dbs runs its writes in one queue; a list request waits behind all of them.
    const withAllDbs = Pouch as PouchDB.Static & { allDbs?: () => Promise<string[]> };
    await withAllDbs.allDbs?.().catch(() => undefined);
  };
  const closeEach = (dbs: PouchDB.Database[]) =>
    Promise.all(dbs.map((db) => db.close().catch(() => undefined)));

  return {
    count: () => open.size,
    async closeAll() {
      await allDbsSettled();
      await closeEach([...open].filter((db) => db.name !== ALL_DBS_NAME));
      await allDbsSettled();
      await closeEach([...open]);
      emitter.off('ref', onRef);
      emitter.off('unref', onUnref);
      for (const [event, listener] of added) emitter.off(event, listener);
      open.clear();
    },
  };
}
