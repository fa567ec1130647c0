/**
 * Runs in Chromium (bundled by bench/browser.ts): fills an IndexedDB-backed PouchDB with many
 * days of route history and times the app's own today's-route query (repo.dayRoute) on it.
 */
import idb from 'pouchdb-adapter-idb';
import { createHlc } from '../../src/lib/clock/hlc';
import { ensureIndexes } from '../../src/lib/db/indexes';
import { openLocalDb, registerAdapter } from '../../src/lib/db/pouch';
import { demoDayDocs } from '../../src/lib/demo/load';
import { createRepo } from '../../src/lib/repo';

/** What the page reports back to the bench. */
export interface RouteQueryRun {
  docs: number;
  fillMs: number;
  /** First query: builds the Mango index over every doc. */
  firstQueryMs: number;
  times: number[];
}

/** Fills the db with at least `total` docs of demo days, then times `runs` route queries. */
async function run(total: number, runs: number, today: string): Promise<RouteQueryRun> {
  registerAdapter(idb);
  const db = openLocalDb(`bench-route-${Date.now()}`, 'idb');
  const clock = createHlc({ deviceId: 'bench' });
  const seen = new Set<string>();
  let docs = 0;
  let batch: Record<string, unknown>[] = [];
  const t0 = performance.now();
  for (let d = 0; docs < total; d++) {
    const date = new Date(Date.UTC(2024, 0, 1) + d * 86_400_000).toISOString().slice(0, 10);
    for (const doc of demoDayDocs(date === today ? '1999-01-01' : date, clock)) {
      if (seen.has(doc._id)) continue;
      seen.add(doc._id);
      batch.push(doc as unknown as Record<string, unknown>);
      docs += 1;
    }
    if (batch.length >= 2000) {
      await db.bulkDocs(batch);
      batch = [];
    }
  }
  for (const doc of demoDayDocs(today, clock)) {
    if (!seen.has(doc._id)) batch.push(doc as unknown as Record<string, unknown>);
  }
  docs += batch.length;
  await db.bulkDocs(batch);
  const fillMs = performance.now() - t0;
  await ensureIndexes(db);
  const repo = createRepo(db, { user: 'ana', role: 'rep', clock });
  let t = performance.now();
  const first = await repo.dayRoute(today);
  const firstQueryMs = performance.now() - t;
  if (first.stops.length !== 20) throw new Error(`expected 20 stops, got ${first.stops.length}`);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    const route = await repo.dayRoute(today);
    times.push(performance.now() - t);
    if (route.stops.length !== 20) throw new Error(`expected 20 stops, got ${route.stops.length}`);
  }
  await db.destroy();
  return { docs, fillMs, firstQueryMs, times };
}

(window as unknown as { outpostBench: { run: typeof run } }).outpostBench = { run };
