/**
 * The server resolver (DESIGN.md section 6): follows master's `_changes` with conflicts and
 * resolves with the same pure rules as devices (src/lib/conflicts), so a conflict resolved here
 * and on a device produces the same revisions. Only CouchDB HTTP, through PouchDB's http adapter
 * (the resolver needs `open_revs` and `new_edits: false`). Its position is kept in a `_local`
 * doc on master, so a restart resumes where it stopped.
 */
import { Pouch, type LocalDb } from '../../db/pouch';
import { mayNeedResolving, resolveAll, type ChangeRow } from '../../conflicts/resolve';
import { createBackoff } from '../../sync/backoff';

const CHECKPOINT_ID = '_local/outpost-resolver';

/** What the worker did since it started (for metrics). */
export interface ResolverStats {
  /** Conflicts resolved (docs with two or more live leaves). */
  resolved: number;
  /** Of those and of deletions that lost to an edit, how many went to a person's review. */
  needsReview: number;
  /** Audit docs written (one per resolved conflict, one per deletion that lost). */
  audits: number;
}

export interface ResolverWorker {
  /** Resolves once every change seen so far has been handled (for tests and shutdown). */
  idle(): Promise<void>;
  stats(): ResolverStats;
  stop(): Promise<void>;
}

/** Starts the worker on master (`url` without credentials; admin credentials passed apart). */
export function startResolverWorker(opts: {
  url: string;
  admin: { name: string; password: string };
  log?: (message: string) => void;
}): ResolverWorker {
  const log = opts.log ?? (() => {});
  const db = new Pouch(opts.url, {
    skip_setup: true,
    auth: { username: opts.admin.name, password: opts.admin.password },
  } as PouchDB.Configuration.RemoteDatabaseConfiguration) as unknown as LocalDb;
  const backoff = createBackoff({ baseMs: 1000, maxMs: 30_000 });
  let stopped = false;
  let feed: PouchDB.Core.Changes<Record<string, unknown>> | null = null;
  let work: Promise<void> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let latestSeq: string | number | null = null;
  let savedAt = 0;
  const stats: ResolverStats = { resolved: 0, needsReview: 0, audits: 0 };

  async function readCheckpoint(): Promise<string | number> {
    try {
      return ((await db.get(CHECKPOINT_ID)) as unknown as { since: string | number }).since;
    } catch {
      return 0;
    }
  }

  async function saveCheckpoint(since: string | number) {
    const current = await db.get(CHECKPOINT_ID).catch(() => null);
    await db.put({ _id: CHECKPOINT_ID, ...(current ? { _rev: current._rev } : {}), since });
  }

  function handle(rows: ChangeRow[], seq: string | number) {
    const ids = rows.filter((r) => mayNeedResolving(r)).map((r) => r.id);
    work = work
      .then(async () => {
        if (ids.length > 0) {
          const result = await resolveAll(db, { docIds: ids });
          stats.resolved += result.resolved;
          stats.needsReview += result.needsReview;
          for (const s of result.summaries)
            stats.audits += (s.auditId ? 1 : 0) + s.deletionAuditIds.length;
          if (result.resolved + result.deletions > 0) {
            log(
              `resolver: ${result.resolved} conflicts resolved, ${result.needsReview} need review`,
            );
          }
        }
        latestSeq = seq;
        // One checkpoint write per couple of seconds at most, not one per change.
        if (Date.now() - savedAt > 2000) {
          savedAt = Date.now();
          await saveCheckpoint(seq);
        }
      })
      .catch((err: unknown) => log(`resolver: ${(err as Error).message}`));
  }

  async function follow() {
    if (stopped) return;
    const since = await readCheckpoint().catch(() => 0);
    feed = db.changes({
      live: true,
      since,
      style: 'all_docs',
      conflicts: true,
      include_docs: true,
      heartbeat: 10_000,
    });
    feed.on('change', (change) => {
      backoff.reset();
      handle([change as unknown as ChangeRow], change.seq);
    });
    feed.on('error', (err) => {
      if (stopped) return;
      const delay = backoff.next(0);
      log(
        `resolver: changes feed failed (${(err as Error)?.message ?? err}); retrying in ${Math.round(delay / 1000)} s`,
      );
      timer = setTimeout(() => void follow(), delay);
    });
  }

  void follow();
  return {
    idle: () => work,
    stats: () => ({ ...stats }),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      feed?.cancel();
      await work;
      if (latestSeq !== null) await saveCheckpoint(latestSeq).catch(() => undefined);
      await db.close().catch(() => undefined);
    },
  };
}
