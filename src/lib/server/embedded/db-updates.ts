/**
 * CouchDB's `GET /_db_updates` for the embedded server (express-pouchdb has none). It notes each
 * database write that the server answered with success (observed on the HTTP response, which is
 * how every write reaches this server), keeping, like CouchDB's `_global_changes` db (one doc
 * per `<type>:<db>`), only the latest event of each type per database. It answers the normal,
 * longpoll and continuous feeds with `since`, `limit`, `descending`, `timeout` and `heartbeat`;
 * like CouchDB it answers 404 until `_global_changes` exists.
 * Sequences are `<n>-<epoch>`: after a restart, a `since` from an earlier run reads from the
 * start of this run (the router's start-up sweep covers what happened in between).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

type UpdateType = 'created' | 'updated' | 'deleted';

interface Entry {
  db_name: string;
  type: UpdateType;
  n: number;
}

export interface DbUpdates {
  /** Notes the database a request writes to, once its answer says it succeeded. */
  observe(req: IncomingMessage, res: ServerResponse): void;
  /** Answers `GET /_db_updates` (the caller has checked it is a server admin). */
  answer(req: IncomingMessage, res: ServerResponse): void;
  /** Ends every waiting longpoll (server shutting down). */
  close(): void;
}

const WRITE_METHODS = new Set(['PUT', 'POST', 'DELETE', 'COPY']);
/** `POST /db/<x>` that write (every other POST under a db reads: `_all_docs`, `_find`, ...). */
const POST_WRITES = new Set(['_bulk_docs', '_purge']);
const DEFAULT_TIMEOUT_MS = 60_000;

/** The database a successful request wrote to and how, or null for reads and `_local` docs. */
function writeOf(method: string, url: string): { db: string; type: UpdateType } | null {
  if (!WRITE_METHODS.has(method)) return null;
  const path = url.split('?')[0];
  const parts = path.split('/').filter(Boolean);
  if (!parts.length) return null;
  let db: string;
  try {
    db = decodeURIComponent(parts[0]);
  } catch {
    return null;
  }
  if (db.startsWith('_') && db !== '_users' && db !== '_replicator') return null;
  if (parts.length === 1) {
    if (method === 'PUT') return { db, type: 'created' };
    if (method === 'DELETE') return { db, type: 'deleted' };
    return method === 'POST' ? { db, type: 'updated' } : null;
  }
  const second = parts[1];
  if (second === '_local') return null;
  if (second.startsWith('_') && second !== '_design') {
    return method === 'POST' && POST_WRITES.has(second) ? { db, type: 'updated' } : null;
  }
  return { db, type: 'updated' };
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'must-revalidate' });
  res.end(JSON.stringify(body) + '\n');
}

/** Creates the emulation; `exists` says whether `_global_changes` has been created. */
export function createDbUpdates(opts: { exists: () => Promise<boolean> }): DbUpdates {
  const epoch = randomBytes(6).toString('hex');
  const latest = new Map<string, Entry>();
  const waiters = new Set<() => void>();
  let counter = 0;
  const seq = (n: number) => `${n}-${epoch}`;

  function record(db: string, type: UpdateType) {
    counter += 1;
    const key = `${type}:${db}`;
    latest.delete(key); // keeps the map in sequence order
    latest.set(key, { db_name: db, type, n: counter });
    for (const wake of [...waiters]) wake();
  }

  /** A `since` as a number of this run (anything from another run or unknown: 0). */
  function parseSince(raw: string | null): number | null {
    if (raw === null || raw === '0') return 0;
    if (raw === 'now') return counter;
    const m = /^(\d+)-([a-f0-9]+)$/.exec(raw);
    if (m) return m[2] === epoch ? Number(m[1]) : 0;
    return /^\d+$/.test(raw) ? 0 : null;
  }

  function results(since: number, limit: number, descending: boolean) {
    let rows = [...latest.values()].filter((e) => e.n > since);
    if (descending) rows.reverse();
    if (limit < rows.length) rows = rows.slice(0, limit);
    return rows.map((e) => ({ db_name: e.db_name, type: e.type, seq: seq(e.n) }));
  }

  /**
   * A continuous feed: one JSON line per event from `since` on, a newline every `heartbeat` ms,
   * and after `timeout` (when given) a last `{"last_seq": ...}` line, as CouchDB.
   */
  function continuous(res: ServerResponse, since: number, q: URLSearchParams) {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'must-revalidate' });
    let sent = since;
    const flush = () => {
      for (const row of results(sent, Infinity, false)) res.write(JSON.stringify(row) + '\n');
      sent = counter;
    };
    flush();
    const beat = Number(q.get('heartbeat')) || 0;
    const heartbeat = beat > 0 ? setInterval(() => res.write('\n'), beat) : undefined;
    const wake = () => flush();
    waiters.add(wake);
    const end = () => {
      clearInterval(heartbeat);
      clearTimeout(timer);
      waiters.delete(wake);
    };
    const limitMs = Number(q.get('timeout')) || 0;
    const timer =
      limitMs > 0
        ? setTimeout(() => {
            end();
            res.end(JSON.stringify({ last_seq: seq(counter) }) + '\n');
          }, limitMs)
        : undefined;
    res.once('close', end);
  }

  return {
    observe(req, res) {
      const write = writeOf(req.method ?? 'GET', req.url ?? '/');
      if (!write) return;
      res.once('finish', () => {
        if (res.statusCode < 300) record(write.db, write.type);
      });
    },

    answer(req, res) {
      const url = new URL(req.url ?? '/', 'http://x');
      const q = url.searchParams;
      void opts.exists().then((exists) => {
        if (!exists) {
          sendJson(res, 404, { error: 'not_found', reason: 'Database does not exist.' });
          return;
        }
        const since = parseSince(q.get('since'));
        if (since === null) {
          sendJson(res, 400, {
            error: 'bad_request',
            reason: "Malformed sequence supplied in 'since' parameter.",
          });
          return;
        }
        const feed = q.get('feed') ?? 'normal';
        if (feed !== 'normal' && feed !== 'longpoll' && feed !== 'continuous') {
          sendJson(res, 400, {
            error: 'bad_request',
            reason: `feed=${feed} is not supported by the embedded server; use normal, longpoll or continuous.`,
          });
          return;
        }
        if (feed === 'continuous') return continuous(res, since, q);
        const limit = q.has('limit') ? Math.max(0, Number(q.get('limit')) || 0) : Infinity;
        const descending = q.get('descending') === 'true';
        const reply = () => {
          const rows = results(since, limit, descending);
          const last = rows.length && !descending ? rows[rows.length - 1].seq : seq(counter);
          sendJson(res, 200, { results: rows, last_seq: last });
        };
        if (feed === 'normal' || results(since, 1, false).length) return reply();
        const timeout = Math.min(
          Number(q.get('timeout') ?? DEFAULT_TIMEOUT_MS) || 0,
          DEFAULT_TIMEOUT_MS,
        );
        const done = () => {
          clearTimeout(timer);
          waiters.delete(wake);
          reply();
        };
        const wake = () => done();
        const timer = setTimeout(done, timeout);
        waiters.add(wake);
        res.once('close', () => {
          clearTimeout(timer);
          waiters.delete(wake);
        });
      });
    },

    close() {
      for (const wake of [...waiters]) wake();
    },
  };
}
