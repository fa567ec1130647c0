/**
 * Bench: what device status docs add to the bytes a rep's device syncs in a day (issue 14,
 * target < 1 %). Method: the whole server in this process (startOutpost: `/couch` front, router,
 * embedded CouchDB-protocol server); a rep's device (memory db, startSync through `/couch` with
 * its enrolled credential) plays a 9-hour day on a virtual clock, twice, as two reps of the same
 * team: once without the status writer, once with it. Every byte on the wire is counted (request
 * line, headers, bodies, both ways). The day: the morning plan arrives (20 stops and their
 * tasks; the accounts were on the device already), then at each stop, 25 minutes apart: check in,
 * tick the tasks, a note at every other stop, check out; then the app stays open until 17:00.
 * The writer runs on the virtual clock (settle, least interval, heartbeat), so the number of
 * status revisions is what a real day writes. The lanes' idle restarts (every 2 quiet minutes)
 * are off during the run, counted on the virtual clock and measured once (bytes each); photos
 * (one per stop) are not sent but counted at the size the photo bench measured. Reported: the
 * share of the work's bytes alone (strictest), and of the whole day (work, idle restarts,
 * photos).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import memory from '../tests/helpers/memory-adapter';
import { createHlc, type Hlc } from '../src/lib/clock/hlc';
import { openLocalDb, registerAdapter, type LocalDb } from '../src/lib/db/pouch';
import { demoDayDocs } from '../src/lib/demo/load';
import { startDeviceStatus, type StatusTimers } from '../src/lib/device/status-writer';
import { createRepo } from '../src/lib/repo';
import { IDLE_RESTART_MS, startSync, type SyncController } from '../src/lib/sync';
import { openRemoteDb, type FetchImpl } from '../src/lib/sync/remote';
import { startOutpost, type RunningOutpost } from '../src/lib/server/outpost';
import { userDbName } from '../src/lib/server/provision/names';
import { addPerson, createDeviceUser } from '../src/lib/server/provision/users';
import { round } from './stats';

registerAdapter(memory);

export interface StatusBytesResult {
  name: string;
  stops: number;
  /** Bytes of the day's work without status docs (pushes and pulls). */
  workBytes: number;
  /** The same day's work with the status writer. */
  withStatusBytes: number;
  statusBytes: number;
  statusWrites: number;
  /** Bytes per status revision on the wire (its push, checkpoint, the pull's notice). */
  bytesPerWrite: number;
  /** Lane restarts after 2 idle minutes in the day (app open 06:30-17:00), and bytes each. */
  idleRestarts: number;
  idleRestartBytes: number;
  /** Photos of the realistic day (one per stop) at the measured compressed size. */
  photoBytes: number;
  /** statusBytes / work only, percent (the strictest reading). */
  workSharePercent: number;
  /** statusBytes / (work + idle restarts), percent: the day without photos. */
  noPhotoSharePercent: number;
  /** statusBytes / (work + idle restarts + photos), percent: the realistic day. */
  daySharePercent: number;
}

/**
 * A compressed photo as the photo bench measured it (PERFORMANCE.md: 231-241 KB full image at
 * 1600x1200, 8 KB thumbnail), plus its doc: what one photo adds to a day's sync.
 */
const PHOTO_BYTES = 250_000;

const DATE = '2026-11-20';
const MIN = 60_000;
const TEAM = 'north';
const PASSWORD = 'bench-password-1';

/** Counts every byte of the requests made through it (line, headers and bodies, both ways). */
function countingFetch(): { fetch: FetchImpl; bytes(): number; reset(): void } {
  let total = 0;
  const headerBytes = (h: Headers) => {
    let n = 0;
    h.forEach((v, k) => (n += k.length + v.length + 4));
    return n;
  };
  const impl: FetchImpl = async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const body = init.body;
    const sent =
      typeof body === 'string'
        ? Buffer.byteLength(body)
        : body instanceof Uint8Array || body instanceof ArrayBuffer
          ? body.byteLength
          : body instanceof Blob
            ? body.size
            : 0;
    total +=
      `${init.method ?? 'GET'} ${url.pathname}${url.search} HTTP/1.1\r\n`.length +
      headerBytes(new Headers(init.headers)) +
      `host: ${url.host}\r\n\r\n`.length +
      sent;
    const before = total;
    const res = await fetch(input, init);
    total += `HTTP/1.1 ${res.status} ${res.statusText}\r\n`.length + headerBytes(res.headers) + 2;
    const copy = res.clone();
    void copy.arrayBuffer().then(
      (b) => {
        total += b.byteLength;
        if (process.env.OUTPOST_BENCH_DEBUG) {
          console.log(
            `${init.method ?? 'GET'} ${url.pathname}${url.search.slice(0, 60)} sent ${sent} got ${b.byteLength} total ${total - before}`,
          );
        }
      },
      () => undefined,
    );
    return res;
  };
  return { fetch: impl, bytes: () => total, reset: () => (total = 0) };
}

/** Timers on a virtual clock: due callbacks run when the test moves the clock. */
function virtualTimers(now: () => number): StatusTimers & { due(): (() => void)[] } {
  const pending = new Set<{ at: number; fn: () => void }>();
  return {
    set(fn, ms) {
      const t = { at: now() + ms, fn };
      pending.add(t);
      return t;
    },
    clear(handle) {
      pending.delete(handle as { at: number; fn: () => void });
    },
    due() {
      const ready = [...pending].filter((t) => t.at <= now()).sort((a, b) => a.at - b.at);
      for (const t of ready) pending.delete(t);
      return ready.map((t) => t.fn);
    },
  };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`status-bytes bench: timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Device {
  local: LocalDb;
  sync: SyncController;
  clock: Hlc;
  counter: ReturnType<typeof countingFetch>;
  username: string;
}

async function device(server: RunningOutpost, rep: string, wall: () => number): Promise<Device> {
  const deviceId = `dev-${rep}`;
  const cred = await createDeviceUser(server.couchAdmin, rep, deviceId, 'bench phone');
  const clock = createHlc({ deviceId, wallClock: wall });
  const local = openLocalDb(`status-bytes-${rep}-${Date.now()}`, 'memory');
  const counter = countingFetch();
  // No server offset learned: the virtual clock is the device's (and its corrected) time.
  const remote = openRemoteDb(`${server.url}/couch/${userDbName(rep)}`, {
    ...cred,
    fetchImpl: counter.fetch,
  });
  const sync = startSync(local, remote, { deviceId, idleRestartMs: 0, now: wall });
  return { local, sync, clock, counter, username: cred.username };
}

const settled = (d: Device) =>
  until('sync idle', () => d.sync.status.state === 'idle' && d.sync.status.pending === 0);

/** The rep's stops and tasks of a demo day (ana's, renamed) with the accounts they name. */
function planOf(rep: string, date: string) {
  const docs = demoDayDocs(date, createHlc({ deviceId: 'planner' }));
  const mine = docs
    .filter((d) => (d.type === 'stop' || d.type === 'task') && d.owner === 'ana')
    .map((d) => {
      const own = (id: string) => id.replace('-ana-', `-${rep}-`);
      const stopId = (d as { stopId?: string }).stopId;
      return {
        ...d,
        _id: own(d._id),
        owner: rep,
        ...(d.type === 'stop' ? { assignee: rep } : { stopId: own(stopId ?? '') }),
      };
    });
  const named = new Set(mine.map((d) => (d as { accountId?: string }).accountId));
  const accounts = docs.filter((d) => d.type === 'account' && named.has(d._id));
  return { mine, accounts };
}

/** Plays the day; returns the bytes counted after the morning and the status writes. */
async function playDay(server: RunningOutpost, rep: string, withStatus: boolean) {
  const dayStart = Date.parse(`${DATE}T06:30:00.000Z`);
  let virtual = dayStart;
  const wall = () => virtual;
  const d = await device(server, rep, wall);
  const master = server.couchAdmin.use(server.masterDb);
  const stopsOn = async (date: string) => {
    const res = await d.local.allDocs({
      startkey: 'stop:',
      endkey: 'stop:\ufff0',
      include_docs: true,
    });
    return res.rows.filter((r) => (r.doc as { date?: string }).date === date).length;
  };
  // Yesterday's plan brought the accounts to the device (not counted).
  const yesterday = planOf(rep, '2026-11-19');
  await master.bulk({ docs: [...yesterday.accounts, ...yesterday.mine] as never[] });
  await until("yesterday's plan on the device", async () => (await stopsOn('2026-11-19')) === 20);
  await settled(d);
  const timers = virtualTimers(wall);
  let writes = 0;
  const writer = withStatus
    ? startDeviceStatus({
        db: d.local,
        user: rep,
        deviceUser: d.username,
        clock: d.clock,
        label: 'Chrome on Android',
        appVersion: '0.1.0',
        build: '1763600000000',
        // About 1 MB more over the day (no move worth telling).
        readStorage: async () => ({
          usage: 24_000_000 + Math.round((virtual - dayStart) / MIN) * 2000,
          quota: 2e9,
          persisted: true,
        }),
        openConflicts: async () => 0,
        timers,
      })
    : null;
  const stopWriter = writer ? d.sync.subscribe((s) => writer.update(s)) : () => {};
  let idleRestarts = 0;
  let lastBusy = virtual;
  const stopBusy = d.sync.subscribe((s) => {
    if (s.state !== 'idle' || s.pending > 0) lastBusy = virtual;
  });
  const countWrites = d.local.changes({ since: 'now', live: true }).on('change', (c) => {
    if (!c.id.startsWith('device:')) return;
    writes += 1;
    if (process.env.OUTPOST_BENCH_DEBUG)
      console.log('status write at', new Date(virtual).toISOString());
  });
  /**
   * Moves the virtual clock in 10-second steps, letting sync finish what it has before each
   * (it takes well under a second here, as it does online), and runs what fell due.
   */
  const advance = async (ms: number) => {
    const end = virtual + ms;
    while (virtual < end) {
      await settled(d);
      virtual = Math.min(end, virtual + 10_000);
      // Sync idle for IDLE_RESTART_MS starts its lanes again (off here, counted for the day).
      if (virtual - lastBusy >= IDLE_RESTART_MS) {
        idleRestarts += 1;
        lastBusy = virtual;
      }
      for (const fn of timers.due()) fn();
      await new Promise((r) => setTimeout(r, 0));
    }
    await settled(d);
  };
  await advance(MIN);
  d.counter.reset();
  idleRestarts = 0;

  // The morning: today's plan arrives.
  await master.bulk({ docs: planOf(rep, DATE).mine as never[] });
  await until("today's plan on the device", async () => (await stopsOn(DATE)) === 20);
  await advance(30 * MIN);
  const repo = createRepo(d.local, { user: rep, role: 'rep', clock: d.clock });
  const route = await repo.dayRoute(DATE);
  for (const [i, { stop }] of route.stops.entries()) {
    await repo.checkIn(stop._id);
    await advance(2 * MIN);
    const detail = await repo.stopDetail(stop._id);
    for (const task of detail.tasks) {
      await repo.setTaskDone(task._id, true);
      await advance(MIN);
    }
    if (i % 2 === 0) {
      await repo.addNote({
        accountId: stop.accountId,
        stopId: stop._id,
        text: 'Spoke with the manager; shelf restocked, next order in two weeks.',
      });
    }
    await advance(10 * MIN);
    await repo.checkOut(stop._id);
    await advance(25 * MIN - 13 * MIN - detail.tasks.length * MIN);
  }
  // The rest of the working day with the app open and nothing to do.
  await advance(Date.parse(`${DATE}T17:00:00.000Z`) - virtual);
  await settled(d);
  await new Promise((r) => setTimeout(r, 200)); // the last response bodies counted
  const bytes = d.counter.bytes();
  stopWriter();
  stopBusy();
  writer?.stop();
  countWrites.cancel();

  // One idle restart of the lanes, on its own.
  d.counter.reset();
  d.sync.restart('visible');
  await new Promise((r) => setTimeout(r, 100));
  await settled(d);
  await new Promise((r) => setTimeout(r, 200));
  const idleRestartBytes = d.counter.bytes();
  await d.sync.stop();
  await d.local.destroy();
  return { bytes, writes, idleRestartBytes, idleRestarts, stops: route.stops.length };
}

/** Runs the day without and with status docs. */
export async function benchStatusBytes(): Promise<StatusBytesResult> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'outpost-status-bytes-'));
  const server = await startOutpost({
    buildDir: path.join(dataDir, 'no-build'),
    port: 0,
    host: '127.0.0.1',
    embedded: {
      dataDir: path.join(dataDir, 'couch'),
      admin: { name: 'admin', password: 'bench-admin-pw' },
      port: 0,
    },
    log: () => undefined,
  });
  try {
    for (const [name, role] of [
      ['rep-a', 'rep'],
      ['rep-b', 'rep'],
      ['sup', 'supervisor'],
    ] as const) {
      await addPerson(server.couchAdmin, { name, password: PASSWORD, role, team: TEAM });
    }
    // The router routes to the people the provisioner has set up.
    await until('the team provisioned', () =>
      ['rep-a', 'rep-b', 'sup'].every((r) => server.provisioner.people.get(r)),
    );
    const without = await playDay(server, 'rep-a', false);
    const withStatus = await playDay(server, 'rep-b', true);
    const statusBytes = Math.max(0, withStatus.bytes - without.bytes);
    const idle = without.idleRestarts * without.idleRestartBytes;
    const photoBytes = without.stops * PHOTO_BYTES;
    return {
      name: 'device status docs: share of a rep device’s daily sync bytes',
      stops: without.stops,
      workBytes: without.bytes,
      withStatusBytes: withStatus.bytes,
      statusBytes,
      statusWrites: withStatus.writes,
      bytesPerWrite: withStatus.writes ? Math.round(statusBytes / withStatus.writes) : 0,
      idleRestarts: without.idleRestarts,
      idleRestartBytes: without.idleRestartBytes,
      photoBytes,
      workSharePercent: round((statusBytes / without.bytes) * 100, 2),
      noPhotoSharePercent: round((statusBytes / (without.bytes + idle)) * 100, 2),
      daySharePercent: round((statusBytes / (without.bytes + idle + photoBytes)) * 100, 2),
    };
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && process.argv[1].endsWith('status-bytes.ts')) {
  benchStatusBytes().then(
    (r) => console.log(r),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

/** The PERFORMANCE.md row. */
export function statusBytesRow(r: StatusBytesResult): string {
  const kb = (b: number) => Math.round(b / 1000);
  return `| ${r.name} | a rep's ${r.stops}-stop day on a virtual clock (06:30-17:00) through the whole server in process: plan arriving, check-ins, ${r.stops * 2}+ task and note writes, check-outs, app open till 17:00; run without and with the status writer; every byte on the wire counted; idle restarts (${r.idleRestarts} x ${r.idleRestartBytes} B) and one photo per stop (${kb(r.photoBytes)} KB at the size the photo bench measured) added to the day | ${r.statusWrites} status revisions, ${r.bytesPerWrite} B each, ${kb(r.statusBytes)} KB; **${r.daySharePercent} % of the day** (${r.noPhotoSharePercent} % without photos; ${r.workSharePercent} % of the work's ${kb(r.workBytes)} KB alone) | < 1 % of the day: ${r.daySharePercent < 1 ? 'met' : 'NOT MET'} |`;
}
