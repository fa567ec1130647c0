/**
 * Runs in Chromium (bundled by bench/board.ts): a supervisor's IndexedDB with a team of `reps`
 * reps (20 stops each, their accounts, two devices each, the first check-ins of the day), the
 * team board as /team renders it (BoardRep cards fed by src/lib/team/feed.ts), then one change
 * at a time written to the db: a device status, a check-in (event and stop), a stop done.
 * Timed per change: from the board taking the doc (model.apply) to the DOM updated, and to the
 * next frame; and from the write to the DOM.
 */
import idb from 'pouchdb-adapter-idb';
import { flushSync, mount } from 'svelte';
import '../../src/lib/ui/global.css';
import { formatHlc } from '../../src/lib/clock/hlc';
import { ensureIndexes } from '../../src/lib/db/indexes';
import { openLocalDb, registerAdapter } from '../../src/lib/db/pouch';
import { followBoard, readBoardDocs } from '../../src/lib/team/feed';
import BoardBench from './BoardBench.svelte';
import { BoardState } from './board-state.svelte';

/** What the page reports back to the bench. */
export interface BoardRun {
  reps: number;
  devices: number;
  docs: number;
  fillMs: number;
  /** Building the app's three Mango indexes over the filled db (once per device). */
  appIndexMs: number;
  /** Then the board's own events-by-time index and a first read (once per device). */
  indexMs: number;
  /** From the feed's start (reading IndexedDB) to the first board in the DOM. */
  firstBoardMs: number;
  /** Of that, the first render alone. */
  firstRenderMs: number;
  /** Per change: model.apply to the DOM updated, to the next frame, write to the DOM. */
  boardMs: number[];
  frameMs: number[];
  writeMs: number[];
  domNodes: number;
}

type Doc = Record<string, unknown> & { _id: string; _rev?: string };

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const clock = (minutes: number) => `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;

/** The team's docs: stops, accounts, devices, and the first `started` check-ins of each rep. */
function teamDocs(reps: number, date: string, started: number): Doc[] {
  const now = Date.now();
  const hlc = (ms: number, device: string) => formatHlc({ wall: ms, counter: 0, deviceId: device });
  const base = (id: string, type: string, owner: string, device = 'planner', at = now) => ({
    _id: id,
    type,
    schema: 1,
    owner,
    updatedAt: hlc(at, device),
    updatedBy: owner,
    deviceId: device,
  });
  const docs: Doc[] = [];
  for (let r = 0; r < reps; r++) {
    const rep = `rep-${pad(r + 1, 3)}`;
    for (let s = 0; s < 20; s++) {
      const key = `${rep}-${pad(s + 1)}`;
      const start = 8 * 60 + s * 25;
      docs.push({
        ...base(`account:${key}`, 'account', rep),
        name: `Account ${key}`,
        address: { street: `${s + 1} Main St`, city: 'Fairview' },
        contacts: [],
      });
      docs.push({
        ...base(`stop:${date}-${key}`, 'stop', rep),
        date,
        seq: s + 1,
        accountId: `account:${key}`,
        assignee: rep,
        window: { start: clock(start), end: clock(start + 60) },
        status: s < started ? 'done' : 'planned',
      });
      if (s < started) {
        for (const [kind, offset] of [
          ['check_in', 0],
          ['check_out', 15],
        ] as const) {
          const at = new Date(`${date}T${clock(start + offset)}:00`).toISOString();
          docs.push({
            ...base(`event:${key}-${kind}`, 'event', rep, `dev-${rep}-a`),
            kind,
            stopId: `stop:${date}-${key}`,
            accountId: `account:${key}`,
            occurredAt: at,
            deviceTime: at,
          });
        }
      }
    }
    for (const d of ['a', 'b']) {
      docs.push({
        ...base(`device:${rep}~dev-${rep}-${d}`, 'device', rep, `dev-${rep}-${d}`),
        label: d === 'a' ? 'Chrome on Android' : 'Safari on iOS',
        appVersion: '0.1.0',
        build: '1000',
        lastSyncAt: new Date(now - 5 * 60_000).toISOString(),
        pending: 0,
        problem: null,
        storage: { usage: 40e6, quota: 2e9, persisted: true },
        conflicts: 0,
        clockOffsetMs: 0,
        seenAt: new Date(now - 5 * 60_000).toISOString(),
      });
    }
  }
  return docs;
}

async function run(reps: number, changes: number, date: string): Promise<BoardRun> {
  registerAdapter(idb);
  const db = openLocalDb(`bench-board-${Date.now()}`, 'idb');
  const started = 5;
  const docs = teamDocs(reps, date, started);
  let t = performance.now();
  for (let i = 0; i < docs.length; i += 1000) await db.bulkDocs(docs.slice(i, i + 1000));
  const fillMs = performance.now() - t;

  // The board's indexes are built once per device (the first open after the data came): timed
  // on their own, then the board opens as it does every other time.
  t = performance.now();
  await ensureIndexes(db); // the app's own indexes (Today, stops, accounts use them too)
  const appIndexMs = performance.now() - t;
  t = performance.now();
  await readBoardDocs(db, date); // builds the board's events-by-time index
  const indexMs = performance.now() - t;
  const state = new BoardState();
  state.now = new Date(`${date}T11:00:00`).getTime();
  mount(BoardBench, { target: document.body, props: { board: state, date } });

  let appliedAt = 0;
  let rendered: ((at: number) => void) | null = null;
  let firstRenderMs = 0;
  t = performance.now();
  let first: (() => void) | null = null;
  const firstBoard = new Promise<void>((resolve) => (first = resolve));
  const feed = followBoard(db, date, () => {
    const before = performance.now();
    state.reps = feed.model.reps().map((rep) => feed.model.view(rep)!);
    flushSync();
    const done = performance.now();
    if (first) {
      firstRenderMs = done - before;
      first();
      first = null;
    }
    rendered?.(done);
  });
  const apply = feed.model.apply;
  (feed.model as { apply: typeof apply }).apply = (doc) => {
    appliedAt = performance.now();
    return apply(doc);
  };
  await firstBoard;
  const firstBoardMs = performance.now() - t;

  const boardMs: number[] = [];
  const frameMs: number[] = [];
  const writeMs: number[] = [];
  const next = new Map<string, number>(); // next stop to check in, per rep
  for (let i = 0; i < changes; i++) {
    const rep = `rep-${pad((i % reps) + 1, 3)}`;
    let doc: Doc;
    if (i % 3 === 0) {
      // A device reports: writes waiting, seen now.
      const id = `device:${rep}~dev-${rep}-a`;
      doc = { ...(await db.get(id)), pending: i % 7, seenAt: new Date().toISOString() };
    } else {
      const s = next.get(rep) ?? started;
      const key = `${rep}-${pad(s + 1)}`;
      if (i % 3 === 1) {
        const at = new Date().toISOString();
        doc = {
          _id: `event:${key}-check_in-${i}`,
          type: 'event',
          schema: 1,
          owner: rep,
          updatedAt: formatHlc({ wall: Date.now(), counter: i, deviceId: `dev-${rep}-a` }),
          updatedBy: rep,
          deviceId: `dev-${rep}-a`,
          kind: 'check_in',
          stopId: `stop:${date}-${key}`,
          accountId: `account:${key}`,
          occurredAt: at,
          deviceTime: at,
        };
      } else {
        const id = `stop:${date}-${key}`;
        doc = { ...(await db.get(id)), status: 'done' };
        next.set(rep, s + 1);
      }
    }
    const done = new Promise<number>((resolve) => (rendered = resolve));
    const wrote = performance.now();
    await db.put(doc);
    const at = await done;
    rendered = null;
    const frame = await new Promise<number>((resolve) =>
      requestAnimationFrame(() => resolve(performance.now())),
    );
    boardMs.push(at - appliedAt);
    frameMs.push(frame - appliedAt);
    writeMs.push(at - wrote);
    await new Promise((r) => setTimeout(r, 30));
  }
  feed.stop();
  return {
    reps,
    devices: reps * 2,
    docs: docs.length,
    fillMs,
    appIndexMs,
    indexMs,
    firstBoardMs,
    firstRenderMs,
    boardMs,
    frameMs,
    writeMs,
    domNodes: document.getElementsByTagName('*').length,
  };
}

(window as unknown as { outpostBench: unknown }).outpostBench = { run };
