/**
 * Bench: photos (issue 6).
 * - Compression: the shipped worker (from the production build) on the ~3 MB 4000x3000 sample
 *   photos in headless Chromium: output size, quality and time in the worker.
 * - A day behind a photo backlog: 100 check-ins and 20 photos (~400 KB each, taken along the
 *   day) written offline on a memory db, then synced to the embedded server (child process):
 *   time until all check-ins are on the server, with the photo lane and without it (one push
 *   lane carrying everything), side by side in one run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import memory from '../tests/helpers/memory-adapter';
import { chromium } from 'playwright-core';
import { createHlc } from '../src/lib/clock/hlc';
import { openLocalDb, registerAdapter } from '../src/lib/db/pouch';
import { createRepo } from '../src/lib/repo';
import { startServer } from '../src/lib/server/app';
import { openRemoteDb, type FetchImpl } from '../src/lib/sync/remote';
import { startSync, type SyncStatus } from '../src/lib/sync';
import { SAMPLE_PHOTOS } from '../tests/fixtures/make-photos';
import { startBenchCouch } from './server';
import { percentile, round } from './stats';

const root = fileURLToPath(new URL('../', import.meta.url));
const buildDir = path.join(root, 'build');

export interface CompressionResult {
  name: string;
  file: string;
  inputMb: number;
  runs: number;
  outputKb: number;
  thumbKb: number;
  width: number;
  height: number;
  quality: number;
  attempts: number;
  /** Decode + encodes inside the worker (its own clock). */
  workerP50Ms: number;
  /** postMessage to reply, as the page sees it (includes the worker's start). */
  pageP50Ms: number;
}

export interface PhotoBacklogResult {
  name: string;
  checkIns: number;
  photos: number;
  photoKb: number;
  /** Start of sync to the last check-in acknowledged by the server, ms (median of rounds). */
  laneCheckInsMs: number;
  noLaneCheckInsMs: number;
  /** Start of sync to everything on the server, ms. */
  laneAllMs: number;
  noLaneAllMs: number;
  rounds: number;
}

/** The compression worker in build/ (built with `vite build` when missing). */
function workerAsset(): string {
  const find = (): string | null => {
    const stack = [buildDir];
    while (stack.length > 0) {
      const dir = stack.pop() as string;
      if (!existsSync(dir)) continue;
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) stack.push(full);
        else if (/^compress\.worker.*\.js$/.test(entry.name)) return full;
      }
    }
    return null;
  };
  let found = find();
  if (!found) {
    const vite = path.join(root, 'node_modules/vite/bin/vite.js');
    const built = spawnSync(process.execPath, [vite, 'build'], { cwd: root, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`vite build failed: ${built.stderr}`);
    found = find();
  }
  if (!found) throw new Error('no compress.worker in the build');
  return `/${path.relative(buildDir, found).split(path.sep).join('/')}`;
}

/** Compresses each sample photo `runs` times with the shipped worker in Chromium. */
export async function benchPhotoCompression(runs = 5): Promise<CompressionResult[]> {
  const asset = workerAsset();
  const server = await startServer({ port: 0, host: '127.0.0.1', buildDir });
  const profile = mkdtempSync(path.join(tmpdir(), 'outpost-bench-photos-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.url}/`);
    const results: CompressionResult[] = [];
    for (const { file } of SAMPLE_PHOTOS) {
      const bytes = readFileSync(path.join(root, 'tests/fixtures', file));
      const tries = await page.evaluate(
        async ({ asset, base64, runs }) => {
          const input = new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], {
            type: 'image/jpeg',
          });
          const out = [];
          for (let i = 0; i < runs; i++) {
            const worker = new Worker(asset, { type: 'module' });
            const t0 = performance.now();
            const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
              worker.onmessage = (e) => resolve(e.data);
              worker.onerror = (e) => reject(new Error(e.message));
              worker.postMessage({ file: input });
            });
            const pageMs = performance.now() - t0;
            worker.terminate();
            if (!reply.ok) throw new Error(String(reply.message));
            out.push({
              pageMs,
              workerMs: reply.ms as number,
              size: (reply.full as Blob).size,
              thumb: (reply.thumb as Blob).size,
              width: reply.width as number,
              height: reply.height as number,
              quality: reply.quality as number,
              attempts: reply.attempts as number,
            });
          }
          return out;
        },
        { asset, base64: bytes.toString('base64'), runs },
      );
      const last = tries[tries.length - 1];
      results.push({
        name: 'photo compression in the worker (Chromium)',
        file,
        inputMb: round(bytes.byteLength / 1024 / 1024, 2),
        runs,
        outputKb: round(last.size / 1024),
        thumbKb: round(last.thumb / 1024),
        width: last.width,
        height: last.height,
        quality: last.quality,
        attempts: last.attempts,
        workerP50Ms: round(
          percentile(
            tries.map((t) => t.workerMs),
            50,
          ),
        ),
        pageP50Ms: round(
          percentile(
            tries.map((t) => t.pageMs),
            50,
          ),
        ),
      });
    }
    return results;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    await server.close();
  }
}

/** Incompressible bytes standing in for a compressed JPEG. */
function jpegLike(bytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let state = seed;
  for (let i = 0; i < bytes; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out[i] = (state >> 8) & 0xff;
  }
  return out;
}

/** Check-ins and photos of a day, written offline in the order they happened. */
async function writeDay(
  db: ReturnType<typeof openLocalDb>,
  checkIns: number,
  photos: number,
  photoBytes: number,
) {
  const clock = createHlc({ deviceId: 'dev-bench' });
  const repo = createRepo(db, { user: 'bench', role: 'rep', clock });
  const date = new Date().toISOString().slice(0, 10);
  const stops = Array.from({ length: checkIns }, (_, i) => ({
    _id: `stop:bench-${i + 1}`,
    type: 'stop',
    schema: 1,
    owner: 'bench',
    updatedAt: clock.now(),
    updatedBy: 'sam',
    deviceId: 'dev-seed',
    date,
    seq: i + 1,
    accountId: 'account:bench',
    assignee: 'bench',
    window: { start: '08:00', end: '18:00' },
    status: 'planned',
  }));
  await db.bulkDocs(stops);
  const every = Math.max(1, Math.floor(checkIns / photos));
  let taken = 0;
  for (let i = 0; i < checkIns; i++) {
    if (i % every === 0 && taken < photos) {
      taken += 1;
      await repo.addPhoto({
        stopId: stops[i]._id,
        full: jpegLike(photoBytes, taken),
        fullType: 'image/jpeg',
        thumb: jpegLike(12_000, 1000 + taken),
        width: 1600,
        height: 1200,
      });
    }
    await repo.checkIn(stops[i]._id);
  }
}

/** Syncs the backlog once; returns when the last check-in and the last doc were acknowledged. */
async function syncBacklog(photoLane: boolean, opts: Required<BacklogOptions>) {
  const couch = await startBenchCouch('child');
  registerAdapter(memory);
  const local = openLocalDb(`bench-photos-${Date.now()}-${photoLane}`, 'memory');
  try {
    await writeDay(local, opts.checkIns, opts.photos, opts.photoBytes);
    const user = { name: 'bench', password: 'bench-pw' };
    await couch.memberDb('bench-day', user);
    let eventsAcked = 0;
    let t0 = 0;
    let checkInsMs = 0;
    // Counts check-ins in each `_bulk_docs` the server answered (what is on the server).
    const fetchImpl: FetchImpl = async (input, init) => {
      const res = await fetch(input, init);
      if (String(input).includes('/_bulk_docs') && res.ok && typeof init?.body === 'string') {
        eventsAcked += init.body.match(/"_id":"event:/g)?.length ?? 0;
        if (eventsAcked >= opts.checkIns && checkInsMs === 0) checkInsMs = performance.now() - t0;
      }
      return res;
    };
    const remote = openRemoteDb(`${couch.url}/bench-day`, {
      username: user.name,
      password: user.password,
      fetchImpl,
    });
    t0 = performance.now();
    const sync = startSync(local, remote, { deviceId: 'dev-bench', photoLane });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('photo backlog bench timed out')), 300_000);
      const off = sync.subscribe((s: SyncStatus) => {
        if (s.pending > 0 || s.state !== 'idle' || checkInsMs === 0) return;
        clearTimeout(timer);
        queueMicrotask(() => off());
        resolve();
      });
    });
    const allMs = performance.now() - t0;
    await sync.stop();
    await remote.close();
    return { checkInsMs, allMs };
  } finally {
    await local.destroy().catch(() => undefined);
    await couch.close();
  }
}

export interface BacklogOptions {
  checkIns?: number;
  photos?: number;
  /** Bytes of each full image (default 400 KB, a compressed 1600 px photo). */
  photoBytes?: number;
  /** Rounds per mode, alternating (default 3). */
  rounds?: number;
}

/** 100 check-ins behind 20 photos: with and without the photo lane, alternating rounds. */
export async function benchPhotoBacklog(options: BacklogOptions = {}): Promise<PhotoBacklogResult> {
  const opts: Required<BacklogOptions> = {
    checkIns: options.checkIns ?? 100,
    photos: options.photos ?? 20,
    photoBytes: options.photoBytes ?? 400 * 1024,
    rounds: options.rounds ?? 3,
  };
  const lane: { checkInsMs: number; allMs: number }[] = [];
  const noLane: { checkInsMs: number; allMs: number }[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    lane.push(await syncBacklog(true, opts));
    noLane.push(await syncBacklog(false, opts));
  }
  const median = (list: { checkInsMs: number; allMs: number }[], key: 'checkInsMs' | 'allMs') =>
    round(
      percentile(
        list.map((x) => x[key]),
        50,
      ),
    );
  return {
    name: 'check-ins behind a photo backlog',
    checkIns: opts.checkIns,
    photos: opts.photos,
    photoKb: round(opts.photoBytes / 1024),
    laneCheckInsMs: median(lane, 'checkInsMs'),
    noLaneCheckInsMs: median(noLane, 'checkInsMs'),
    laneAllMs: median(lane, 'allMs'),
    noLaneAllMs: median(noLane, 'allMs'),
    rounds: opts.rounds,
  };
}

/** The rows this bench adds to docs/PERFORMANCE.md. */
export function photoRows(compression: CompressionResult[], backlog: PhotoBacklogResult): string[] {
  return [
    ...compression.map(
      (c) =>
        `| ${c.name} | ${c.file}: ${c.inputMb} MB 4000x3000 JPEG, ${c.runs} runs, shipped worker from build/ | ${c.width}x${c.height}, **${c.outputKb} KB** (quality ${c.quality}, ${c.attempts} encode${c.attempts === 1 ? '' : 's'}), thumbnail ${c.thumbKb} KB; **p50 ${c.workerP50Ms} ms in the worker**, ${c.pageP50Ms} ms as the page sees it | <= 1600 px and <= 500 KB: ${Math.max(c.width, c.height) <= 1600 && c.outputKb <= 500 ? 'met' : 'NOT MET'} |`,
    ),
    `| ${backlog.name} (memory -> embedded server, child process) | ${backlog.checkIns} check-ins + ${backlog.photos} photos of ${backlog.photoKb} KB written offline in day order, median of ${backlog.rounds} alternating rounds | all check-ins on the server: **${backlog.laneCheckInsMs} ms with the photo lane**, ${backlog.noLaneCheckInsMs} ms without; everything: ${backlog.laneAllMs} ms vs ${backlog.noLaneAllMs} ms | check-ins never wait behind photos: ${backlog.laneCheckInsMs < backlog.noLaneCheckInsMs ? 'met' : 'NOT MET'} |`,
  ];
}
