/**
 * The whole Outpost server (embedded CouchDB-protocol server, provisioner, resolver, `/couch`
 * and `/api`) in its own process for benchmarks; prints one JSON line with its URLs once ready.
 * Run by bench/many-reps.ts with OUTPOST_BENCH_DATA and OUTPOST_BENCH_ADMIN_PASSWORD set.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOutpost } from '../src/lib/server/outpost';

const dataDir = process.env.OUTPOST_BENCH_DATA ?? mkdtempSync(join(tmpdir(), 'outpost-bench-'));
const admin = {
  name: 'admin',
  password: process.env.OUTPOST_BENCH_ADMIN_PASSWORD ?? 'bench-admin',
};
const server = await startOutpost({
  buildDir: mkdtempSync(join(tmpdir(), 'outpost-bench-build-')),
  port: 0,
  host: '127.0.0.1',
  embedded: { dataDir, admin, port: 0 },
  log: () => undefined,
});
console.log(
  JSON.stringify({ url: server.url, couchUrl: server.couchUrl, masterDb: server.masterDb }),
);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
