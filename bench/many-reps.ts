/**
 * Bench: N simulated reps syncing at once against one Outpost server (issue 5: 200 reps,
 * 0 failures). The whole server runs in its own process (bench/outpost-child.ts): embedded
 * CouchDB-protocol server, provisioner, the change router, `/couch`, `/api/enrol`.
 * Each rep is created as a CouchDB user, gets their stops in master, enrols a device through
 * `/api/enrol`, writes a day of check-ins and notes on its memory db, then starts sync through
 * `/couch`, all reps at the same moment. Done when every device is idle with nothing pending
 * and master holds every doc the devices wrote. A failure is a device that did not get there
 * within the bound, or a write that is not in master.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import memory from '../tests/helpers/memory-adapter';
import { createHlc } from '../src/lib/clock/hlc';
import { openLocalDb, registerAdapter, type LocalDb } from '../src/lib/db/pouch';
import { stampNew, type WriteStamp } from '../src/lib/domain/stamp';
import type { BaseDoc } from '../src/lib/domain/types';
import { openRemoteDb } from '../src/lib/sync/remote';
import { startSync, type SyncController } from '../src/lib/sync';
import { startOutpostChild } from './child';
import { percentile, round } from './stats';

export interface ManyRepsResult {
  name: string;
  reps: number;
  docsPerRep: number;
  /** Reps provisioned (user db, security, design doc) and enrolled, ms. */
  setupMs: number;
  /** From all syncs starting to the last device idle with its docs in master, ms. */
  syncMs: number;
  /** From all syncs starting to the last device idle (the rest is the router's way up), ms. */
  lastDeviceMs: number;
  /** CPU time the server process used over `syncMs`. */
  serverCpuMs: number;
  /** Per device: time until idle with nothing pending. */
  deviceP50Ms: number;
  deviceP95Ms: number;
  failures: number;
  /** The first few failures in words. */
  failed: string[];
}

const ADMIN_PASSWORD = `bench-${Date.now()}`;
const PASSWORD = 'many-reps-pw';

/** Progress on stderr (the bench's stdout is its result). */
const progress = (line: string) => process.stderr.write(`many-reps: ${line}\n`);

/** Polls `check` every 250 ms until it is true or `ms` passed; resolves with the outcome. */
async function until(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** A rep's day written offline on the device: a check-in, a check-out and a note per stop. */
function dayOfWork(rep: string, stops: number): BaseDoc[] {
  const clock = createHlc({ deviceId: `${rep}-phone` });
  const stamp = (): WriteStamp => ({ user: rep, deviceId: clock.deviceId, hlc: clock.now() });
  const docs: BaseDoc[] = [];
  for (let s = 1; s <= stops; s++) {
    const stopId = `stop:${rep}-${s}`;
    const accountId = `account:demo-${String(s).padStart(3, '0')}`;
    const at = new Date(Date.UTC(2026, 10, 20, 8, s * 10)).toISOString();
    for (const kind of ['check_in', 'check_out']) {
      const fields = { kind, stopId, accountId, occurredAt: at, deviceTime: at };
      docs.push(stampNew('event', `event:${rep}-${s}-${kind}`, rep, fields, stamp()));
    }
    const note = { text: `Stop ${s} done, all good.`, accountId, stopId, createdAt: at };
    docs.push(stampNew('note', `note:${rep}-${s}`, rep, note, stamp()));
  }
  return docs;
}

/** Runs N reps at once (default 200) with `stops` stops each; see the file comment. */
export async function benchManyReps(reps = 200, stops = 5): Promise<ManyRepsResult> {
  registerAdapter(memory);
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-bench-many-'));
  const server = await startOutpostChild({ dataDir, adminPassword: ADMIN_PASSWORD });
  const couch = server.couch;
  const names = Array.from({ length: reps }, (_, i) => `rep${String(i + 1).padStart(3, '0')}`);
  const devices: { name: string; db: LocalDb; sync?: SyncController; idleAt?: number }[] = [];
  const failed: string[] = [];
  try {
    const setupStart = performance.now();
    // The reps' stops in master: they flow to each rep's db through the filtered replication.
    const planner = createHlc({ deviceId: 'planner' });
    const stamp = (): WriteStamp => ({ user: 'admin', deviceId: 'planner', hlc: planner.now() });
    const plan = names.flatMap((rep) =>
      Array.from({ length: stops }, (_, s) =>
        stampNew(
          'stop',
          `stop:${rep}-${s + 1}`,
          rep,
          {
            date: '2026-11-20',
            seq: s + 1,
            accountId: `account:demo-${String(s + 1).padStart(3, '0')}`,
            assignee: rep,
            window: { start: '08:00', end: '17:00' },
            status: 'planned',
          },
          stamp(),
        ),
      ),
    );
    await couch('POST', `/${server.masterDb}/_bulk_docs`, { docs: plan });
    for (let i = 0; i < names.length; i += 20) {
      const batch = names.slice(i, i + 20).map((name) => ({
        _id: `org.couchdb.user:${name}`,
        name,
        type: 'user',
        roles: ['rep'],
        password: PASSWORD,
        outpost: { team: 'bench', displayName: name },
      }));
      await couch('POST', '/_users/_bulk_docs', { docs: batch });
    }
    progress(`${reps} reps created in _users`);
    // Each rep enrols a device, as the sign-in screen does (the user watcher provisions them),
    // ten sign-ins at a time.
    const enrolled = new Map<string, { db: string; username: string; password: string }>();
    const enrol = async (name: string) => {
      const ok = await until(300_000, async () => {
        const res = await fetch(`${server.url}/api/enrol`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name, password: PASSWORD, deviceId: `${name}-phone` }),
        });
        if (!res.ok) return false;
        const body = (await res.json()) as {
          db: string;
          credentials: { username: string; password: string };
        };
        enrolled.set(name, { db: body.db, ...body.credentials });
        return true;
      });
      if (!ok) failed.push(`${name}: enrolment never succeeded`);
    };
    for (let i = 0; i < names.length; i += 10) {
      await Promise.all(names.slice(i, i + 10).map(enrol));
      progress(`${enrolled.size} devices enrolled`);
    }
    for (const name of names) {
      const db = openLocalDb(`many-${name}-${Date.now()}`, 'memory');
      await db.bulkDocs(dayOfWork(name, stops) as unknown as Record<string, unknown>[]);
      devices.push({ name, db });
    }
    const setupMs = performance.now() - setupStart;
    progress(`setup done in ${round(setupMs / 1000)} s; starting ${devices.length} syncs`);

    const expected = devices.length * stops * 3;
    const masterCount = async () => (await couch('GET', `/${server.masterDb}`)).doc_count as number;
    // Waited on first: looking up every written id costs the server an index read per id, so
    // that check runs only once master's doc count says they could all be there.
    const masterBefore = await masterCount();
    const cpuBefore = (await server.stats()).cpuMs;
    const t0 = performance.now();
    for (const d of devices) {
      const cred = enrolled.get(d.name);
      if (!cred) continue;
      const remote = openRemoteDb(`${server.url}/couch/${cred.db}`, {
        username: cred.username,
        password: cred.password,
      });
      d.sync = startSync(d.db, remote, { deviceId: `${d.name}-phone` });
      d.sync.subscribe((s) => {
        if (s.state === 'idle' && s.pending === 0 && s.docsPulled >= stops)
          d.idleAt ??= performance.now();
        else if (s.pending > 0) d.idleAt = undefined;
      });
    }
    const inMaster = async () => {
      const res = await couch('POST', `/${server.masterDb}/_all_docs`, {
        keys: devices.flatMap((d) => dayOfWork(d.name, stops).map((doc) => doc._id)),
      });
      const rows = res.rows as { error?: string }[];
      return rows.filter((r) => !r.error).length;
    };
    let lastDeviceAt = NaN;
    const settled = await until(600_000, async () => {
      if (devices.some((d) => d.sync && d.idleAt === undefined)) return false;
      if (Number.isNaN(lastDeviceAt)) lastDeviceAt = performance.now();
      if ((await masterCount()) - masterBefore < expected) return false;
      return (await inMaster()) === expected;
    });
    const syncMs = performance.now() - t0;
    const serverCpuMs = (await server.stats()).cpuMs - cpuBefore;
    if (!settled) {
      for (const d of devices) {
        const s = d.sync?.status;
        if (d.sync && d.idleAt === undefined) {
          failed.push(
            `${d.name}: ${s?.state} pending=${s?.pending} ${s?.lastError?.message ?? ''}`,
          );
        }
      }
      failed.push(`master holds ${await inMaster()} of ${expected} device writes`);
    }
    const perDevice = devices.flatMap((d) => (d.idleAt ? [d.idleAt - t0] : []));
    return {
      name: `${reps} simulated reps syncing at once`,
      reps,
      docsPerRep: stops * 3,
      setupMs: round(setupMs),
      syncMs: round(syncMs),
      lastDeviceMs: round(lastDeviceAt - t0),
      serverCpuMs: round(serverCpuMs),
      deviceP50Ms: round(percentile(perDevice, 50)),
      deviceP95Ms: round(percentile(perDevice, 95)),
      failures: failed.length,
      failed: failed.slice(0, 5),
    };
  } finally {
    await Promise.all(devices.map((d) => d.sync?.stop()));
    await Promise.all(devices.map((d) => d.db.destroy()));
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// `npx tsx bench/many-reps.ts [reps]`: this bench alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  benchManyReps(Number(process.argv[2]) || undefined).then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
