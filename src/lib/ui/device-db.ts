/**
 * The browser databases this device keeps, by name (IndexedDB through the idb adapter):
 *
 * - `outpost-<user>`: a signed-in person's data, synced with their CouchDB db (DESIGN.md 1);
 * - `outpost:reference:<user>`: their team's products and templates, pulled from the team's
 *   reference db (never pushed);
 * - `outpost:demo:<rep>`: a demo day loaded without signing in, never synced, so demo data
 *   never mixes with real data;
 * - `outpost:device`: this device's own small db (the enrolment, in a `_local` doc).
 *
 * The ':' cannot occur in a user name, so no person's db can collide with the other two.
 */
import idb from 'pouchdb-adapter-idb';
import { localDbName, openLocalDb, registerAdapter, type LocalDb } from '$lib/db/pouch';
import { keepConnectionsAfterQuotaAborts } from '$lib/db/quota-abort';

/** The device db holding the enrolment (credential store). */
export const DEVICE_DB = 'outpost:device';

/** The local db of a signed-in person: `outpost-<user>`. */
export const personDbName = localDbName;

/** The local copy of a signed-in person's team reference data: `outpost:reference:<user>`. */
export function referenceCopyName(user: string): string {
  return `outpost:reference:${user}`;
}

/** The local db of a demo rep's day: `outpost:demo:<rep>`. */
export function demoDbName(rep: string): string {
  return `outpost:demo:${rep}`;
}

/** Opens (creating if needed) a browser database by its full name. */
export function openNamedBrowserDb(name: string): LocalDb {
  registerAdapter(idb);
  keepConnectionsAfterQuotaAborts(); // a full disk must not kill the connection (quota-abort.ts)
  const db = openLocalDb(name, 'idb');
  // Every live query, the sync lanes and the pending count each hold a changes feed on the
  // same handle; past 10, Node's EventEmitter warns about a leak that is not one.
  (db as unknown as { setMaxListeners?(n: number): void }).setMaxListeners?.(100);
  return db;
}

/** A label admins see next to this device's credential ("Chrome on Android"). */
export function deviceLabel(userAgent: string): string {
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : 'Browser';
  const os = /Android/.test(userAgent)
    ? 'Android'
    : /iPhone|iPad/.test(userAgent)
      ? 'iOS'
      : /Windows/.test(userAgent)
        ? 'Windows'
        : /Mac OS X/.test(userAgent)
          ? 'Mac'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : '';
  return os ? `${browser} on ${os}` : browser;
}
