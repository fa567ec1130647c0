/**
 * Bench: first sync of a rep's day on a new device (issue 5): the rep's db holds today's 20
 * stops with their tasks, the 200 accounts and 2000 history docs (earlier stops, their
 * check-ins/outs and notes). Times startSync from an empty memory db until every doc is local,
 * against plain `PouchDB.sync` with its defaults, in alternating rounds on one server.
 */
import memory from '../tests/helpers/memory-adapter';
import { createHlc } from '../src/lib/clock/hlc';
import { openLocalDb, registerAdapter } from '../src/lib/db/pouch';
import { demoDayDocs } from '../src/lib/demo/load';
import { stampNew, type WriteStamp } from '../src/lib/domain/stamp';
import type { BaseDoc } from '../src/lib/domain/types';
import { openRemoteDb } from '../src/lib/sync/remote';
import { startSync, type SyncStatus } from '../src/lib/sync';
import { startBenchCouch } from './server';
import { round } from './stats';

export interface FirstSyncResult {
  name: string;
  docs: { day: number; history: number };
  /** Median of the rounds, ms. */
  outpostMs: number;
  defaultsMs: number;
  /** outpostMs / defaultsMs of the median round (target <= 0.5). */
  ratio: number;
  ratios: number[];
}

const REP = 'ana';
const TODAY = '2026-11-20';

/** Today's docs for the rep: their stops and tasks, every account, the templates. */
export function dayDocs(): BaseDoc[] {
  const clock = createHlc({ deviceId: 'planner' });
  return demoDayDocs(TODAY, clock).filter(
    (d) => d.owner === REP || (d.type !== 'stop' && d.type !== 'task'),
  );
}

/** `count` history docs: earlier days' stops, each with a check-in, a check-out and a note. */
export function historyDocs(count: number): BaseDoc[] {
  const clock = createHlc({ deviceId: 'ana-phone' });
  const stamp = (): WriteStamp => ({ user: REP, deviceId: clock.deviceId, hlc: clock.now() });
  const docs: BaseDoc[] = [];
  for (let i = 0; docs.length < count; i++) {
    const date = new Date(Date.UTC(2026, 5, 1) + Math.floor(i / 20) * 86_400_000)
      .toISOString()
      .slice(0, 10);
    const stopId = `stop:hist-${i}`;
    const accountId = `account:demo-${String((i % 200) + 1).padStart(3, '0')}`;
    const at = `${date}T${String(8 + (i % 9)).padStart(2, '0')}:15:00.000Z`;
    const fields = { date, seq: (i % 20) + 1, accountId, assignee: REP, status: 'done' };
    docs.push(
      stampNew(
        'stop',
        stopId,
        REP,
        { ...fields, window: { start: '08:00', end: '17:00' } },
        stamp(),
      ),
    );
    for (const kind of ['check_in', 'check_out']) {
      const event = { kind, stopId, accountId, occurredAt: at, deviceTime: at };
      docs.push(stampNew('event', `event:hist-${i}-${kind}`, REP, event, stamp()));
    }
    const text = `Visit ${i}: shelves restocked, talked to the buyer about next month's promotion.`;
    docs.push(
      stampNew('note', `note:hist-${i}`, REP, { text, accountId, stopId, createdAt: at }, stamp()),
    );
  }
  return docs.slice(0, count);
}

/** Runs the first-sync comparison; `rounds` alternating pairs, the median round reported. */
export async function benchFirstSync(rounds = 3, history = 2000): Promise<FirstSyncResult> {
  registerAdapter(memory);
  const couch = await startBenchCouch('child');
  const user = { name: REP, password: 'first-sync-pw' };
  const day = dayDocs();
  const all = [...day, ...historyDocs(history)];
  const db = 'userdb-first-sync';
  await couch.memberDb(db, user);
  for (let i = 0; i < all.length; i += 1000) {
    await couch.call(couch.adminAuth, 'POST', `/${db}/_bulk_docs`, {
      docs: all.slice(i, i + 1000),
    });
  }

  /** One device's first sync; resolves with its duration once every doc is local. */
  async function firstSync(engine: 'outpost' | 'defaults', r: number): Promise<number> {
    const local = openLocalDb(`first-sync-${engine}-${r}-${Date.now()}`, 'memory');
    const remote = openRemoteDb(`${couch.url}/${db}`, { username: REP, password: user.password });
    const t0 = performance.now();
    if (engine === 'defaults') {
      await local.sync(remote);
    } else {
      const sync = startSync(local, remote, { deviceId: `dev-${r}` });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('first sync timed out')), 120_000);
        const done = (s: SyncStatus) => s.docsPulled >= all.length && s.state === 'idle';
        const unsubscribe = sync.subscribe((s) => {
          if (!done(s)) return;
          clearTimeout(timer);
          queueMicrotask(() => unsubscribe());
          resolve();
        });
      });
      await sync.stop();
    }
    const ms = performance.now() - t0;
    const info = await local.info();
    if (info.doc_count !== all.length) {
      throw new Error(
        `${engine}: expected ${all.length} docs on the device, found ${info.doc_count}`,
      );
    }
    await remote.close();
    await local.destroy();
    return ms;
  }

  try {
    const results: { outpost: number; defaults: number; ratio: number }[] = [];
    for (let r = 0; r < rounds; r++) {
      const defaults = await firstSync('defaults', r);
      const outpost = await firstSync('outpost', r);
      results.push({ outpost, defaults, ratio: outpost / defaults });
    }
    const median = [...results].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds / 2)];
    return {
      name: "first sync of a rep's day",
      docs: { day: day.length, history },
      outpostMs: round(median.outpost),
      defaultsMs: round(median.defaults),
      ratio: round(median.ratio, 2),
      ratios: results.map((x) => round(x.ratio, 2)),
    };
  } finally {
    await couch.close();
  }
}
