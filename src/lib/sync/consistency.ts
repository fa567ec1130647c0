/**
 * The safety net under the sync lanes: a cheap full comparison of the device with its server db
 * that heals what the lanes missed. It pages the server's `_all_docs` (ids and winning revisions
 * only, no bodies) and the device's own, and for every doc whose winning revision differs it asks
 * which side lacks what: the device's `_revs_diff` for the server's winner (fetched with
 * `_bulk_get?revs=true` and written with `new_edits: false`), the server's `_revs_diff` for the
 * device's leaves this device wrote (pushed with `new_edits: false`). A difference the lanes are
 * about to deliver (a change newer than their last read) is not a miss: before healing, the caller
 * lets the lanes run a fresh round (`settle`), and only a difference that stayed exactly the same
 * through it is healed. Every heal means a sync bug, so the result names each healed revision.
 */
import { isEvictionRevision } from '../domain/photo';
import type { AnyDb } from './lane';
import { remoteJson, type HttpFetch } from './remote';

/** Rows of `_all_docs` read per request (server and device). */
export const CHECK_PAGE_SIZE = 1000;

type Doc = Record<string, unknown> & { _id: string; _rev: string };

/** One doc's winning revision on one side; `null` when that side has no such doc at all. */
interface Winner {
  rev: string;
  deleted: boolean;
}

/** What one check healed: `id@rev` of each revision written to the device or to the server. */
export interface HealReport {
  /** ISO time the heal was written. */
  at: string;
  /** Revisions the device lacked, fetched from the server. */
  pulled: string[];
  /** Revisions this device wrote that the server lacked, pushed again. */
  pushed: string[];
}

/** The outcome of one check. */
export interface CheckResult {
  /** Docs compared (server and device ids, design docs aside). */
  compared: number;
  /** Docs whose winning revision differed before the lanes' fresh round. */
  differed: number;
  /** What was healed, or null when nothing needed it. */
  healed: HealReport | null;
  /**
   * Revisions of this device the server refused when they were pushed again (validate_doc_update,
   * as when the push lane sent them): known refusals, not healed and not a sync bug.
   */
  refused: string[];
}

export interface CheckOptions {
  /** This device: only its own revisions are pushed again. */
  deviceId: string;
  pageSize?: number;
  /**
   * Lets the lanes deliver what they are about to (a fresh pull and push round); resolves true
   * once they are idle again, false when that did not happen (the check then stops, unhealed).
   */
  settle(): Promise<boolean>;
  /** Hears docs written to the device (like a pulled batch: the conflict resolver). */
  pulled?(docs: Record<string, unknown>[]): void | Promise<void>;
  /** Wall clock for the report (default Date.now). */
  now?: () => number;
}

const isDesign = (id: string) => id.startsWith('_design/');

/** Every non-design doc's winning revision on the server, paged (`_all_docs` without bodies). */
async function serverWinners(remote: AnyDb & HttpFetch, pageSize: number) {
  const out = new Map<string, string>();
  let after: string | null = null;
  for (;;) {
    const params = new URLSearchParams({ limit: String(pageSize) });
    // `startkey` = the last id seen, that row dropped: `skip=1` would skip a doc instead when
    // the last one was deleted between two pages.
    if (after !== null) params.set('startkey', JSON.stringify(after));
    const body = await remoteJson<{ rows: { id: string; value: { rev: string } }[] }>(
      await remote.fetch(`_all_docs?${params}`),
      'GET /db/_all_docs',
    );
    const rows = body.rows.filter((r) => r.id !== after);
    for (const r of rows) if (!isDesign(r.id)) out.set(r.id, r.value.rev);
    if (body.rows.length < pageSize || rows.length === 0) return out;
    after = rows[rows.length - 1].id;
  }
}

/** Every non-design doc's winning revision on the device, paged. */
async function localWinners(local: AnyDb, pageSize: number) {
  const out = new Map<string, string>();
  let after: string | null = null;
  for (;;) {
    const page: PouchDB.Core.AllDocsResponse<Record<string, unknown>> = await local.allDocs({
      limit: pageSize,
      ...(after !== null ? { startkey: after, skip: 1 } : {}),
    });
    for (const r of page.rows) if (!isDesign(r.id)) out.set(r.id, r.value.rev);
    if (page.rows.length < pageSize) return out;
    after = page.rows[page.rows.length - 1].id;
  }
}

type KeyRow = { id?: string; key: string; value?: { rev: string; deleted?: boolean } };

/** The winners of `ids` on the server, deleted ones included (`POST _all_docs` with keys). */
async function serverWinnersOf(remote: AnyDb & HttpFetch, ids: string[]) {
  const out = new Map<string, Winner | null>();
  for (let i = 0; i < ids.length; i += CHECK_PAGE_SIZE) {
    const keys = ids.slice(i, i + CHECK_PAGE_SIZE);
    const body = await remoteJson<{ rows: KeyRow[] }>(
      await remote.fetch('_all_docs', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ keys }),
      }),
      'POST /db/_all_docs',
    );
    for (const r of body.rows) out.set(r.key, r.value ? winner(r.value) : null);
  }
  return out;
}

/** The winners of `ids` on the device, deleted ones included. */
async function localWinnersOf(local: AnyDb, ids: string[]) {
  const out = new Map<string, Winner | null>();
  const res = await local.allDocs({ keys: ids });
  for (const r of res.rows as KeyRow[]) out.set(r.key, r.value ? winner(r.value) : null);
  return out;
}

const winner = (v: { rev: string; deleted?: boolean }): Winner => ({
  rev: v.rev,
  deleted: v.deleted === true,
});

/** Ids whose winning revision differs between the two sides (deleted docs compared too). */
async function differing(local: AnyDb, remote: AnyDb & HttpFetch, ids: string[]) {
  const [server, device] = await Promise.all([
    serverWinnersOf(remote, ids),
    localWinnersOf(local, ids),
  ]);
  return {
    server,
    device,
    ids: ids.filter((id) => server.get(id)?.rev !== device.get(id)?.rev),
  };
}

/** This device's leaves of `id` (bodies with their history), its photo evictions aside. */
async function ownLeaves(local: AnyDb, id: string, deviceId: string): Promise<Doc[]> {
  const rows = (await local.get(id, { open_revs: 'all', revs: true })) as unknown as {
    ok?: Doc;
  }[];
  return rows
    .map((r) => r.ok)
    .filter((d): d is Doc => !!d && d.deviceId === deviceId && !isEvictionRevision(d));
}

/** Compares the device with the server and heals what differs (see the file comment). */
export async function checkConsistency(
  local: AnyDb,
  remote: AnyDb & HttpFetch,
  opts: CheckOptions,
): Promise<CheckResult> {
  const pageSize = opts.pageSize ?? CHECK_PAGE_SIZE;
  const [server, device] = await Promise.all([
    serverWinners(remote, pageSize),
    localWinners(local, pageSize),
  ]);
  const ids = new Set([...server.keys(), ...device.keys()]);
  const candidates = [...ids].filter((id) => server.get(id) !== device.get(id));
  const result: CheckResult = {
    compared: ids.size,
    differed: candidates.length,
    healed: null,
    refused: [],
  };
  if (candidates.length === 0) return result;
  const before = await differing(local, remote, candidates);
  if (before.ids.length === 0 || !(await opts.settle())) return result;
  const after = await differing(local, remote, before.ids);
  // Only what stayed the same on both sides through the lanes' fresh round is a miss: a revision
  // on the server before that round started and still not on the device after it is behind the
  // pull checkpoint. Anything that moved meanwhile is left to the lanes (and the next check).
  const same = (id: string) =>
    before.server.get(id)?.rev === after.server.get(id)?.rev &&
    before.device.get(id)?.rev === after.device.get(id)?.rev;
  const left = { ...after, ids: after.ids.filter(same) };
  if (left.ids.length === 0) return result;

  const report: HealReport = { at: '', pulled: [], pushed: [] };
  // The device lacks the server's winner: fetch it with its history.
  const serverRevs: Record<string, string[]> = {};
  for (const id of left.ids) {
    const rev = left.server.get(id)?.rev;
    if (rev) serverRevs[id] = [rev];
  }
  const lacking = await local.revsDiff(serverRevs);
  const wanted = Object.entries(lacking).flatMap(([id, d]) =>
    (d.missing ?? []).map((rev) => ({ id, rev })),
  );
  if (wanted.length > 0) {
    const got = (await remote.bulkGet({
      docs: wanted,
      revs: true,
      latest: true,
    } as PouchDB.Core.BulkGetOptions)) as unknown as {
      results: { docs: { ok?: Doc; error?: unknown; missing?: string }[] }[];
    };
    const docs = got.results.flatMap((r) => r.docs.map((d) => d.ok).filter((d): d is Doc => !!d));
    if (docs.length < wanted.length) throw new Error('The server did not return every revision.');
    await local.bulkDocs(docs, { new_edits: false });
    report.pulled.push(...docs.map((d) => `${d._id}@${d._rev}`));
    await opts.pulled?.(docs);
  }

  // The server lacks a revision this device wrote: push it again.
  const mine = new Map<string, Doc>();
  for (const id of left.ids) {
    if (left.device.get(id) === undefined) continue;
    for (const leaf of await ownLeaves(local, id, opts.deviceId)) {
      mine.set(`${leaf._id}@${leaf._rev}`, leaf);
    }
  }
  if (mine.size > 0) {
    const ask: Record<string, string[]> = {};
    for (const d of mine.values()) (ask[d._id] ??= []).push(d._rev);
    const missing = await remote.revsDiff(ask);
    const send = Object.entries(missing).flatMap(([id, d]) =>
      (d.missing ?? []).map((rev) => mine.get(`${id}@${rev}`)).filter((x): x is Doc => !!x),
    );
    if (send.length > 0) {
      const res = await remote.bulkDocs(send, { new_edits: false });
      const refused = new Set(
        res.filter((r) => 'error' in r && r.error).map((r) => String((r as { id?: string }).id)),
      );
      for (const d of send) {
        (refused.has(d._id) ? result.refused : report.pushed).push(`${d._id}@${d._rev}`);
      }
    }
  }
  if (report.pulled.length + report.pushed.length === 0) return result;
  report.at = new Date((opts.now ?? Date.now)()).toISOString();
  return { ...result, healed: report };
}
