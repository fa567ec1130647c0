/**
 * Bench: one server for 1,000 reps (the scale issue). The whole server runs in its own process
 * (bench/outpost-child.ts; embedded CouchDB-protocol server, or a real CouchDB with COUCHDB_URL).
 *  - provisioning: N people written to `_users` at once (teams of 100: 98 reps, 2 supervisors);
 *    time until the server has provisioned every one of them;
 *  - steady load: supervisor edits written into master for sampled reps and rep writes into
 *    their own dbs, 20 writes/s in all; each write's arrival is seen on a continuous `_changes`
 *    feed of the db it should reach (master -> rep db, rep db -> master);
 *  - CPU time of the server process per routed write (server side only, no devices), and its
 *    CPU with nobody writing.
 */
import { pbkdf2Sync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { userDbName } from '../src/lib/domain/db-names';
import { startOutpostChild, type OutpostChild } from './child';
import { percentile, round } from './stats';

export interface LatencyFigures {
  n: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Writes not in the db they should reach when the bench stopped waiting. */
  lost: number;
  /** Writes that did arrive but were not seen on the bench's feed (not in the figures). */
  missedByFeed: number;
}

export interface ScaleRun {
  people: number;
  /** From the `_users` writes to every person provisioned, ms. */
  provisionMs: number;
  perPersonMs: number;
  /** Server CPU time per routed write, ms (the idle CPU of the same span subtracted). */
  cpuPerWriteMs: number;
  /** Server CPU while nobody writes (after the load, settled), % of one core. */
  idleCpuPct: number;
  rssMb: number;
  /** V8 heap in use after the load, MB. */
  heapMb: number;
  /** Only for the run with the steady load. */
  load?: { writesPerSec: number; seconds: number; down: LatencyFigures; up: LatencyFigures };
}

export interface ScaleResult {
  name: string;
  server: string;
  runs: ScaleRun[];
}

const ADMIN_PASSWORD = `bench-${Date.now()}`;
const TEAM_SIZE = 100;
const SUPERVISORS_PER_TEAM = 2;
const progress = (line: string) => process.stderr.write(`scale: ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Everyone of an N-person organisation: teams of 100 with 2 supervisors each. */
function organisation(n: number, run: string) {
  return Array.from({ length: n }, (_, i) => {
    const team = `t${Math.floor(i / TEAM_SIZE)}`;
    const role = i % TEAM_SIZE < SUPERVISORS_PER_TEAM ? 'supervisor' : 'rep';
    return { name: `${run}-${role === 'rep' ? 'r' : 's'}${i}`, role, team };
  });
}

/**
 * Follows a db's `_changes` (longpolls from its `update_seq` when watching began) and records
 * when each doc id first shows up.
 */
function watch(child: OutpostChild, db: string, seen: Map<string, number>): () => void {
  const abort = new AbortController();
  void (async () => {
    let since = '';
    for (let i = 0; i < 50 && !since; i++) {
      // CouchDB may answer 404 for a moment with thousands of dbs and few `max_dbs_open`.
      const info = (await child.couch('GET', `/${db}`).catch(() => null)) as {
        update_seq: string | number;
      } | null;
      if (info) since = String(info.update_seq);
      else await sleep(200);
    }
    while (!abort.signal.aborted) {
      try {
        const res = await fetch(
          `${child.couchUrl}/${db}/_changes?feed=longpoll&timeout=30000&since=${encodeURIComponent(since)}`,
          { headers: { authorization: child.adminAuth }, signal: abort.signal },
        );
        const body = (await res.json()) as { results: { id: string }[]; last_seq: unknown };
        const now = performance.now();
        for (const row of body.results) if (!seen.has(row.id)) seen.set(row.id, now);
        since = String(body.last_seq);
      } catch {
        if (!abort.signal.aborted) await sleep(200);
      }
    }
  })();
  return () => abort.abort();
}

/**
 * A password stored already hashed (PBKDF2-SHA1, 10 rounds: what both servers accept), so the
 * bench measures provisioning, not CouchDB hashing 1,000 passwords at its own (slow, on
 * purpose) default of 600,000 rounds each.
 */
function hashedPassword(password: string) {
  const salt = randomBytes(16).toString('hex');
  const derived = pbkdf2Sync(password, salt, 10, 20, 'sha1').toString('hex');
  return {
    password_scheme: 'pbkdf2',
    pbkdf2_prf: 'sha',
    iterations: 10,
    salt,
    derived_key: derived,
  };
}

/** Writes people into `_users` and waits until the server provisioned all of them. */
async function provision(child: OutpostChild, n: number, run: string) {
  const people = organisation(n, run);
  const password = hashedPassword('scale-bench-pw');
  const started = performance.now();
  for (let i = 0; i < people.length; i += 250) {
    const docs = people.slice(i, i + 250).map((p) => ({
      _id: `org.couchdb.user:${p.name}`,
      name: p.name,
      type: 'user',
      roles: [p.role],
      ...password,
      outpost: { team: p.team },
    }));
    await child.couch('POST', '/_users/_bulk_docs', { docs });
  }
  const deadline = Date.now() + 30 * 60_000;
  let last = 0;
  for (;;) {
    const stats = await child.stats();
    if (stats.people >= n) break;
    if (stats.people - last >= 250 || Date.now() > deadline) {
      progress(`${stats.people}/${n} provisioned`);
      last = stats.people;
    }
    if (Date.now() > deadline) throw new Error(`only ${stats.people} of ${n} provisioned`);
    await sleep(250);
  }
  await child.idle();
  return { people, provisionMs: performance.now() - started };
}

/**
 * CPU time of the whole server side, ms: the app process, plus a real CouchDB's own process
 * when COUCHDB_PID names it (Linux /proc; the embedded server lives inside the app process).
 */
async function serverCpuMs(child: OutpostChild): Promise<number> {
  const app = (await child.stats()).cpuMs;
  const pid = process.env.COUCHDB_PID;
  if (!pid) return app;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, 100 per second
  return app + ticks * 10;
}

/** Server CPU % of one core over `ms` with nobody writing. */
async function idleCpu(child: OutpostChild, ms: number): Promise<number> {
  const a = await serverCpuMs(child);
  await sleep(ms);
  const b = await serverCpuMs(child);
  return ((b - a) / ms) * 100;
}

/**
 * Writes `count` docs at `perSec`, alternating a supervisor edit in master for a rep and a rep
 * write in that rep's own db; returns the write times and which db each should reach.
 */
async function steadyLoad(
  child: OutpostChild,
  reps: string[],
  count: number,
  perSec: number,
): Promise<{ down: Map<string, Written>; up: Map<string, Written> }> {
  const down = new Map<string, Written>();
  const up = new Map<string, Written>();
  const writes: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / perSec;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const rep = reps[i % reps.length];
    const toRep = i % 2 === 0;
    const id = `${toRep ? 'task' : 'note'}:${randomUUID()}`;
    const doc = {
      _id: id,
      type: toRep ? 'task' : 'note',
      schema: 1,
      owner: rep,
      ...(toRep ? { title: 'Restock shelf 4', done: false, stopId: 'stop:x' } : { text: 'ok' }),
      updatedAt: '001795315276320-000000-bench',
      updatedBy: toRep ? 'supervisor' : rep,
      deviceId: 'bench',
    };
    const db = toRep ? child.masterDb : userDbName(rep);
    const target = toRep ? userDbName(rep) : child.masterDb;
    writes.push(
      child
        .couch('PUT', `/${db}/${encodeURIComponent(id)}`, doc)
        .then(() => void (toRep ? down : up).set(id, { at: performance.now(), target })),
    );
  }
  await Promise.all(writes);
  return { down, up };
}

/** A write of the load: when it was acknowledged, and the db it should reach. */
interface Written {
  at: number;
  target: string;
}

/**
 * Latency figures of writes against the arrival times seen on the feeds; a write not seen is
 * looked up in its target db: absent there it is lost, present it was missed by the feed.
 */
async function latency(
  child: OutpostChild,
  written: Map<string, Written>,
  seen: Map<string, number>,
): Promise<LatencyFigures> {
  const ms: number[] = [];
  const unseen = new Map<string, string[]>();
  for (const [id, w] of written) {
    const arrived = seen.get(id);
    if (arrived !== undefined) ms.push(Math.max(0, arrived - w.at));
    else unseen.set(w.target, [...(unseen.get(w.target) ?? []), id]);
  }
  let lost = 0;
  let missedByFeed = 0;
  for (const [db, keys] of unseen) {
    const res = (await child.couch('POST', `/${db}/_all_docs`, { keys })) as {
      rows: { value?: { rev: string } }[];
    };
    for (const row of res.rows) {
      if (row.value) missedByFeed += 1;
      else lost += 1;
    }
  }
  return {
    n: ms.length,
    p50Ms: round(percentile(ms, 50)),
    p95Ms: round(percentile(ms, 95)),
    maxMs: round(Math.max(...ms)),
    lost,
    missedByFeed,
  };
}

/** One server with `n` people; with `load`, the steady load too. */
export async function scaleRun(
  n: number,
  opts: { couchUrl?: string; load?: { seconds: number; perSec: number; sampled: number } },
): Promise<ScaleRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-bench-scale-'));
  const run = `s${Date.now().toString(36)}`;
  const child = await startOutpostChild({
    dataDir,
    adminPassword: ADMIN_PASSWORD,
    couchUrl: opts.couchUrl,
  });
  try {
    progress(`${n} people: provisioning`);
    const { people, provisionMs } = await provision(child, n, run);
    progress(`${n} people provisioned in ${round(provisionMs / 1000)} s`);
    await sleep(10_000); // the last backfills and LevelDB's compactions settle
    const idlePct = await idleCpu(child, 20_000);
    const reps = people.filter((p) => p.role === 'rep').map((p) => p.name);
    const step = Math.max(1, Math.floor(reps.length / (opts.load?.sampled ?? 20)));
    const sampled = reps.filter((_, i) => i % step === 0).slice(0, opts.load?.sampled ?? 20);
    const seen = new Map<string, number>();
    const stops = [child.masterDb, ...sampled.map(userDbName)].map((db) => watch(child, db, seen));
    await sleep(1000); // the feeds are open
    const perSec = opts.load?.perSec ?? 20;
    const count = Math.round((opts.load?.seconds ?? 20) * perSec);
    const before = await serverCpuMs(child);
    const t0 = performance.now();
    const written = await steadyLoad(child, sampled, count, perSec);
    const arrived = () =>
      [...written.down.keys(), ...written.up.keys()].every((id) => seen.has(id));
    const deadline = Date.now() + 60_000;
    while (!arrived() && Date.now() < deadline) await sleep(100);
    await child.idle();
    const after = await serverCpuMs(child);
    const { rssMb, heapMb } = await child.stats();
    const spanMs = performance.now() - t0;
    for (const stop of stops) stop();
    const cpuPerWriteMs = (after - before - (idlePct / 100) * spanMs) / count;
    await sleep(10_000);
    const idleAfterPct = await idleCpu(child, 20_000);
    const result: ScaleRun = {
      people: n,
      provisionMs: round(provisionMs),
      perPersonMs: round(provisionMs / n),
      cpuPerWriteMs: round(cpuPerWriteMs, 2),
      idleCpuPct: round(idleAfterPct, 2),
      rssMb,
      heapMb,
    };
    if (opts.load) {
      result.load = {
        writesPerSec: perSec,
        seconds: opts.load.seconds,
        down: await latency(child, written.down, seen),
        up: await latency(child, written.up, seen),
      };
    }
    progress(JSON.stringify(result));
    return result;
  } finally {
    await child.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Runs the scale bench: 1,000 people with the steady load, and the CPU per routed write at
 * each size in `sizes` (default 100, 1,000, 5,000).
 */
export async function benchScale(
  opts: { sizes?: number[]; couchUrl?: string; loadSeconds?: number } = {},
): Promise<ScaleResult> {
  const sizes = opts.sizes ?? [100, 1000, 5000];
  const runs: ScaleRun[] = [];
  for (const n of sizes) {
    runs.push(
      await scaleRun(n, {
        couchUrl: opts.couchUrl,
        load: n === 1000 ? { seconds: opts.loadSeconds ?? 60, perSec: 20, sampled: 50 } : undefined,
      }),
    );
  }
  return {
    name: '1,000 reps on one server',
    server: opts.couchUrl ? 'real CouchDB (COUCHDB_URL)' : 'embedded server',
    runs,
  };
}

// `npx tsx bench/scale.ts [sizes...]`: this bench alone (COUCHDB_URL: against a real CouchDB).
if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = process.argv.slice(2).map(Number).filter(Boolean);
  benchScale({
    sizes: sizes.length ? sizes : undefined,
    couchUrl: process.env.COUCHDB_URL || undefined,
  }).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

/** The PERFORMANCE.md rows of a scale result (targets of the scale issue). */
export function scaleRows(r: ScaleResult): string[] {
  const first = r.runs[0];
  const last = r.runs[r.runs.length - 1];
  const ratio = first && last ? round(last.cpuPerWriteMs / first.cpuPerWriteMs, 2) : NaN;
  const rows = r.runs.map((run) => {
    const load = run.load
      ? `; under ${run.load.writesPerSec} writes/s for ${run.load.seconds} s: master -> rep db p50 ${run.load.down.p50Ms} ms, **p95 ${run.load.down.p95Ms} ms**, max ${run.load.down.maxMs} ms; rep db -> master p50 ${run.load.up.p50Ms} ms, **p95 ${run.load.up.p95Ms} ms**, max ${run.load.up.maxMs} ms; lost ${run.load.down.lost + run.load.up.lost}`
      : '';
    const target = run.load
      ? `provisioned < 120 s: ${run.provisionMs < 120_000 ? 'met' : 'NOT MET'}; p95 < 1 s both ways: ${run.load.down.p95Ms < 1000 && run.load.up.p95Ms < 1000 ? 'met' : 'NOT MET'}; idle: ${run.idleCpuPct < 1 ? 'met' : 'NOT MET'}`
      : `idle: ${run.idleCpuPct < 1 ? 'met' : 'NOT MET'}`;
    return `| ${r.name}: ${run.people} people (${r.server}, own process) | teams of 100 (2 supervisors), written to \`_users\` at once; server-side only, no devices | provisioned in ${round(run.provisionMs / 1000)} s (${run.perPersonMs} ms/person); **${run.cpuPerWriteMs} ms server CPU per routed write**; idle ${run.idleCpuPct} % of a core, RSS ${run.rssMb} MB (heap ${run.heapMb} MB)${load} | ${target} |`;
  });
  rows.push(
    `| ${r.name}: CPU per routed write, ${last?.people} vs ${first?.people} people | same runs | **${ratio}x** | within 1.5x: ${ratio <= 1.5 ? 'met' : 'NOT MET'} |`,
  );
  return rows;
}
