/**
 * The router's down direction: one `_changes` feed on master. Each changed doc goes to the dbs
 * of the people who should see it (src/lib/domain/routing.ts); a stop also brings its account to
 * the people of the stop; an account goes to the reps with a stop at it (a view on master).
 * Every leaf revision is copied, so conflicts travel as conflicts.
 */
import type { Directory } from '../../domain/routing';
import { accountRecipientsOfStop, isRoutableId, recipientsOf } from '../../domain/routing';
import { dbPath, type AdminCouch } from '../couch/admin-http';
import { userDbName } from '../provision/names';
import { ROUTER_DESIGN } from './design';
import {
  copyRevisions,
  FRESH_BATCH,
  planAdd,
  type CopyOptions,
  type CopyPlan,
  type CopyResult,
} from './copy';
import type { EchoSet } from './echo';

type Doc = Record<string, unknown> & { _id: string; _rev: string };

/** One row of master's `_changes?style=all_docs&include_docs=true`. */
export interface ChangeRow {
  id: string;
  seq: string | number;
  changes: { rev: string }[];
  deleted?: boolean;
  doc?: Doc | null;
}

export interface RouteContext {
  couch: AdminCouch;
  masterDb: string;
  directory: () => Directory;
  /** Revisions written into master by the up direction: not routed back to where they came from. */
  echo: EchoSet;
  /** Told of each copy into a user db before it is written (the up direction skips it). */
  writing: NonNullable<CopyOptions['writing']>;
  concurrency: number;
}

/** The reps (and owners) with a stop at each account, from master's router view. */
async function stopPeopleByAccount(
  ctx: RouteContext,
  accountIds: string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!accountIds.length) return out;
  const res = await ctx.couch.request<{ rows: { key: string; value: string }[] }>(
    'POST',
    `${dbPath(ctx.masterDb)}/_design/${ROUTER_DESIGN}/_view/stop_people_by_account`,
    { body: { keys: accountIds } },
  );
  for (const row of res.rows) {
    const list = out.get(row.key) ?? [];
    if (!list.includes(row.value)) list.push(row.value);
    out.set(row.key, list);
  }
  return out;
}

/** The winning revision of each id in master (missing and deleted docs left out). */
async function winningRevs(ctx: RouteContext, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!ids.length) return out;
  const res = await ctx.couch.request<{
    rows: { key: string; value?: { rev: string; deleted?: boolean } }[];
  }>('POST', `${dbPath(ctx.masterDb)}/_all_docs`, { body: { keys: ids } });
  for (const row of res.rows) if (row.value && !row.value.deleted) out.set(row.key, row.value.rev);
  return out;
}

/** Copies the winning revision of each account to the people who need it (most have it: asked first). */
async function copyStopAccounts(
  ctx: RouteContext,
  needs: Map<string, Set<string>>,
): Promise<CopyResult> {
  const plan: CopyPlan = new Map();
  const revs = await winningRevs(ctx, [...needs.keys()]);
  for (const [id, names] of needs) {
    const rev = revs.get(id);
    if (rev) for (const name of names) planAdd(plan, userDbName(name), id, [rev]);
  }
  return copyRevisions(ctx.couch, ctx.masterDb, plan, {
    concurrency: ctx.concurrency,
    writing: ctx.writing,
  });
}

/**
 * Routes a batch of master changes: builds the copy plan and copies. `onlyTo` restricts the
 * recipients (a backfill for people who just joined or moved team).
 */
export async function routeRows(
  ctx: RouteContext,
  rows: ChangeRow[],
  onlyTo?: ReadonlySet<string>,
): Promise<CopyResult & { routed: number }> {
  const dir = ctx.directory();
  const plan: CopyPlan = new Map();
  const keep = (name: string) => !onlyTo || onlyTo.has(name);
  const accounts: ChangeRow[] = [];
  const accountNeeds = new Map<string, Set<string>>();
  let routed = 0;

  const add = (name: string, id: string, revs: string[]) => {
    const db = userDbName(name);
    const wanted = revs.filter((rev) => !ctx.echo.take(db, id, rev));
    if (wanted.length) planAdd(plan, db, id, wanted);
  };
  /** Plans every leaf of a changed doc for those of `names` this round routes to. */
  const routeTo = (names: Iterable<string>, row: ChangeRow) => {
    const to = [...names].filter(keep);
    if (to.length) routed += 1;
    for (const name of to)
      add(
        name,
        row.id,
        row.changes.map((c) => c.rev),
      );
  };

  const others: ChangeRow[] = [];
  for (const row of rows) {
    if (!row.doc || !isRoutableId(row.id)) continue;
    (row.doc.type === 'account' ? accounts : others).push(row);
  }
  // Changed accounts first in every db's copy, so a device never pulls a stop before its account.
  if (accounts.length) {
    const stopPeople = await stopPeopleByAccount(
      ctx,
      accounts.map((r) => r.id),
    );
    for (const row of accounts) routeTo(recipientsOf(row.doc!, dir, stopPeople.get(row.id)), row);
  }
  const changedAccounts = new Set(accounts.map((r) => r.id));
  for (const row of others) {
    const doc = row.doc!;
    routeTo(recipientsOf(doc, dir), row);
    // The account of a changed stop, unless it changed too (then every leaf goes already).
    if (
      doc.type === 'stop' &&
      typeof doc.accountId === 'string' &&
      !changedAccounts.has(doc.accountId)
    ) {
      const needs = accountNeeds.get(doc.accountId) ?? new Set<string>();
      for (const name of accountRecipientsOfStop(doc, dir)) if (keep(name)) needs.add(name);
      if (needs.size) accountNeeds.set(doc.accountId, needs);
    }
  }

  // The accounts of changed stops go before the stops: a device never holds a stop without it.
  const first = accountNeeds.size ? await copyStopAccounts(ctx, accountNeeds) : null;
  // The changed docs themselves: a few fresh changes are sent without asking (they are new to
  // every target but the one they came from, which the echo set skips).
  const result = await copyRevisions(ctx.couch, ctx.masterDb, plan, {
    concurrency: ctx.concurrency,
    ask: !!onlyTo || rows.length > FRESH_BATCH,
    writing: ctx.writing,
  });
  for (const [db, revs] of first?.written ?? []) {
    result.written.set(db, [...revs, ...(result.written.get(db) ?? [])]);
  }
  result.gone += first?.gone ?? 0;
  return { ...result, routed };
}

/**
 * Routes every doc related to `people` (by master's router view) to those of `recipients` who
 * should see it: what a person who joined, or moved team, needs in their db. Returns how many
 * revisions it wrote.
 */
export async function backfill(
  ctx: RouteContext,
  people: string[],
  recipients: ReadonlySet<string>,
  pageSize = 500,
): Promise<number> {
  let copied = 0;
  for (const person of people) {
    let startDocId: string | undefined;
    for (;;) {
      const page = await ctx.couch.request<{ rows: { id: string; doc: Doc | null }[] }>(
        'GET',
        `${dbPath(ctx.masterDb)}/_design/${ROUTER_DESIGN}/_view/related_people`,
        {
          query: {
            startkey: JSON.stringify(person),
            endkey: JSON.stringify(person),
            include_docs: true,
            limit: pageSize + 1,
            ...(startDocId ? { startkey_docid: startDocId } : {}),
          },
        },
      );
      const rows = page.rows.slice(0, pageSize);
      const changeRows: ChangeRow[] = rows
        .filter((r) => r.doc)
        .map((r) => ({ id: r.id, seq: 0, changes: [{ rev: r.doc!._rev }], doc: r.doc }));
      const res = await routeRows(ctx, changeRows, recipients);
      for (const revs of res.written.values()) copied += revs.length;
      if (page.rows.length <= pageSize) break;
      startDocId = page.rows[pageSize].id;
    }
  }
  return copied;
}
