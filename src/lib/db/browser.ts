/** The browser's local database: IndexedDB through the idb adapter. */
import idb from 'pouchdb-adapter-idb';
import { localDbName, openLocalDb, registerAdapter, type LocalDb } from './pouch';

/** Opens the signed-in user's IndexedDB-backed database. */
export function openBrowserDb(user: string): LocalDb {
  registerAdapter(idb);
  return openLocalDb(localDbName(user), 'idb');
}
