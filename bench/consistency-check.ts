/**
 * Bench: what one consistency check (src/lib/sync/consistency.ts) costs a device in sync with its
 * server db of 2000 docs (a rep's day and history): requests, bytes sent and received (bodies
 * and URLs; headers aside), the received bytes gzipped (what a compressing proxy would send), and
 * the time it takes. Nothing differs, so nothing beyond the two listings is asked.
 */
import { gzipSync } from 'node:zlib';
import memory from '../tests/helpers/memory-adapter';
import { openLocalDb, registerAdapter } from '../src/lib/db/pouch';
import { openRemoteDb, type FetchImpl } from '../src/lib/sync/remote';
import { startSync, type SyncController } from '../src/lib/sync';
import { dayDocs, historyDocs } from './first-sync';
import { startBenchCouch } from './server';
import { round } from './stats';

export interface ConsistencyCheckResult {
  name: string;
  docs: number;
  requests: number;
  /** Request URLs and bodies, bytes. */
  sentBytes: number;
  /** Response bodies, bytes. */
  receivedBytes: number;
  receivedGzipBytes: number;
  ms: number;
  /** Docs whose revision differed (0: a device in sync). */
  differed: number;
}

/** Syncs a device with `docs` docs, then measures one check. */
export async function benchConsistencyCheck(docs = 2000): Promise<ConsistencyCheckResult> {
  registerAdapter(memory);
  const couch = await startBenchCouch('child');
  const user = { name: 'ana', password: 'check-pw' };
  const db = 'userdb-check';
  const day = dayDocs();
  const all = [...day, ...historyDocs(docs - day.length)];
  await couch.memberDb(db, user);
  for (let i = 0; i < all.length; i += 1000) {
    await couch.call(couch.adminAuth, 'POST', `/${db}/_bulk_docs`, {
      docs: all.slice(i, i + 1000),
    });
  }
  const counted = { on: false, requests: 0, sent: 0, received: 0, gzip: 0 };
  const fetchImpl: FetchImpl = async (input, init) => {
    const res = await fetch(input, init);
    if (!counted.on) return res;
    const body = new Uint8Array(await res.clone().arrayBuffer());
    counted.requests += 1;
    counted.sent += String(input).length + (typeof init?.body === 'string' ? init.body.length : 0);
    counted.received += body.length;
    counted.gzip += gzipSync(body).length;
    return res;
  };
  const local = openLocalDb(`check-${Date.now()}`, 'memory');
  const remote = openRemoteDb(`${couch.url}/${db}`, {
    username: user.name,
    password: user.password,
    fetchImpl,
  });
  let sync: SyncController | null = null;
  try {
    sync = startSync(local, remote, { deviceId: 'dev-check', check: false });
    const s = sync;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('first sync timed out')), 120_000);
      const unsubscribe = s.subscribe((st) => {
        if (st.docsPulled < all.length || st.state !== 'idle') return;
        clearTimeout(timer);
        queueMicrotask(() => unsubscribe());
        resolve();
      });
    });
    counted.on = true;
    const t0 = performance.now();
    const result = await s.check();
    const ms = performance.now() - t0;
    counted.on = false;
    if (!result) throw new Error('the check did not finish');
    return {
      name: 'consistency check of a device in sync',
      docs: result.compared,
      requests: counted.requests,
      sentBytes: counted.sent,
      receivedBytes: counted.received,
      receivedGzipBytes: counted.gzip,
      ms: round(ms),
      differed: result.differed,
    };
  } finally {
    await sync?.stop();
    await remote.close();
    await local.destroy();
    await couch.close();
  }
}
