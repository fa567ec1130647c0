/**
 * The embedded server's welcome document (`GET /`, and `/couch/` through the app's front) in
 * CouchDB 3's shape (../shared/couchdb-reference/fanout.json `server`), so tools that check it
 * accept the server. express-pouchdb's own says `"express-pouchdb": "Welcome!"`.
 */

/** The CouchDB release whose answers the embedded server is checked against. */
export const COUCHDB_API_VERSION = '3.4.3';

/** Who runs the server (CouchDB's `[vendor] name`, which deployments may set). */
export const EMBEDDED_VENDOR = 'Outpost embedded CouchDB-protocol server (express-pouchdb)';

/**
 * CouchDB's welcome document. `features` lists only what the embedded server has: `scheduler`
 * (`_scheduler/docs` for `_replicator` docs); not `partitioned`, `reshard`, `access-ready`,
 * `pluggable-storage-engines` nor a JavaScript engine name. No `git_sha`: there is no CouchDB
 * build behind it.
 */
export function welcomeDoc(uuid: string) {
  return {
    couchdb: 'Welcome',
    version: COUCHDB_API_VERSION,
    uuid,
    features: ['scheduler'],
    vendor: { name: EMBEDDED_VENDOR },
  };
}
