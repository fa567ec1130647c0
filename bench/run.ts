/**
 * `npm run bench`: runs every benchmark case in one process, prints the figures and writes
 * docs/PERFORMANCE.md with the command that produced them. Timings are never asserted in tests.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { benchRouteQuery } from './route-query';

async function main() {
  const started = new Date().toISOString();
  const route = await benchRouteQuery();
  console.log(route);
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
    '',
  ];
  writeFileSync(new URL('../docs/PERFORMANCE.md', import.meta.url), lines.join('\n'));
  console.log('wrote docs/PERFORMANCE.md');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
