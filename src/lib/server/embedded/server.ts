/**
 * The embedded CouchDB-protocol server: express-pouchdb on PouchDB's LevelDB adapter, data on
 * disk under `dataDir`, listening on its own loopback port (Fauxton at /_utils there). The app's
 * `/couch` front proxies to it exactly as it proxies to a real CouchDB.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import expressPouchdb from 'express-pouchdb';
import PouchDB from 'pouchdb';
import { createCompat } from './compat';
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
}

export interface EmbeddedCouch {
  /** Base URL without credentials, e.g. http://127.0.0.1:5985 */
  url: string;
  /** The PouchDB constructor bound to the data folder (in-process access for the replicator). */
  PouchDB: PouchDB.Static;
  close(): Promise<void>;
}

const basic = (name: string, password: string) =>
  'Basic ' + Buffer.from(`${name}:${password}`).toString('base64');

/** Starts the embedded server and resolves once it listens with the admin configured. */
export async function startEmbeddedCouch(opts: EmbeddedCouchOptions): Promise<EmbeddedCouch> {
  mkdirSync(opts.dataDir, { recursive: true });
  const Pouch = PouchDB.defaults({
    prefix: join(opts.dataDir, '/'),
  } as PouchDB.Configuration.DatabaseConfiguration) as unknown as PouchDB.Static;
  const pouchApp = expressPouchdb(Pouch, {
    configPath: join(opts.dataDir, 'config.json'),
    logPath: join(opts.dataDir, 'log.txt'),
    // CouchDB's replicator is emulated in-process by ./replicator.ts (selector pulls crash here).
    overrideMode: { exclude: ['replicator', 'routes/replicate'] },
  });
  await new Promise<void>((resolve, reject) =>
    pouchApp.couchConfig.set('admins', opts.admin.name, opts.admin.password, (err) =>
      err ? reject(err) : resolve(),
    ),
  );

  let url = '';
  let replicator: ReplicatorEmulation | null = null;
  const compat = createCompat({
    selfUrl: () => url,
    adminAuthorization: basic(opts.admin.name, opts.admin.password),
    scheduler: () => replicator,
  });
  const server: Server = createServer((req, res) => compat(req, res, () => pouchApp(req, res)));
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
    async close() {
      await replicator?.stop();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
