/**
 * The first pull of a device with an empty database (a new phone, app data cleared): instead of
 * the changes feed plus a `_bulk_get` of every revision, it pages through `_all_docs` with the
 * docs included, about half the server's work, and writes each doc with its leaf revision as its
 * whole known history (`new_edits: false`; CouchDB itself keeps histories stemmed to `revs_limit`,
 * and any later revision names this leaf as its parent, so it merges normally). Docs with
 * conflicts or attachments are fetched the ordinary way, every leaf with its history and data
 * (attachments ten docs per request, so photos never pile up in one response).
 * The server's `update_seq` read before the first page is where the live pull goes on from: a
 * doc changed meanwhile comes again through the changes feed, and the revision check skips it.
 */
import type { AnyDb } from './lane';
import { remoteJson, type HttpFetch } from './remote';

type Doc = Record<string, unknown> & { _id: string; _rev: string };

/** Docs fetched with `_bulk_get` in one request when they carry attachments. */
const ATTACHMENT_DOCS_PER_REQUEST = 10;

/** What the bootstrap reports while it runs. */
export interface BootstrapHandlers {
  /** A batch of docs was written locally. */
  written(docs: Record<string, unknown>[]): void;
  /** True once the lane was cancelled: the bootstrap stops at its next step. */
  cancelled(): boolean;
}

interface Page {
  plain: Doc[];
  /** Docs with conflicts or attachments: fetched with every leaf and its data. */
  special: { id: string; revs: string[]; attachments: boolean }[];
  lastKey: string | null;
}

/** True when `local` holds no documents (its own `_design/` index docs aside). */
export async function isEmptyDb(local: AnyDb): Promise<boolean> {
  const page = await local.allDocs({ startkey: '_design0', limit: 1 });
  const before = await local.allDocs({ endkey: '_design/', limit: 1 });
  return page.rows.length === 0 && before.rows.length === 0;
}

/**
 * Copies every doc of `remote` into the empty `local`; resolves with the `since` from which the
 * changes feed goes on.
 */
export async function bootstrapPull(
  local: AnyDb,
  remote: AnyDb,
  opts: { pageSize: number; on: BootstrapHandlers },
): Promise<number | string> {
  const http = remote as AnyDb & HttpFetch;
  const stop = () => {
    if (opts.on.cancelled()) throw new Error('pull lane cancelled');
  };
  const since = (await remote.info()).update_seq;

  async function fetchPage(after: string | null): Promise<Page | null> {
    stop();
    const params = new URLSearchParams({
      include_docs: 'true',
      conflicts: 'true',
      limit: String(opts.pageSize),
    });
    // From the last id seen, that row dropped: with `skip=1` a last doc deleted between two
    // pages made the next page start one doc late, and `since` was past that doc's change.
    if (after !== null) params.set('startkey', JSON.stringify(after));
    const body = (await remoteJson(
      await http.fetch(`_all_docs?${params}`),
      'GET /db/_all_docs',
    )) as {
      rows: { id: string; value: { rev: string }; doc?: Doc & { _conflicts?: string[] } }[];
    };
    const rows = body.rows.filter((r) => r.id !== after);
    if (rows.length === 0) return null;
    const page: Page = { plain: [], special: [], lastKey: rows[rows.length - 1].id };
    for (const { id, doc } of rows) {
      if (!doc) continue;
      const { _conflicts, ...rest } = doc;
      const attachments = !!doc._attachments;
      if (_conflicts?.length || attachments) {
        page.special.push({ id, revs: [doc._rev, ...(_conflicts ?? [])], attachments });
        continue;
      }
      const [gen, hash] = doc._rev.split('-');
      page.plain.push({ ...rest, _revisions: { start: Number(gen), ids: [hash] } } as Doc);
    }
    return page;
  }

  /** Every leaf of these docs with its history (and attachment data), as replication fetches them. */
  async function fetchLeaves(docs: Page['special']): Promise<Doc[]> {
    const out: Doc[] = [];
    for (let i = 0; i < docs.length;) {
      const group = docs[i].attachments
        ? docs.slice(i, i + ATTACHMENT_DOCS_PER_REQUEST)
        : docs.slice(i, i + opts.pageSize);
      i += group.length;
      stop();
      // remote.bulkGet always speaks `_bulk_get` (remote.ts), with attachment data inline here.
      const body = await remote.bulkGet({
        docs: group.flatMap((d) => d.revs.map((rev) => ({ id: d.id, rev }))),
        revs: true,
        latest: true,
        attachments: group.some((d) => d.attachments),
      } as PouchDB.Core.BulkGetOptions);
      for (const r of body.results) {
        for (const d of r.docs) {
          // A leaf the server did not return would be skipped for good (`since` is past it).
          if (!('ok' in d)) throw new Error(`The server did not return a revision of ${r.id}.`);
          out.push(d.ok as unknown as Doc);
        }
      }
    }
    return out;
  }

  async function write(docs: Doc[]) {
    if (docs.length === 0) return;
    stop();
    await local.bulkDocs(docs, { new_edits: false });
    opts.on.written(docs);
  }

  // Page k+1 is read from the server while page k is written on the device.
  let next = fetchPage(null);
  for (;;) {
    const page = await next;
    if (!page) break;
    next = fetchPage(page.lastKey);
    next.catch(() => undefined); // awaited next turn
    await write(page.plain);
    await write(await fetchLeaves(page.special));
  }
  return since;
}
