/**
 * The router's up direction: catches one user db up into master from its own checkpoint. Which
 * dbs changed comes from `_db_updates` (see index.ts); only those are read.
 */
import { isRoutableId, REFERENCE_TYPES } from '../../domain/routing';
import { dbPath, type AdminCouch } from '../couch/admin-http';
import { copyRevisions, FRESH_BATCH, planAdd, type CopyPlan } from './copy';
import type { EchoSet } from './echo';

export interface UpContext {
  couch: AdminCouch;
  masterDb: string;
  /** Revisions the down direction wrote into user dbs: not copied back up. */
  downEcho: EchoSet;
  /** Revisions this direction writes into master, keyed by the user db they came from. */
  upEcho: EchoSet;
  batchSize: number;
  concurrency: number;
}

/** The checkpoint key of a user db. */
export const upKey = (db: string) => `up:${db}`;

/** Reference data is never copied up (it lives in the team's reference db). */
const referenceId = (id: string) => REFERENCE_TYPES.some((t) => id.startsWith(`${t}:`));

/**
 * Copies what `db` has and master lacks, from `since` on; returns the last sequence read and how
 * many revisions it wrote. The caller saves the checkpoint (a little later: a copy repeated
 * after a crash is a no-op, so the checkpoint need not be written after every write).
 */
export async function catchUp(
  ctx: UpContext,
  db: string,
  since: string,
): Promise<{ seq: string; written: number }> {
  let seq = since;
  let written = 0;
  for (;;) {
    const res = await ctx.couch.request<{
      results: { id: string; changes: { rev: string }[] }[];
      last_seq: string | number;
    }>('GET', `${dbPath(db)}/_changes`, {
      query: { since: seq, style: 'all_docs', limit: ctx.batchSize },
    });
    const plan: CopyPlan = new Map();
    for (const row of res.results) {
      if (!isRoutableId(row.id) || referenceId(row.id)) continue;
      const revs = row.changes.map((c) => c.rev).filter((r) => !ctx.downEcho.take(db, row.id, r));
      if (revs.length) planAdd(plan, ctx.masterDb, row.id, revs);
    }
    if (plan.size) {
      const copied = await copyRevisions(ctx.couch, db, plan, {
        concurrency: 1,
        ask: res.results.length > FRESH_BATCH,
        // Keyed by the user db the revisions came from: the down direction skips them there.
        writing: (_master, revs) => {
          for (const { id, rev } of revs) ctx.upEcho.add(db, id, rev);
        },
      });
      written += copied.written.get(ctx.masterDb)?.length ?? 0;
    }
    seq = String(res.last_seq);
    if (res.results.length < ctx.batchSize) return { seq, written };
  }
}
