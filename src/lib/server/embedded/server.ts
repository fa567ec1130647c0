/**
 * The embedded CouchDB-protocol server: express-pouchdb on PouchDB's LevelDB adapter, data on
 * disk under `dataDir`, listening on its own loopback port (Fauxton at /_utils there). The app's
 * `/couch` front proxies to it exactly as it proxies to a real CouchDB.
 */
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
// Must run before express-pouchdb loads pouchdb-validation (ESM evaluates imports in order).
import './patches';
import expressPouchdb from 'express-pouchdb';
import PouchDB from 'pouchdb';
import { createCompat } from './compat';
import { createDbLru, maxDbsOpenFor, openFilesLimit, type DbCacheMap } from './db-lru';
import { createDbUpdates } from './db-updates';
import { trackOpenDbs } from './open-dbs';
import { startReplicatorEmulation, type ReplicatorEmulation } from './replicator';

export interface EmbeddedCouchOptions {
  /** Folder for the databases, config.json and log.txt. */
  dataDir: string;
  /** Server admin, created on first start (CouchDB's [admins]). */
  admin: { name: string; password: string };
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Where replication problems are reported (never credentials). */
  log?: (message: string) => void;
  /** Most dbs kept open (CouchDB's max_dbs_open); default: what the open-files limit allows. */
  maxDbsOpen?: number;
}

export interface EmbeddedCouch {
  /** Base URL without credentials, e.g. http://127.0.0.1:5985 */
  url: string;
  /** The PouchDB constructor bound to the data folder (in-process access for the replicator). */
  PouchDB: PouchDB.Static;
  /** Dbs open in the server's cache now (at most `maxDbsOpen` when none is in use). */
  openDbCount(): number;
  /** PouchDB db objects the server holds now, in its cache or not (a leak shows here). */
  dbObjectCount(): number;
  close(): Promise<void>;
}

const basic = (name: string, password: string) =>
  'Basic ' + Buffer.from(`${name}:${password}`).toString('base64');

/** True when `stored` (plain, or express-pouchdb's `-pbkdf2-hash,salt,iterations`) is `password`. */
function adminPasswordMatches(stored: unknown, password: string): boolean {
  if (typeof stored !== 'string') return false;
  const m = /^-pbkdf2-([\da-f]+),([\da-f]+),(\d+)$/.exec(stored);
  if (!m) return stored === password;
  const derived = pbkdf2Sync(password, m[2], Number(m[3]), 20, 'sha1');
  const expected = new Uint8Array(Buffer.from(m[1], 'hex'));
  return expected.length === derived.length && timingSafeEqual(expected, new Uint8Array(derived));
}

/**
 * Puts the admin into express-pouchdb's config.json before it starts (it hashes plain
 * passwords on load). Setting it through its config API after start races that first save
 * and crashed restarts; an admin already stored with the same password is left untouched.
 * Also gives the server its lasting uuid (CouchDB's `[couchdb] uuid`) and returns it.
 */
function writeServerConfig(configPath: string, admin: { name: string; password: string }): string {
  const config = existsSync(configPath)
    ? (JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, Record<string, unknown>>)
    : {};
  const admins = config.admins ?? {};
  const stored = config.couchdb?.uuid;
  const uuid = typeof stored === 'string' && stored ? stored : randomBytes(16).toString('hex');
  const adminStored = adminPasswordMatches(admins[admin.name], admin.password);
  if (adminStored && uuid === stored) return uuid;
  if (!adminStored) config.admins = { ...admins, [admin.name]: admin.password };
  config.couchdb = { ...config.couchdb, uuid };
  const tmp = `${configPath}.tmp`;
  writeFileSync(tmp, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, configPath);
  return uuid;
}

/** Ends express-pouchdb's append stream to log.txt (it has no close of its own). */
function closeLogFile(app: unknown): Promise<void> {
  const stream = (app as { couchLogger?: { _stream?: NodeJS.WritableStream } }).couchLogger
    ?._stream;
  return new Promise((resolve) => (stream ? stream.end(() => resolve()) : resolve()));
}

/** Live feeds per db before Node warns of a leak (replications + `_changes` clients). */
const MAX_FEEDS_PER_DB = 5000;

/** Starts the embedded server and resolves once it listens with the admin configured. */
export async function startEmbeddedCouch(opts: EmbeddedCouchOptions): Promise<EmbeddedCouch> {
  mkdirSync(opts.dataDir, { recursive: true });
  // PouchDB's LevelDB adapter keeps one process-wide emitter for every db's changes: each live
  // replication and `_changes` feed on a db is a listener on it, so master with one replication
  // per person passes Node's leak-warning threshold (10) at the 10th person. CouchDB has no such
  // limit; the warning would only alarm admins reading the log.
  EventEmitter.defaultMaxListeners = Math.max(EventEmitter.defaultMaxListeners, MAX_FEEDS_PER_DB);
  const Pouch = PouchDB.defaults({
    prefix: join(opts.dataDir, '/'),
  } as PouchDB.Configuration.DatabaseConfiguration) as unknown as PouchDB.Static;
  const openDbs = trackOpenDbs(Pouch);
  const lru = createDbLru({ max: opts.maxDbsOpen ?? maxDbsOpenFor(openFilesLimit()) });
  (Pouch as unknown as { __dbCacheMap: DbCacheMap }).__dbCacheMap = lru.map;
  const configPath = join(opts.dataDir, 'config.json');
  const serverUuid = writeServerConfig(configPath, opts.admin);
  const pouchApp = expressPouchdb(Pouch, {
    configPath,
    logPath: join(opts.dataDir, 'log.txt'),
    // CouchDB's replicator is emulated in-process by ./replicator.ts (selector pulls crash here).
    // No disk-size: it walked the db's folder on every info() call, which PouchDB makes for
    // each live `_changes` request: more CPU than the rest of a routed write.
    overrideMode: { exclude: ['replicator', 'routes/replicate', 'disk-size'] },
  });
  let url = '';
  let replicator: ReplicatorEmulation | null = null;
  const adminAuthorization = basic(opts.admin.name, opts.admin.password);
  let globalChanges = false;
  const dbUpdates = createDbUpdates({
    exists: async () =>
      (globalChanges ||=
        (await fetch(`${url}/_global_changes`, { headers: { authorization: adminAuthorization } }))
          .status === 200),
  });
  const compat = createCompat({
    selfUrl: () => url,
    adminAuthorization,
    scheduler: () => replicator,
    dbUpdates,
    serverUuid,
  });
  const server: Server = createServer((req, res) => {
    dbUpdates.observe(req, res);
    lru.observe(req, res);
    compat(req, res, () => pouchApp(req, res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  replicator = startReplicatorEmulation({ PouchDB: Pouch, selfUrl: url, log: opts.log });

  return {
    url,
    PouchDB: Pouch,
    openDbCount: lru.size,
    dbObjectCount: openDbs.count,
    async close() {
      await replicator?.stop();
      dbUpdates.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await openDbs.closeAll();
      await closeLogFile(pouchApp);
    },
  };
}
