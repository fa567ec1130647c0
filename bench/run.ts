/**
 * `npm run bench`: runs every benchmark case in one process, prints the figures and writes
 * docs/PERFORMANCE.md with the command that produced them. Timings are never asserted in tests.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { benchResolveConflicts } from './resolve-conflicts';
import { benchRouteQuery } from './route-query';
import { benchSyncThroughput } from './sync-throughput';

async function main() {
  const started = new Date().toISOString();
  const route = await benchRouteQuery();
  console.log(route);
  const sync = await benchSyncThroughput();
  console.log(sync);
  const syncDefaults = await benchSyncThroughput({ engine: 'pouchdb-defaults' });
  console.log(syncDefaults);
  const resolve = await benchResolveConflicts();
  console.log(resolve);
  const lines = [
    '# Performance',
    '',
    'Produced by `npm run bench` (bench/run.ts); all figures below come from one run.',
    '',
    `Run: ${started}, Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}).`,
    '',
    '| case | setup | result | target |',
    '|---|---|---|---|',
    `| ${route.name} (memory adapter, node) | ${route.docs} docs, ${route.runs} runs | p50 ${route.p50Ms} ms, p95 ${route.p95Ms} ms | p95 < 50 ms (issue 5 asks for 100k docs in Chromium) |`,
    ...[sync, syncDefaults].map(
      (r) =>
        `| push throughput: ${r.engine === 'startSync' ? 'startSync (pipelined push lane, batch 1000)' : 'plain PouchDB.replicate defaults'} vs raw \`_bulk_docs\` (batches of 1000) | ${r.docs} docs ~350 B, memory -> embedded server (${r.server} process), median of ${r.ratios.length} alternating rounds (${r.ratios.join(', ')}) | raw ${r.rawMs} ms, push ${r.syncMs} ms, **ratio ${r.ratio}** | ${r.engine === 'startSync' ? `>= 0.8 of raw: ${r.ratio >= 0.8 ? 'met' : 'NOT MET'}` : 'reference'} |`,
    ),
    `| resolve 1000 conflicted docs (memory adapter) | ${resolve.docs} docs, ${resolve.leaves} leaves | resolveAll ${resolve.ms} ms; same conflicts on a second replica ${resolve.secondReplicaMs} ms; **new conflicts after syncing both: ${resolve.newConflicts}**, rev mismatches ${resolve.revMismatches} | 0 new conflicts: ${resolve.newConflicts === 0 ? 'met' : 'NOT MET'} |`,
    '',
    "The second push row is PouchDB's own replicator with its defaults, for comparison.",
    'Ratios are measured side by side in this one run; the machine is shared and noisy.',
    '',
  ];
  writeFileSync(new URL('../docs/PERFORMANCE.md', import.meta.url), lines.join('\n'));
  console.log('wrote docs/PERFORMANCE.md');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
