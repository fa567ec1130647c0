/**
 * The change router (DESIGN.md section 1): moves documents between master and the per-user dbs
 * with no continuous job per person, speaking plain CouchDB HTTP (the same code on real CouchDB
 * and the embedded server).
 *  - down: one `_changes` longpoll on master; each changed doc is routed (down.ts);
 *  - up: `_db_updates` says which user dbs changed; only those are caught up into master, each
 *    from its own checkpoint, a few at a time (up.ts). On start a sweep compares every user
 *    db's `update_seq` with its checkpoint, so writes made while the router was down are found.
 * With nobody writing it holds two idle longpolls and does nothing else. Copies use
 * `new_edits: false`, so a repeated batch (a restart mid-batch, two app instances routing at
 * once) writes nothing twice.
 */
import type { OutpostPerson } from '../../domain/routing';
import { createBackoff } from '../../sync/backoff';
import { dbPath, type AdminCouch } from '../couch/admin-http';
import { userDbName } from '../provision/names';
import type { People } from '../provision/people';
import { createCheckpoints, type Checkpoints } from './checkpoints';
import { backfill, routeRows, type ChangeRow, type RouteContext } from './down';
import { createEchoSet } from './echo';
import { createLagTracker, createPauseGate, type RouterLag } from './lag';
import { forEachLimited } from './limit';
import { catchUp, upKey, type UpContext } from './up';

/** Default name of the router's own admin-only db (checkpoints). */
export const DEFAULT_ROUTER_DB = 'outpost-router';

export interface RouterOptions {
  couch: AdminCouch;
  masterDb: string;
  /** The router's checkpoint db (created by the provisioner). */
  routerDb?: string;
  /** The people routed to (only provisioned people: their dbs exist). */
  people: People;
  log?: (message: string) => void;
  /** Changes per batch (default 500). */
  batchSize?: number;
  /** User dbs caught up at once, and targets written at once (default 4). */
  concurrency?: number;
  /** How long a longpoll waits for a change (ms, default 60 s). */
  longpollMs?: number;
  /** Least time between two writes of the down checkpoint (ms, default 2 s). */
  checkpointEveryMs?: number;
}

/** Counters of what the router did (for metrics and benchmarks). */
export interface RouterStats {
  /** Master changes routed to at least one person. */
  routedDocs: number;
  /** Revisions copied into user dbs. */
  revsDown: number;
  /** Revisions copied into master. */
  revsUp: number;
  /** User db catch-ups run. */
  catchUps: number;
  /** Failed rounds (each retried with back-off). */
  errors: number;
  /** User dbs waiting to be caught up, or being caught up now. */
  pendingDbs: number;
}

export interface ChangeRouter {
  /** Records a person's change (joined, moved team, changed role, left) and backfills. */
  personChanged(name: string, before: OutpostPerson | undefined): Promise<void>;
  /** Catches up one user db now (for callers that know it changed). */
  touch(db: string): void;
  /**
   * Resolves once master has no change left to route and no user db reported by `_db_updates`
   * waits (CouchDB reports db updates a moment late: wait for a doc, not for this, in tests).
   */
  idle(timeoutMs?: number): Promise<void>;
  stats(): RouterStats;
  /** How far behind each direction is (lag.ts): one db info request per direction's dbs. */
  lag(): Promise<RouterLag>;
  /** Holds copying in both directions (the feeds are still read); for tests and upkeep. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

const DOWN_KEY = (master: string) => `down:${master}`;
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** Starts the router; it runs until `stop()`. */
export function startRouter(opts: RouterOptions): ChangeRouter {
  const { couch, masterDb, people } = opts;
  const log = opts.log ?? (() => {});
  const batchSize = opts.batchSize ?? 500;
  const concurrency = opts.concurrency ?? 4;
  const longpollMs = opts.longpollMs ?? 60_000;
  const checkpointEveryMs = opts.checkpointEveryMs ?? 2000;
  const checkpoints: Checkpoints = createCheckpoints(couch, opts.routerDb ?? DEFAULT_ROUTER_DB);
  const abort = new AbortController();
  const upEcho = createEchoSet();
  const downEcho = createEchoSet();
  const stats: RouterStats = {
    routedDocs: 0,
    revsDown: 0,
    revsUp: 0,
    catchUps: 0,
    errors: 0,
    pendingDbs: 0,
  };
  const routeCtx: RouteContext = {
    couch,
    masterDb,
    directory: () => people.directory(),
    echo: upEcho,
    writing: (db, revs) => {
      for (const { id, rev } of revs) downEcho.add(db, id, rev);
    },
    concurrency,
  };
  const upCtx: UpContext = {
    couch,
    masterDb,
    downEcho,
    upEcho,
    batchSize,
    concurrency,
  };
  /** The user dbs of the people routed to, rebuilt only when the directory changed. */
  let known: { dir: unknown; dbs: Set<string> } = { dir: null, dbs: new Set() };
  const userDbs = () => {
    const dir = people.directory();
    if (known.dir !== dir) {
      known = { dir, dbs: new Set(people.all().map((p) => userDbName(p.name))) };
    }
    return known.dbs;
  };
  const lagTracker = createLagTracker(couch, masterDb);
  const gate = createPauseGate();

  // ---- down: master -> user dbs ----
  let downSeq: string | null = null;
  let downBusy = false;
  const down: Promise<void> = (async () => {
    const backoff = createBackoff({ baseMs: 500, maxMs: 30_000 });
    let saved: string | null = null;
    let savedAt = 0;
    while (!abort.signal.aborted) {
      try {
        if (downSeq === null) downSeq = saved = (await checkpoints.read(DOWN_KEY(masterDb))) ?? '0';
        const res: { results: ChangeRow[]; last_seq: string | number } = await couch.request(
          'GET',
          `${dbPath(masterDb)}/_changes`,
          {
            query: {
              since: downSeq,
              style: 'all_docs',
              include_docs: true,
              limit: batchSize,
              feed: 'longpoll',
              timeout: longpollMs,
            },
            signal: abort.signal,
          },
        );
        const readAt = Date.now();
        if (res.results.length) {
          await gate.wait(abort.signal);
          downBusy = true;
          const routed = await routeRows(routeCtx, res.results);
          stats.routedDocs += routed.routed;
          for (const revs of routed.written.values()) stats.revsDown += revs.length;
        }
        downSeq = String(res.last_seq);
        if (res.results.length < batchSize) lagTracker.downCaughtUp(readAt);
        // Saved when the feed went quiet, and every few seconds under load.
        if (
          downSeq !== saved &&
          (!res.results.length || Date.now() - savedAt >= checkpointEveryMs)
        ) {
          await checkpoints.write(DOWN_KEY(masterDb), downSeq);
          saved = downSeq;
          savedAt = Date.now();
        }
        backoff.reset();
      } catch (err) {
        if (abort.signal.aborted) break;
        stats.errors += 1;
        const delay = backoff.next();
        log(`router: master feed failed (${(err as Error).message}); retrying in ${delay} ms`);
        await sleep(delay, abort.signal);
      } finally {
        downBusy = false;
      }
    }
    if (downSeq !== null && downSeq !== saved) {
      await checkpoints.write(DOWN_KEY(masterDb), downSeq).catch(() => undefined);
    }
  })();

  // ---- up: changed user dbs -> master ----
  const dirty = new Set<string>();
  const running = new Set<string>();
  const seqs = new Map<string, string>();
  /** Positions not saved yet: written a few seconds later, in one pass. */
  const unsaved = new Map<string, string>();
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  const UNSAVED_FLUSH_MS = 5000;

  async function flushUnsaved() {
    flushTimer = undefined;
    const entries = [...unsaved];
    unsaved.clear();
    for (const [db, seq] of entries) {
      await checkpoints.write(upKey(db), seq).catch(() => {
        if (!unsaved.has(db)) unsaved.set(db, seq); // tried again with the next flush
      });
    }
    if (unsaved.size) flushTimer ??= setTimeout(() => void flushUnsaved(), UNSAVED_FLUSH_MS);
  }
  let pump: Promise<void> = Promise.resolve();
  let pumping = false;

  function touch(db: string) {
    if (!userDbs().has(db)) return;
    dirty.add(db);
    lagTracker.dirty(db);
    stats.pendingDbs = dirty.size + running.size;
    if (!pumping) {
      pumping = true;
      pump = drain().finally(() => (pumping = false));
    }
  }

  async function catchUpOne(db: string) {
    const backoff = createBackoff({ baseMs: 500, maxMs: 30_000 });
    while (!abort.signal.aborted) {
      try {
        if (!seqs.has(db)) seqs.set(db, (await checkpoints.read(upKey(db))) ?? '0');
        const done = await catchUp(upCtx, db, seqs.get(db)!);
        seqs.set(db, done.seq);
        unsaved.set(db, done.seq);
        flushTimer ??= setTimeout(() => void flushUnsaved(), UNSAVED_FLUSH_MS);
        stats.revsUp += done.written;
        stats.catchUps += 1;
        return;
      } catch (err) {
        if (abort.signal.aborted) return;
        stats.errors += 1;
        // A db deleted for good is left alone; CouchDB can also answer 404 for a moment under
        // pressure (many dbs, few `max_dbs_open`): a few tries first.
        if ((err as { status?: number }).status === 404 && backoff.attempts >= 3) {
          log(`router: ${db} is gone; not caught up`);
          return;
        }
        const delay = backoff.next();
        log(
          `router: catching up ${db} failed (${(err as Error).message}); retrying in ${delay} ms`,
        );
        await sleep(delay, abort.signal);
      }
    }
  }

  async function drain() {
    while (dirty.size && !abort.signal.aborted) {
      const batch = [...dirty].filter((db) => !running.has(db));
      for (const db of batch) dirty.delete(db);
      await forEachLimited(batch, concurrency, async (db) => {
        running.add(db);
        try {
          await gate.wait(abort.signal);
          await catchUpOne(db);
        } finally {
          running.delete(db);
          if (!dirty.has(db)) lagTracker.clean(db);
          stats.pendingDbs = dirty.size + running.size;
        }
      });
    }
  }

  /** Marks every user db whose `update_seq` differs from its checkpoint. */
  async function sweep() {
    await forEachLimited([...userDbs()], concurrency * 2, async (db) => {
      try {
        const info = await couch.request<{ update_seq: string | number }>('GET', dbPath(db));
        const saved = (await checkpoints.read(upKey(db))) ?? '0';
        seqs.set(db, saved);
        if (String(info.update_seq) !== saved) touch(db);
      } catch (err) {
        if ((err as { status?: number }).status !== 404) throw err;
      }
    });
  }

  const up: Promise<void> = (async () => {
    const backoff = createBackoff({ baseMs: 500, maxMs: 30_000 });
    let since: string | null = null;
    while (!abort.signal.aborted) {
      try {
        if (since === null) {
          // Position first, then sweep: a write during the sweep shows up in the feed.
          const now = await couch.request<{ last_seq: string }>('GET', '/_db_updates', {
            query: { since: 'now' },
            signal: abort.signal,
          });
          await sweep();
          since = String(now.last_seq);
        }
        // One continuous feed: a db update costs no request (CouchDB ends it after `timeout`).
        await couch.stream(
          '/_db_updates',
          {
            query: { since, feed: 'continuous', heartbeat: 30_000, timeout: longpollMs },
            signal: abort.signal,
          },
          (row) => {
            if (typeof row.db_name === 'string' && row.type !== 'deleted') touch(row.db_name);
            if (typeof row.seq === 'string') since = row.seq;
            if (typeof row.last_seq === 'string') since = row.last_seq;
            backoff.reset();
          },
        );
      } catch (err) {
        if (abort.signal.aborted) break;
        stats.errors += 1;
        const delay = backoff.next();
        log(`router: _db_updates failed (${(err as Error).message}); retrying in ${delay} ms`);
        await sleep(delay, abort.signal);
      }
    }
  })();

  /** True when master has no change past the down position. */
  async function downCaughtUp(): Promise<boolean> {
    if (downSeq === null || downBusy) return false;
    const res = await couch.request<{ results: unknown[] }>('GET', `${dbPath(masterDb)}/_changes`, {
      query: { since: downSeq, limit: 1 },
    });
    return res.results.length === 0 && !downBusy;
  }

  return {
    async personChanged(name, before) {
      const after = people.get(name);
      if (!after) return;
      const dir = people.directory();
      const moved = !before || before.team !== after.team || before.role !== after.role;
      if (!moved) return;
      const ctx = routeCtx;
      if (after.role === 'rep') {
        // The rep's own db, and the supervisors of the team they joined.
        const to = new Set([name, ...dir.supervisorsOf(after.team)]);
        stats.revsDown += await backfill(ctx, [name], to);
      } else {
        // A supervisor sees the team's reps' docs (and their own).
        stats.revsDown += await backfill(ctx, [name, ...dir.repsOf(after.team)], new Set([name]));
      }
    },
    touch,
    async idle(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (dirty.size === 0 && running.size === 0 && (await downCaughtUp())) {
          await pump;
          if (dirty.size === 0 && running.size === 0) return;
        }
        if (Date.now() > deadline) throw new Error(`router not idle after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stats: () => ({ ...stats }),
    lag: () =>
      lagTracker.measure({
        downSeq,
        pendingDbs: [...new Set([...dirty, ...running])],
        upSeq: async (db) => seqs.get(db) ?? (await checkpoints.read(upKey(db))) ?? '0',
      }),
    pause: () => gate.pause(),
    resume: () => gate.resume(),
    async stop() {
      abort.abort();
      await Promise.all([down, up, pump.catch(() => undefined)]);
      clearTimeout(flushTimer);
      await flushUnsaved();
    },
  };
}
