/**
 * PouchDB assembled once from plugins (DESIGN.md sections 2 and 10). Storage adapters are
 * registered by the entry that knows where it runs: idb in the browser, memory in tests.
 */
import PouchDB from 'pouchdb-core';
import find from 'pouchdb-find';
import http from 'pouchdb-adapter-http';
import replication from 'pouchdb-replication';

/** The one PouchDB constructor of the app, with find, http and replication. */
export const Pouch = PouchDB.plugin(find).plugin(http).plugin(replication);

/** Storage adapters the app uses locally. */
export type LocalAdapter = 'idb' | 'memory';

const registered = new Set<unknown>();

/** Registers a storage adapter plugin once; calling again with the same plugin is a no-op. */
export function registerAdapter(plugin: PouchDB.Plugin): void {
  if (registered.has(plugin)) return;
  Pouch.plugin(plugin);
  registered.add(plugin);
}

/** A local database handle (any document shape). */
export type LocalDb = PouchDB.Database<Record<string, unknown>>;

/** Opens (creating if needed) a local database on the given adapter. */
export function openLocalDb(name: string, adapter: LocalAdapter): LocalDb {
  return new Pouch<Record<string, unknown>>(name, { adapter, auto_compaction: true });
}

/** The local database name for a user: `outpost-<user>`. */
export function localDbName(user: string): string {
  return `outpost-${user}`;
}
