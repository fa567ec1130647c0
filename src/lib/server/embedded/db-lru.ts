/**
 * CouchDB's `max_dbs_open` for the embedded server. express-pouchdb keeps every db it ever
 * opened open, and each LevelDB holds about four file descriptors (lock, info log, manifest,
 * write-ahead log) until closed: the server ran out of descriptors near 4,800 people
 * (docs/SCALE.md). This is express-pouchdb's db cache (`PouchDB.__dbCacheMap`) with CouchDB's
 * rule: beyond `max` open dbs, the least recently used ones that no request is using are closed,
 * and the next request for one opens it again.
 *
 * Closing runs inside express-pouchdb's create/delete lock (`afterOpen`, called by the patched
 * `getOrCreateDB` in patches.ts), so a db is never opened again while its close is under way:
 * LevelDB's store is shared by name, and an open racing a close would get a closed store.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';

/** What the cache holds: a PouchDB db, as far as closing it goes. */
interface CachedDb {
  close(): Promise<void>;
}

/** The Map-like cache express-pouchdb reads (`get`, `set`, `delete`), plus the eviction hook. */
export interface DbCacheMap {
  get(name: string): CachedDb | undefined;
  set(name: string, db: CachedDb): DbCacheMap;
  delete(name: string): boolean;
  has(name: string): boolean;
  /** Closes idle dbs beyond the limit; never `opened`, never a db a request is using. */
  afterOpen(opened: string): Promise<void>;
}

export interface DbLru {
  /** Install as `PouchDB.__dbCacheMap` before the server takes its first request. */
  readonly map: DbCacheMap;
  /** Counts the request as using the db of its path until the response is closed. */
  observe(req: IncomingMessage, res: ServerResponse): void;
  /** Dbs open in the cache now. */
  size(): number;
}

/** Descriptors kept free for sockets, files and the rest of the process. */
const RESERVED_FDS = 512;
/** LevelDB descriptors per open db, with room for a table file or two. */
const FDS_PER_DB = 5;
/** CouchDB's default `max_dbs_open` is 500; more is fine while the descriptors allow it. */
const MAX_DBS_CAP = 5000;
const MIN_DBS = 50;

/** The process's soft limit of open files (Linux: /proc/self/limits), or 1024 when unknown. */
export function openFilesLimit(limits = '/proc/self/limits'): number {
  try {
    const line = readFileSync(limits, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return Number.isFinite(soft) && soft > 0 ? soft : 1024;
  } catch {
    return 1024;
  }
}

/** How many dbs may stay open with `fds` descriptors (between 50 and 5,000). */
export function maxDbsOpenFor(fds: number): number {
  return Math.max(MIN_DBS, Math.min(MAX_DBS_CAP, Math.floor((fds - RESERVED_FDS) / FDS_PER_DB)));
}

/** The db a request path names (its first segment), or '' for the server's own routes. */
function dbOfUrl(url: string | undefined): string {
  const first = (url ?? '').split('?')[0].split('/').filter(Boolean)[0] ?? '';
  try {
    return decodeURIComponent(first);
  } catch {
    return '';
  }
}

/** A db the server keeps open for good: its own (`_users`, `_replicator`, ...), pouchdb-all-dbs'. */
const pinned = (name: string) => name.startsWith('_') || name.startsWith('pouch__');

/** Creates the cache; `max` dbs stay open at most (when no more are in use). */
export function createDbLru(opts: { max: number }): DbLru {
  /** Open dbs, least recently used first (a Map keeps insertion order; a use re-inserts). */
  const open = new Map<string, CachedDb>();
  const inUse = new Map<string, number>();

  const map: DbCacheMap = {
    get(name) {
      const db = open.get(name);
      if (db) {
        open.delete(name);
        open.set(name, db);
      }
      return db;
    },
    set(name, db) {
      open.delete(name);
      open.set(name, db);
      return map;
    },
    delete: (name) => open.delete(name),
    has: (name) => open.has(name),
    async afterOpen(opened) {
      let excess = open.size - opts.max;
      if (excess <= 0) return;
      const closing: Promise<void>[] = [];
      for (const [name, db] of open) {
        if (excess <= 0) break;
        if (name === opened || pinned(name) || inUse.has(name)) continue;
        open.delete(name);
        excess -= 1;
        closing.push(db.close().catch(() => undefined));
      }
      await Promise.all(closing);
    },
  };

  return {
    map,
    observe(req, res) {
      const name = dbOfUrl(req.url);
      if (!name || pinned(name)) return;
      inUse.set(name, (inUse.get(name) ?? 0) + 1);
      res.once('close', () => {
        const left = (inUse.get(name) ?? 1) - 1;
        if (left > 0) inUse.set(name, left);
        else inUse.delete(name);
      });
    },
    size: () => open.size,
  };
}
