/** Bench: offline product search (repo.searchProducts) over the demo catalogue scaled up (memory adapter). */
import memory from '../tests/helpers/memory-adapter';
import { createHlc } from '../src/lib/clock/hlc';
import { openLocalDb, registerAdapter } from '../src/lib/db/pouch';
import { demoProducts } from '../src/lib/demo/catalogue';
import { demoDayDocs } from '../src/lib/demo/load';
import { makeId } from '../src/lib/domain/ids';
import { stampNew } from '../src/lib/domain/stamp';
import { createRepo } from '../src/lib/repo';
import { percentile, round } from './stats';

export interface CatalogueSearchResult {
  name: string;
  products: number;
  otherDocs: number;
  runs: number;
  /** First search: builds the in-memory index from allDocs. */
  coldMs: number;
  p50Ms: number;
  p95Ms: number;
  /** First search after one product changed (index rebuilt). */
  afterWriteMs: number;
}

/** What a rep types, keystroke by keystroke, in a few searches. */
const QUERIES = ['c', 'ca', 'caf', 'cafe', 'cafe b', 'g', 'gl', 'glass', 'cln-5', 'milk 2', 'zzz'];

/** Fills a db with `products` catalogue entries (demo catalogue variants) and a demo day. */
export async function benchCatalogueSearch(
  products = 5000,
  rounds = 20,
): Promise<CatalogueSearchResult> {
  registerAdapter(memory);
  const db = openLocalDb(`bench-catalogue-${Date.now()}`, 'memory');
  const clock = createHlc({ deviceId: 'bench' });
  const stamp = () => ({ user: 'sam', deviceId: 'bench', hlc: clock.now() });
  const base = demoProducts();
  const docs = Array.from({ length: products }, (_, i) => {
    const p = base[i % base.length];
    const variant = Math.floor(i / base.length);
    const sku = variant === 0 ? p.sku : `${p.sku}-V${variant}`;
    const name = variant === 0 ? p.name : `${p.name} Variant ${variant}`;
    return stampNew('product', makeId('product', sku), 'sam', { ...p, sku, name }, stamp());
  });
  for (let i = 0; i < docs.length; i += 1000) {
    await db.bulkDocs(docs.slice(i, i + 1000) as unknown as Record<string, unknown>[]);
  }
  const day = demoDayDocs('2026-01-15', clock).filter((d) => d.type !== 'product');
  await db.bulkDocs(day as unknown as Record<string, unknown>[]);
  const repo = createRepo(db, { user: 'ana', role: 'rep', clock });

  let t0 = performance.now();
  await repo.searchProducts('cafe');
  const coldMs = performance.now() - t0;
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const q of QUERIES) {
      t0 = performance.now();
      const found = await repo.searchProducts(q);
      times.push(performance.now() - t0);
      if (q === 'cafe' && found.length === 0) throw new Error('search found no coffee');
    }
  }
  const changed = await db.get('product:BEV-1001');
  await db.put({ ...changed, name: 'Spring Water 16.9 oz Case' });
  t0 = performance.now();
  await repo.searchProducts('spring');
  const afterWriteMs = performance.now() - t0;
  await db.destroy();
  return {
    name: 'catalogue search as you type',
    products,
    otherDocs: day.length,
    runs: times.length,
    coldMs: round(coldMs),
    p50Ms: round(percentile(times, 50), 2),
    p95Ms: round(percentile(times, 95), 2),
    afterWriteMs: round(afterWriteMs),
  };
}
