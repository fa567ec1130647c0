/**
 * Bench: push throughput of startSync (memory db -> embedded server over HTTP) against the same
 * docs sent with raw `_bulk_docs` (batches of 1000, plain fetch), both as the db's member. The
 * server runs in a child process by default, as it does for a device; `server: 'in-process'`
 * shares one event loop between client and server (slower sync: PouchDB then forms small batches).
 */
import memory from '../tests/helpers/memory-adapter';
import { openLocalDb, registerAdapter } from '../src/lib/db/pouch';
import { openRemoteDb } from '../src/lib/sync/remote';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_BATCHES_LIMIT,
  startSync,
  type SyncStatus,
} from '../src/lib/sync';
import { startBenchCouch } from './server';
import { round } from './stats';

export interface SyncThroughputOptions {
  /** Docs to push (default 10 000). */
  docs?: number;
  /** startSync's batch size and read-ahead (default: its own defaults). */
  batchSize?: number;
  batchesLimit?: number;
  /** Docs per raw `_bulk_docs` request (default 1000). */
  rawBatch?: number;
  /** 'startSync' (default), or plain `PouchDB.replicate` with its defaults for comparison. */
  engine?: 'startSync' | 'pouchdb-defaults';
  /** Alternating raw/sync rounds; the median round is reported (default 3). */
  rounds?: number;
  /** Where the embedded server runs (default 'child'); 'real': the CouchDB of COUCHDB_URL. */
  server?: 'child' | 'in-process' | 'real';
}

export interface SyncThroughputResult {
  name: string;
  docs: number;
  rawMs: number;
  syncMs: number;
  /** Sync throughput as a fraction of raw `_bulk_docs` throughput (rawMs / syncMs), median round. */
  ratio: number;
  /** The same docs sent as replicated revisions (`new_edits: false`): the protocol's floor. */
  rawReplicatedMs: number;
  /** Sync throughput as a fraction of that (rawReplicatedMs / syncMs), median round. */
  replicatedRatio: number;
  /** The ratio of every round, in order. */
  ratios: number[];
  engine: 'startSync' | 'pouchdb-defaults';
  batchSize: number;
  batchesLimit: number;
  server: 'child' | 'in-process' | 'real';
}

/** A doc of about 350 bytes of JSON, shaped like an Outpost note. */
function benchDoc(i: number) {
  const key = String(i).padStart(6, '0');
  return {
    _id: `note:bench-${key}`,
    type: 'note',
    schema: 1,
    owner: 'bench',
    updatedAt: `000001795340000-${key}-dev-bench`,
    updatedBy: 'bench',
    deviceId: 'dev-bench',
    stopId: `stop:bench-${String(i % 500).padStart(4, '0')}`,
    text: `Shelf count done, restocked aisle ${i % 40}; customer asked about the new price list. ${'.'.repeat(60)}`,
  };
}

/** Pushes N docs through startSync and through raw `_bulk_docs`; returns both times and the ratio. */
export async function benchSyncThroughput(
  opts: SyncThroughputOptions = {},
): Promise<SyncThroughputResult> {
  const n = opts.docs ?? 10_000;
  const rawBatch = opts.rawBatch ?? 1000;
  const server = opts.server ?? 'child';
  registerAdapter(memory);
  const couch = await startBenchCouch(server);
  const { call, adminAuth } = couch;
  const run = Date.now().toString(36);
  const user = { name: `bench-${run}`, password: 'bench-pw' };
  let userAuth = '';
  const docs = Array.from({ length: n }, (_, i) => benchDoc(i));
  const rounds = opts.rounds ?? 3;
  const locals: ReturnType<typeof openLocalDb>[] = [];

  /** One round: raw then sync on fresh dbs, back to back, so both see the same machine load. */
  async function round_(r: number) {
    const [rawDb, repDb, syncDb] = ['raw', 'rep', 'sync'].map((k) => `bench-${k}-${run}-${r}`);
    for (const db of [rawDb, repDb, syncDb]) userAuth = await couch.memberDb(db, user);
    const local = openLocalDb(`bench-sync-${Date.now()}-${r}`, 'memory');
    locals.push(local);
    await local.bulkDocs(docs);

    let t0 = performance.now();
    for (let i = 0; i < n; i += rawBatch) {
      await call(userAuth, 'POST', `/${rawDb}/_bulk_docs`, {
        docs: docs.slice(i, i + rawBatch),
      });
    }
    const rawMs = performance.now() - t0;

    // The revisions the device holds, sent as a replicator sends them.
    const held = await local.allDocs({ include_docs: true });
    const replicated = held.rows.map((row) => {
      const [start, hash] = row.value.rev.split('-');
      return { ...row.doc, _revisions: { start: Number(start), ids: [hash] } };
    });
    t0 = performance.now();
    for (let i = 0; i < n; i += rawBatch) {
      await call(userAuth, 'POST', `/${repDb}/_bulk_docs`, {
        docs: replicated.slice(i, i + rawBatch),
        new_edits: false,
      });
    }
    const rawReplicatedMs = performance.now() - t0;

    t0 = performance.now();
    const remote = openRemoteDb(`${couch.url}/${syncDb}`, {
      username: user.name,
      password: user.password,
    });
    if (opts.engine === 'pouchdb-defaults') {
      // Plain PouchDB replication with its defaults (batch_size 100, batches_limit 10).
      await local.replicate.to(remote);
    } else {
      const sync = startSync(local, remote, {
        deviceId: 'dev-bench',
        batchSize: opts.batchSize,
        batchesLimit: opts.batchesLimit,
      });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('sync bench timed out')), 300_000);
        // Push throughput: done when the push lane has every doc confirmed on the server (the
        // pull lane reading those docs back afterwards is not part of pushing them).
        const done = (s: SyncStatus) => s.docsPushed >= n && s.pending === 0;
        const unsubscribe = sync.subscribe((s) => {
          if (!done(s)) return;
          clearTimeout(timer);
          queueMicrotask(() => unsubscribe());
          resolve();
        });
      });
      await sync.stop();
    }
    const syncMs = performance.now() - t0;
    await remote.close();
    const info = (await call(adminAuth, 'GET', `/${syncDb}`)) as { doc_count: number };
    if (info.doc_count !== n)
      throw new Error(`expected ${n} docs on the server, found ${info.doc_count}`);
    return { rawMs, rawReplicatedMs, syncMs, ratio: rawMs / syncMs };
  }

  try {
    const results = [];
    for (let r = 0; r < rounds; r++) results.push(await round_(r));
    const median = [...results].sort((a, b) => a.ratio - b.ratio)[Math.floor(results.length / 2)];
    return {
      name: 'sync push throughput vs raw _bulk_docs',
      docs: n,
      rawMs: round(median.rawMs),
      syncMs: round(median.syncMs),
      ratio: round(median.ratio, 2),
      ratios: results.map((x) => round(x.ratio, 2)),
      rawReplicatedMs: round(median.rawReplicatedMs),
      replicatedRatio: round(median.rawReplicatedMs / median.syncMs, 2),
      engine: opts.engine ?? 'startSync',
      batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
      batchesLimit: opts.batchesLimit ?? DEFAULT_BATCHES_LIMIT,
      server,
    };
  } finally {
    await Promise.all(locals.map((l) => l.destroy().catch(() => undefined)));
    await couch.close();
  }
}
