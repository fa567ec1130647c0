/**
 * CouchDB's `_replicator` emulated for the embedded server. express-pouchdb's own replicator
 * pulls over HTTP, and selector pulls crash it (DESIGN.md section 10), so here every
 * `_replicator` doc is run in-process as a PouchDB replication between the local LevelDB
 * databases. The provisioner writes the same `_replicator` docs on both servers; only who
 * runs them differs. State is served like CouchDB's `_scheduler/docs` (see compat.ts).
 */

import { isValidDbName } from './compat';

type Endpoint = string | { url: string; headers?: Record<string, string> };

interface ReplicatorDoc {
  _id: string;
  _rev: string;
  _deleted?: boolean;
  source?: Endpoint;
  target?: Endpoint;
  selector?: Record<string, unknown>;
  continuous?: boolean;
  create_target?: boolean;
}

/** What `GET /_scheduler/docs/_replicator/<id>` answers. */
export interface SchedulerDoc {
  database: '_replicator';
  doc_id: string;
  id: null;
  source: string;
  target: string;
  state: 'initializing' | 'running' | 'completed' | 'pending' | 'crashing' | 'failed';
  error_count: number;
  info: {
    docs_read: number;
    docs_written: number;
    doc_write_failures: number;
    error?: string;
  } | null;
  start_time: string;
  last_updated: string;
}

interface Job {
  rev: string;
  cancel(): void;
  state: SchedulerDoc;
}

export interface ReplicatorEmulation {
  /** Scheduler state of one replicator doc, or null when unknown. */
  schedulerDoc(docId: string): SchedulerDoc | null;
  /** Scheduler state of every replicator doc. */
  schedulerDocs(): SchedulerDoc[];
  stop(): Promise<void>;
}

const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Starts following `_replicator` and running its docs against the local databases. */
export function startReplicatorEmulation(opts: {
  PouchDB: PouchDB.Static;
  /** Base URL of the embedded server; endpoints on it map to local databases. */
  selfUrl: string;
  log?: (message: string) => void;
}): ReplicatorEmulation {
  const { PouchDB } = opts;
  const log = opts.log ?? (() => {});
  const self = new URL(opts.selfUrl);
  const jobs = new Map<string, Job>();
  const replicatorDb = new PouchDB('_replicator');

  /** The endpoint's URL; throws for anything but a string or `{ url: string }` (an admin's typo). */
  function endpointUrl(e: unknown): string {
    const url = typeof e === 'string' ? e : (e as { url?: unknown } | null)?.url;
    if (typeof url !== 'string') throw new Error('source and target must be URLs');
    return url;
  }

  /** A local database by name; only names CouchDB accepts, so none points outside the data folder. */
  function local(name: string): PouchDB.Database {
    if (!isValidDbName(name)) throw new Error(`not a valid database name: ${name}`);
    return new PouchDB(name);
  }

  function open(e: Endpoint): PouchDB.Database {
    const raw = endpointUrl(e);
    if (!/^https?:/i.test(raw)) return local(raw);
    const url = new URL(raw);
    const isSelf =
      url.port === self.port && ['127.0.0.1', 'localhost', self.hostname].includes(url.hostname);
    if (isSelf) return local(decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, '')));
    const headers = typeof e === 'string' ? {} : (e.headers ?? {});
    return new PouchDB(raw, {
      fetch: (u: string | Request, init?: RequestInit) => {
        const h = new Headers(init?.headers);
        for (const [k, v] of Object.entries(headers)) h.set(k, v);
        return fetch(u, { ...init, headers: h });
      },
    } as PouchDB.Configuration.RemoteDatabaseConfiguration);
  }

  function start(doc: ReplicatorDoc) {
    stopJob(doc._id);
    if (!doc.source || !doc.target) return;
    const shown = (e: Endpoint) => {
      try {
        return endpointUrl(e).replace(/\/?$/, '/');
      } catch {
        return '';
      }
    };
    const state: SchedulerDoc = {
      database: '_replicator',
      doc_id: doc._id,
      id: null,
      source: shown(doc.source),
      target: shown(doc.target),
      state: 'running',
      error_count: 0,
      info: { docs_read: 0, docs_written: 0, doc_write_failures: 0 },
      start_time: nowIso(),
      last_updated: nowIso(),
    };
    const options: PouchDB.Replication.ReplicateOptions & { selector?: unknown } = {
      live: doc.continuous === true,
      retry: doc.continuous === true,
      batch_size: 500,
    };
    if (doc.selector) options.selector = doc.selector;
    let source: PouchDB.Database;
    let target: PouchDB.Database;
    try {
      source = open(doc.source);
      target = open(doc.target);
    } catch (err) {
      // CouchDB marks such a doc failed in `_scheduler/docs`; so does the emulation.
      const error = (err as Error).message;
      state.state = 'failed';
      state.info = { docs_read: 0, docs_written: 0, doc_write_failures: 0, error };
      jobs.set(doc._id, { rev: doc._rev, cancel: () => {}, state });
      log(`replication ${doc._id} failed: ${error}`);
      return;
    }
    const rep = PouchDB.replicate(source, target, options);
    const touch = (s: SchedulerDoc['state']) => {
      state.state = s;
      state.last_updated = nowIso();
    };
    rep.on('change', (info) => {
      state.info = {
        docs_read: info.docs_read,
        docs_written: info.docs_written,
        doc_write_failures: info.doc_write_failures,
      };
      touch('running');
    });
    rep.on('paused', (err) => touch(err ? 'crashing' : 'running'));
    rep.on('complete', () => touch('completed'));
    rep.on('error', (err) => {
      state.error_count += 1;
      state.info = {
        ...(state.info ?? { docs_read: 0, docs_written: 0, doc_write_failures: 0 }),
        error: String((err as Error)?.message ?? err),
      };
      touch('failed');
      log(`replication ${doc._id} failed: ${String((err as Error)?.message ?? err)}`);
    });
    jobs.set(doc._id, { rev: doc._rev, cancel: () => rep.cancel(), state });
  }

  function stopJob(id: string) {
    const job = jobs.get(id);
    if (job) {
      job.cancel();
      jobs.delete(id);
    }
  }

  const feed = replicatorDb
    .changes({ live: true, since: 0, include_docs: true })
    .on('change', (change) => {
      const doc = change.doc as unknown as ReplicatorDoc | undefined;
      if (!doc || doc._id.startsWith('_design/')) return;
      if (change.deleted || doc._deleted) stopJob(doc._id);
      else if (jobs.get(doc._id)?.rev !== doc._rev) start(doc);
    })
    .on('error', (err) => log(`_replicator feed stopped: ${String(err)}`));

  return {
    schedulerDoc: (id) => jobs.get(id)?.state ?? null,
    schedulerDocs: () => [...jobs.values()].map((j) => j.state),
    async stop() {
      feed.cancel();
      for (const id of [...jobs.keys()]) stopJob(id);
      await replicatorDb.close().catch(() => {});
    },
  };
}
