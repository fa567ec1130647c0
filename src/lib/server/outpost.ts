/**
 * The whole Outpost server process (DESIGN.md section 3): the static app, `/couch` in front of
 * the embedded CouchDB-protocol server (default) or of a real CouchDB (COUCHDB_URL), `/api`,
 * and the provisioner following `_users`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Nano from 'nano';
import { createApp } from './app';
import { startEmbeddedCouch, type EmbeddedCouch } from './embedded/server';
import { createAdminCouch, dbPath } from './couch/admin-http';
import { silentLogger, type Logger } from './log';
import { createMetrics, type DeviceRow, type OutpostMetrics } from './ops/metrics';
import { OPS_DESIGN } from './ops/design';
import { createProvisioner, type Provisioner } from './provision/provision';
import type { SignInLimiter } from './sign-in-limiter';
import { DEFAULT_MASTER_DB } from './provision/names';
import { DEFAULT_ROUTER_DB, startRouter, type ChangeRouter } from './router';
import { moveReferenceData } from './router/reference';
import { startResolverWorker, type ResolverWorker } from './resolver/worker';
import { createRevocations, userReader, type Revocations } from './revocations';
import { revokeDevice } from './revoke';
import { watchUsers } from './users-watch';

export interface OutpostOptions {
  buildDir: string;
  port: number;
  host: string;
  /** Admin URL of a real CouchDB (http://admin:pw@host:5984); unset = embedded server. */
  couchUrl?: string;
  /** Embedded server: data folder, admin, and its own loopback port (0 = any free one). */
  embedded?: { dataDir: string; admin: { name: string; password: string }; port: number };
  masterDb?: string;
  /** Plain messages (provisioning, router retries); default: the logger's info, else stdout. */
  log?: (message: string) => void;
  /** Limits failed sign-ins (default: one with the real clock; tests pass their own). */
  signInLimiter?: SignInLimiter;
  /** JSON request and error lines (default: none). */
  logger?: Logger;
  /** The operator's bearer token for `/metrics` (admins may always use their credentials). */
  metricsToken?: string;
}

export interface RunningOutpost {
  /** The app's URL. */
  url: string;
  /** CouchDB base URL as the server reaches it (no credentials). */
  couchUrl: string;
  /** Fauxton's URL. */
  fauxtonUrl: string;
  /** nano with admin credentials (server-side only). */
  couchAdmin: Nano.ServerScope;
  masterDb: string;
  embedded: EmbeddedCouch | null;
  /** The conflict resolver following master. */
  resolver: ResolverWorker;
  /** The change router between master and the per-user dbs. */
  router: ChangeRouter;
  /** The provisioner (its `people` are the people the router serves). */
  provisioner: Provisioner;
  /** The revoked device names the `/couch` front refuses. */
  revocations: Revocations;
  /** What `/metrics` serves. */
  metrics: OutpostMetrics;
  /**
   * Revokes a device (see revoke.ts): `/couch` refuses it from the start of the call, CouchDB
   * by the time it resolves. False when there is no such device.
   */
  revokeDevice(username: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Splits an admin URL into a credential-free base URL and the admin's name and password. */
export function splitAdminUrl(adminUrl: string): { url: string; name: string; password: string } {
  const u = new URL(adminUrl);
  const name = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return { url: u.toString().replace(/\/$/, ''), name, password };
}

/** Starts the Outpost server and resolves once it listens and master is provisioned. */
export async function startOutpost(opts: OutpostOptions): Promise<RunningOutpost> {
  const logger = opts.logger ?? silentLogger();
  const log =
    opts.log ?? (opts.logger ? (m: string) => logger.info(m) : (m: string) => console.log(m));
  const masterDb = opts.masterDb ?? DEFAULT_MASTER_DB;
  let embedded: EmbeddedCouch | null = null;
  let couch: { url: string; name: string; password: string };
  if (opts.couchUrl) {
    couch = splitAdminUrl(opts.couchUrl);
  } else {
    if (!opts.embedded) throw new Error('Either couchUrl or embedded options are required');
    embedded = await startEmbeddedCouch({
      dataDir: opts.embedded.dataDir,
      admin: opts.embedded.admin,
      host: '127.0.0.1',
      port: opts.embedded.port,
      log,
    });
    couch = { url: embedded.url, ...opts.embedded.admin };
  }
  const adminUrl = new URL(couch.url);
  adminUrl.username = encodeURIComponent(couch.name);
  adminUrl.password = encodeURIComponent(couch.password);
  const couchAdmin = Nano({ url: adminUrl.toString() });
  let router: ChangeRouter | null = null;
  const provisioner = createProvisioner({
    couch: couchAdmin,
    masterDb,
    routerDb: DEFAULT_ROUTER_DB,
    onPersonChanged: async (name, before) => router?.personChanged(name, before),
    log,
  });
  const provisionStarted = performance.now();
  await provisioner.provisionAll();
  const provisionSeconds = (performance.now() - provisionStarted) / 1000;
  const adminCouch = createAdminCouch({
    url: couch.url,
    admin: { name: couch.name, password: couch.password },
  });
  const teams = [...new Set(provisioner.people.all().map((p) => p.team))];
  const moved = await moveReferenceData(adminCouch, masterDb, teams);
  if (moved > 0) {
    log(
      `moved ${moved} products and templates from master into ${teams.length} team reference dbs`,
    );
  }
  router = startRouter({
    couch: adminCouch,
    masterDb,
    routerDb: DEFAULT_ROUTER_DB,
    people: provisioner.people,
    log,
  });
  const revocations = createRevocations({ readUser: userReader(couchAdmin), log });
  const resolver = startResolverWorker({
    url: `${couch.url}/${encodeURIComponent(masterDb)}`,
    admin: { name: couch.name, password: couch.password },
    log,
  });
  const metrics = createMetrics({
    router,
    resolver,
    devices: async () =>
      (
        await adminCouch.request<{ rows: DeviceRow[] }>(
          'GET',
          `${dbPath(masterDb)}/_design/${OPS_DESIGN}/_view/devices_by_seen`,
          { query: { reduce: false } },
        )
      ).rows,
    onError: (what, err) => logger.warn({ source: what, err: (err as Error).message }, 'metrics'),
  });
  metrics.provisionRun('all', provisionSeconds, true);
  // Each batch of `_users` changes is a provisioning run, timed for /metrics.
  const timedProvisioner: Provisioner = {
    ...provisioner,
    async usersChanged(changes) {
      const started = performance.now();
      let ok = false;
      try {
        const report = await provisioner.usersChanged(changes);
        ok = true;
        return report;
      } finally {
        metrics.provisionRun('users_changed', (performance.now() - started) / 1000, ok);
      }
    },
  };
  const stopWatching = watchUsers(couchAdmin, timedProvisioner, log, (change) => {
    void revocations.onUserChange(change);
  });

  const app = createApp({
    buildDir: opts.buildDir,
    couch: {
      target: () => couch.url,
      admin: couchAdmin,
      provisioner,
      revocations,
      metrics: { metrics, token: opts.metricsToken },
    },
    logger,
    signInLimiter: opts.signInLimiter,
  });
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? 'localhost' : opts.host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}`,
    couchUrl: couch.url,
    fauxtonUrl: `${couch.url}/_utils/`,
    couchAdmin,
    masterDb,
    embedded,
    resolver,
    router,
    provisioner,
    revocations,
    metrics,
    revokeDevice: (username) =>
      revokeDevice(couchAdmin, username, { onRevoking: (name) => revocations.revoke(name) }),
    close: () =>
      (closed ??= (async () => {
        stopWatching();
        await router?.stop();
        await resolver.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await embedded?.close();
      })()),
  };
}
