/** Bench: today's-route query (repo.dayRoute) over a local db holding many docs (memory adapter). */
import memory from '../tests/helpers/memory-adapter';
import { createHlc } from '../src/lib/clock/hlc';
import { openLocalDb, registerAdapter } from '../src/lib/db/pouch';
import { ensureIndexes } from '../src/lib/db/indexes';
import { demoDayDocs } from '../src/lib/demo/load';
import { createRepo } from '../src/lib/repo';
import { percentile, round } from './stats';

export interface RouteQueryResult {
  name: string;
  docs: number;
  runs: number;
  p50Ms: number;
  p95Ms: number;
}

/** Fills a db with `days` demo days (about 160 docs each) and times dayRoute for one of them. */
export async function benchRouteQuery(days = 60, runs = 50): Promise<RouteQueryResult> {
  registerAdapter(memory);
  const db = openLocalDb(`bench-route-${Date.now()}`, 'memory');
  const clock = createHlc({ deviceId: 'bench' });
  const seen = new Set<string>();
  let total = 0;
  for (let d = 0; d < days; d++) {
    const date = new Date(Date.UTC(2026, 0, 1) + d * 86_400_000).toISOString().slice(0, 10);
    const docs = demoDayDocs(date, clock).filter((doc) => !seen.has(doc._id));
    docs.forEach((doc) => seen.add(doc._id));
    await db.bulkDocs(docs as unknown as Record<string, unknown>[]);
    total += docs.length;
  }
  await ensureIndexes(db);
  const repo = createRepo(db, { user: 'ana', role: 'rep', clock });
  await repo.dayRoute('2026-01-15'); // warm the index
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const route = await repo.dayRoute('2026-01-15');
    times.push(performance.now() - t0);
    if (route.stops.length !== 20) throw new Error(`expected 20 stops, got ${route.stops.length}`);
  }
  await db.destroy();
  return {
    name: "today's route query",
    docs: total,
    runs,
    p50Ms: round(percentile(times, 50)),
    p95Ms: round(percentile(times, 95)),
  };
}
