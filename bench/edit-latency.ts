/**
 * Bench: an edit on device A visible on device B (issue 5). Two devices of one rep, each a
 * memory db running startSync live against the rep's db on the embedded server (loopback).
 * Each run edits a note on A and waits for that revision in B's local changes feed.
 */
import memory from '../tests/helpers/memory-adapter';
import { openLocalDb, registerAdapter, type LocalDb } from '../src/lib/db/pouch';
import { openRemoteDb } from '../src/lib/sync/remote';
import { startSync, type SyncController } from '../src/lib/sync';
import { startBenchCouch } from './server';
import { percentile, round } from './stats';

export interface EditLatencyResult {
  name: string;
  runs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

const NOTE_ID = 'note:latency';

/** Resolves once `sync` reports idle with nothing pending. */
function idle(sync: SyncController): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sync never became idle')), 30_000);
    const unsubscribe = sync.subscribe((s) => {
      if (s.state !== 'idle' || s.pending > 0) return;
      clearTimeout(timer);
      queueMicrotask(() => unsubscribe());
      resolve();
    });
  });
}

/** Times `runs` edits from A to B; the pause between runs varies from 0 to 200 ms. */
export async function benchEditLatency(runs = 60): Promise<EditLatencyResult> {
  registerAdapter(memory);
  const couch = await startBenchCouch('child');
  const user = { name: 'ana', password: 'latency-pw' };
  await couch.memberDb('userdb-latency', user);
  const device = (label: string): { db: LocalDb; sync: SyncController } => {
    const db = openLocalDb(`latency-${label}-${Date.now()}`, 'memory');
    const remote = openRemoteDb(`${couch.url}/userdb-latency`, {
      username: user.name,
      password: user.password,
    });
    return { db, sync: startSync(db, remote, { deviceId: `dev-${label}` }) };
  };
  const a = device('a');
  const b = device('b');
  try {
    const first = await a.db.put({ _id: NOTE_ID, type: 'note', owner: 'ana', text: 'v0' });
    let rev = first.rev;
    await Promise.all([idle(a.sync), idle(b.sync)]);
    const seen = new Map<string, number>();
    let waiting: { rev: string; resolve: () => void } | null = null;
    const feed = b.db.changes({ live: true, since: 'now' }).on('change', (c) => {
      for (const ch of c.changes) seen.set(ch.rev, performance.now());
      if (waiting && seen.has(waiting.rev)) waiting.resolve();
    });
    const times: number[] = [];
    try {
      for (let i = 1; i <= runs; i++) {
        await new Promise((r) => setTimeout(r, (i * 37) % 200));
        const t0 = performance.now();
        const res = await a.db.put({
          _id: NOTE_ID,
          _rev: rev,
          type: 'note',
          owner: 'ana',
          text: `v${i}`,
        });
        rev = res.rev;
        const target = rev;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`edit ${i} never reached B`)), 30_000);
          waiting = {
            rev: target,
            resolve: () => {
              clearTimeout(timer);
              resolve();
            },
          };
          if (seen.has(target)) waiting.resolve();
        });
        times.push((seen.get(target) ?? NaN) - t0);
      }
    } finally {
      feed.cancel();
    }
    return {
      name: 'edit on device A visible on device B',
      runs,
      p50Ms: round(percentile(times, 50)),
      p95Ms: round(percentile(times, 95)),
      maxMs: round(Math.max(...times)),
    };
  } finally {
    await Promise.all([a.sync.stop(), b.sync.stop()]);
    await Promise.all([a.db.destroy(), b.db.destroy()]);
    await couch.close();
  }
}
