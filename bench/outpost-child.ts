/**
 * The whole Outpost server (embedded CouchDB-protocol server, or COUCHDB_URL; provisioner,
 * change router, resolver, `/couch` and `/api`) in its own process for benchmarks; prints one
 * JSON line with its URLs once ready. Run by bench/many-reps.ts and bench/scale.ts with
 * OUTPOST_BENCH_DATA and OUTPOST_BENCH_ADMIN_PASSWORD set. With an IPC channel it answers
 * `{ type: 'stats' }` (people provisioned, router counters, this process's CPU time) and
 * `{ type: 'idle' }` (once the router has nothing left to route).
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
  couchUrl: process.env.COUCHDB_URL || undefined,
  embedded: { dataDir, admin, port: 0 },
  log: () => undefined,
});
console.log(
  JSON.stringify({ url: server.url, couchUrl: server.couchUrl, masterDb: server.masterDb }),
);

/** What the benchmark asks over IPC. */
type Ask = { id: number; type: 'stats' | 'idle' };
process.on('message', (raw: unknown) => {
  const ask = raw as Ask;
  const reply = (body: Record<string, unknown>) => process.send?.({ id: ask.id, ...body });
  if (ask.type === 'stats') {
    const cpu = process.cpuUsage();
    reply({
      people: server.provisioner.people.all().length,
      router: server.router.stats(),
      cpuMs: (cpu.user + cpu.system) / 1000,
      rssMb: Math.round(process.memoryUsage().rss / 1e6),
      heapMb: Math.round(process.memoryUsage().heapUsed / 1e6),
    });
  } else if (ask.type === 'idle') {
    server.router.idle(600_000).then(
      () => reply({ ok: true }),
      (err: unknown) => reply({ ok: false, error: String(err) }),
    );
  }
});
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
