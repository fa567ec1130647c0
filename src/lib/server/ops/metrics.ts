/**
 * The sync pipeline's figures in Prometheus' text format (prom-client), one registry per server
 * (never the library's global one: tests run several servers in one process). Counters the
 * server keeps as things happen (enrolments, refused sign-ins, provisioning runs) are counted
 * here; the rest is read when scraped: the router's lag (a db info request for master and for
 * each user db waiting), its and the resolver's counters, and the device status docs from
 * master's `devices_by_seen` view (one view read). CouchDB's own figures are its
 * `/_node/_local/_prometheus` (docs/OPERATIONS.md).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { deviceHealth, type DeviceHealth } from '../../device/health';
import type { ResolverStats } from '../resolver/worker';
import type { RouterLag } from '../router/lag';
import type { RouterStats } from '../router';

/** One row of master's `_design/outpost-ops/_view/devices_by_seen` (key: last seen). */
export interface DeviceRow {
  key: string;
  value: {
    owner?: string;
    lastSyncAt?: string | null;
    pending?: number;
    conflicts?: number;
    problem?: string | null;
    usage?: number;
    quota?: number;
    persisted?: boolean | null;
  };
}

/** Where the figures read at scrape time come from. */
export interface MetricsSources {
  router: { lag(): Promise<RouterLag>; stats(): RouterStats };
  resolver: { stats(): ResolverStats };
  /** Every device status row (master's ops view). */
  devices(): Promise<DeviceRow[]>;
  /** Corrected now (ms) for device health (default Date.now). */
  now?: () => number;
  /** Hears a source that failed during a scrape (the others are still answered). */
  onError?(what: string, err: unknown): void;
}

export type EnrolmentResult = 'enrolled' | 'refused' | 'invalid' | 'failed';
export type ProvisionKind = 'all' | 'users_changed';

/** The server's metrics: what it counts as it goes, and the scrape. */
export interface OutpostMetrics {
  readonly contentType: string;
  enrolment(result: EnrolmentResult): void;
  /** A credential refused: at enrolment (wrong password) or by `/couch` (401). */
  signInRefused(via: 'enrol' | 'couch'): void;
  provisionRun(kind: ProvisionKind, seconds: number, ok: boolean): void;
  /** Reads the scrape-time figures and answers the whole text. */
  scrape(): Promise<string>;
}

const HEALTHS: DeviceHealth[] = ['ok', 'stale', 'problem', 'storage'];

/** Creates the metrics of one server over its sources. */
export function createMetrics(sources: MetricsSources): OutpostMetrics {
  const registry = new Registry();
  const registers = [registry];
  const now = sources.now ?? Date.now;
  const onError = sources.onError ?? (() => {});

  const lagChanges = new Gauge({
    name: 'outpost_router_lag_changes',
    help: 'Changes written but not yet read by the change router, per direction (down: master to user dbs; up: user dbs to master).',
    labelNames: ['direction'],
    registers,
  });
  const lagSeconds = new Gauge({
    name: 'outpost_router_lag_seconds',
    help: 'How long the oldest change not yet routed can have waited, per direction (0 when caught up).',
    labelNames: ['direction'],
    registers,
  });
  const pendingDbs = new Gauge({
    name: 'outpost_router_pending_dbs',
    help: 'User dbs reported changed and not yet caught up into master.',
    registers,
  });
  const routed = new Counter({
    name: 'outpost_router_routed_docs_total',
    help: 'Master changes the router routed to at least one person.',
    registers,
  });
  const revisions = new Counter({
    name: 'outpost_router_revisions_total',
    help: 'Revisions the router copied, per direction.',
    labelNames: ['direction'],
    registers,
  });
  const routerErrors = new Counter({
    name: 'outpost_router_errors_total',
    help: 'Router rounds that failed (each retried with back-off).',
    registers,
  });
  const provisionRuns = new Counter({
    name: 'outpost_provision_runs_total',
    help: 'Provisioning runs (all: at start; users_changed: a batch of _users changes), by result.',
    labelNames: ['kind', 'result'],
    registers,
  });
  const provisionSeconds = new Histogram({
    name: 'outpost_provision_duration_seconds',
    help: 'How long a provisioning run took.',
    labelNames: ['kind'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });
  const enrolments = new Counter({
    name: 'outpost_enrolments_total',
    help: 'Device enrolments (POST /api/enrol), by result: enrolled, refused (wrong name or password), invalid (bad request), failed (server error).',
    labelNames: ['result'],
    registers,
  });
  const refusedSignIns = new Counter({
    name: 'outpost_signins_refused_total',
    help: 'Credentials refused: at enrolment, or by /couch (401: wrong or revoked device credential).',
    labelNames: ['via'],
    registers,
  });
  const resolved = new Counter({
    name: 'outpost_resolver_conflicts_resolved_total',
    help: 'Conflicts the server resolver resolved on master.',
    registers,
  });
  const needsReview = new Counter({
    name: 'outpost_resolver_needs_review_total',
    help: 'Of the resolved conflicts and lost deletions, those sent to a person for review.',
    registers,
  });
  const audits = new Counter({
    name: 'outpost_resolver_audit_docs_total',
    help: 'Audit docs (conflict:...) the server resolver wrote.',
    registers,
  });
  const devices = new Gauge({
    name: 'outpost_devices',
    help: 'Enrolled devices by health from their status docs: problem (a sync problem), storage (90% of the quota used), stale (no sync for 90 minutes, nights included), ok.',
    labelNames: ['health'],
    registers,
  });
  const devicePending = new Gauge({
    name: 'outpost_device_pending_writes',
    help: 'Writes waiting on devices in all, as their last status docs say.',
    registers,
  });
  const deviceConflicts = new Gauge({
    name: 'outpost_device_open_conflicts',
    help: 'Inbox items needing review on devices in all, as their last status docs say.',
    registers,
  });
  const sourceUp = new Gauge({
    name: 'outpost_metrics_source_up',
    help: 'Whether a scrape-time source answered (router lag, devices view).',
    labelNames: ['source'],
    registers,
  });

  /** Sets a counter to a total kept elsewhere. */
  const total = (counter: Counter, value: number, labels?: Record<string, string>) => {
    if (labels) {
      counter.remove(labels);
      counter.inc(labels, value);
    } else {
      counter.reset();
      counter.inc(value);
    }
  };

  async function readLag() {
    try {
      const lag = await sources.router.lag();
      for (const direction of ['down', 'up'] as const) {
        lagChanges.set({ direction }, lag[direction].changes);
        lagSeconds.set({ direction }, Math.round(lag[direction].seconds * 1000) / 1000);
      }
      pendingDbs.set(lag.up.dbs);
      sourceUp.set({ source: 'router_lag' }, 1);
    } catch (err) {
      sourceUp.set({ source: 'router_lag' }, 0);
      onError('router lag', err);
    }
  }

  async function readDevices() {
    try {
      const rows = await sources.devices();
      const at = now();
      const counts = Object.fromEntries(HEALTHS.map((h) => [h, 0])) as Record<DeviceHealth, number>;
      let pending = 0;
      let conflicts = 0;
      for (const { key, value: v } of rows) {
        const storage =
          typeof v.usage === 'number' && typeof v.quota === 'number'
            ? { usage: v.usage, quota: v.quota, persisted: v.persisted ?? null }
            : null;
        const problem = v.problem ? { code: v.problem, message: '' } : null;
        counts[
          deviceHealth({ lastSyncAt: v.lastSyncAt ?? null, seenAt: key, problem, storage }, at)
        ] += 1;
        pending += Number.isInteger(v.pending) ? (v.pending as number) : 0;
        conflicts += Number.isInteger(v.conflicts) ? (v.conflicts as number) : 0;
      }
      for (const health of HEALTHS) devices.set({ health }, counts[health]);
      devicePending.set(pending);
      deviceConflicts.set(conflicts);
      sourceUp.set({ source: 'devices' }, 1);
    } catch (err) {
      sourceUp.set({ source: 'devices' }, 0);
      onError('device status view', err);
    }
  }

  function readCounters() {
    const r = sources.router.stats();
    total(routed, r.routedDocs);
    total(revisions, r.revsDown, { direction: 'down' });
    total(revisions, r.revsUp, { direction: 'up' });
    total(routerErrors, r.errors);
    const s = sources.resolver.stats();
    total(resolved, s.resolved);
    total(needsReview, s.needsReview);
    total(audits, s.audits);
  }

  return {
    contentType: registry.contentType,
    enrolment: (result) => enrolments.inc({ result }),
    signInRefused: (via) => refusedSignIns.inc({ via }),
    provisionRun(kind, seconds, ok) {
      provisionRuns.inc({ kind, result: ok ? 'ok' : 'failed' });
      provisionSeconds.observe({ kind }, seconds);
    },
    async scrape() {
      readCounters();
      await Promise.all([readLag(), readDevices()]);
      return registry.metrics();
    },
  };
}
