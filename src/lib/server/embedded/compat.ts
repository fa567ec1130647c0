/**
 * The ONE place where the embedded CouchDB-protocol server (express-pouchdb) is made to answer
 * like Apache CouchDB 3 (DESIGN.md section 10, ../shared/couchdb-reference). It runs in front of
 * express-pouchdb and:
 *  - gives CouchDB's status codes for access checks: 403 `forbidden` for a signed-in
 *    non-member (express-pouchdb says 401), 403 for a member writing a design doc, 401 "You are
 *    not a server admin." for database creation/deletion, `_all_dbs`, `_config` and friends;
 *  - keeps `_users` and `_replicator` admin-only, as CouchDB 3 does by default;
 *  - answers CouchDB's `GET /_up` health check;
 *  - rejects requests known to crash express-pouchdb before they reach it: an anonymous
 *    `PUT /newdb` once an admin exists, `_changes?filter=_selector` (CouchDB supports it,
 *    express-pouchdb crashes), and `_changes` naming a filter that does not exist.
 * Who is asking is learned from express-pouchdb's own `GET /_session` with the caller's
 * credentials (cached briefly per credential), so authentication stays the server's.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReplicatorEmulation } from './replicator';

export interface UserCtx {
  name: string | null;
  roles: string[];
}

interface SecurityObject {
  members?: { names?: string[]; roles?: string[] };
  admins?: { names?: string[]; roles?: string[] };
}

export interface CompatOptions {
  /** Base URL of the embedded server itself (loopback), for its own lookups. */
  selfUrl: () => string;
  /** `Basic ...` header of the server admin, used only for lookups on loopback. */
  adminAuthorization: string;
  /** How long a credential's session lookup is reused (ms). */
  sessionTtlMs?: number;
  /** Answers `_scheduler/docs` for the emulated `_replicator` (see replicator.ts). */
  scheduler?: () => ReplicatorEmulation | null;
}

const SERVER_ADMIN_ONLY = new Set([
  '_all_dbs',
  '_config',
  '_log',
  '_active_tasks',
  '_db_updates',
  '_restart',
  '_stats',
  '_node',
  '_scheduler',
  '_replicate',
]);
const ADMIN_ONLY_DBS = new Set(['_users', '_replicator']);
const NOT_SERVER_ADMIN = { error: 'unauthorized', reason: 'You are not a server admin.' };
const FORBIDDEN_DB = { error: 'forbidden', reason: 'You are not allowed to access this db.' };
const UNAUTHORIZED_DB = {
  error: 'unauthorized',
  reason: 'You are not authorized to access this db.',
};
const NOT_DB_ADMIN = { error: 'forbidden', reason: 'You are not a db or server admin.' };

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'must-revalidate' });
  res.end(JSON.stringify(body) + '\n');
}

/** A request handler over plain node http: `next` passes the request on to express-pouchdb. */
export type CompatHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

const isAdmin = (ctx: UserCtx) => ctx.roles.includes('_admin');

function inList(ctx: UserCtx, list?: { names?: string[]; roles?: string[] }): boolean {
  if (!list) return false;
  return (
    (ctx.name !== null && (list.names ?? []).includes(ctx.name)) ||
    (list.roles ?? []).some((r) => ctx.roles.includes(r))
  );
}

/** CouchDB's rule: a db with no member names/roles is open to everyone; else members and db admins only. */
export function isMember(ctx: UserCtx, sec: SecurityObject): boolean {
  const members = sec.members ?? {};
  const open = (members.names ?? []).length === 0 && (members.roles ?? []).length === 0;
  return open || inList(ctx, sec.members) || inList(ctx, sec.admins);
}

/** Creates the compat middleware; mount it before express-pouchdb. */
export function createCompat(opts: CompatOptions): CompatHandler {
  const ttl = opts.sessionTtlMs ?? 5000;
  const sessions = new Map<string, { ctx: UserCtx; at: number }>();

  async function lookup(
    path: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: unknown }> {
    const res = await fetch(opts.selfUrl() + path, { headers });
    return { status: res.status, body: await res.json().catch(() => null) };
  }

  async function userCtx(req: IncomingMessage): Promise<UserCtx | 'bad_credentials'> {
    const auth = req.headers.authorization ?? '';
    const cookie = req.headers.cookie ?? '';
    if (!auth && !/AuthSession=/.test(cookie)) return { name: null, roles: [] };
    const key = createHash('sha256').update(`${auth}\n${cookie}`).digest('hex');
    const hit = sessions.get(key);
    if (hit && Date.now() - hit.at < ttl) return hit.ctx;
    const headers: Record<string, string> = {};
    if (auth) headers.authorization = auth;
    if (cookie) headers.cookie = cookie;
    const { status, body } = await lookup('/_session', headers);
    if (status === 401) return 'bad_credentials';
    const ctx = (body as { userCtx?: UserCtx } | null)?.userCtx ?? { name: null, roles: [] };
    if (sessions.size > 1000) sessions.clear();
    sessions.set(key, { ctx, at: Date.now() });
    return ctx;
  }

  async function security(db: string): Promise<SecurityObject | null> {
    const { status, body } = await lookup(`/${encodeURIComponent(db)}/_security`, {
      authorization: opts.adminAuthorization,
    });
    return status === 200 ? (body as SecurityObject) : null;
  }

  async function filterExists(db: string, filter: string): Promise<boolean> {
    const slash = filter.indexOf('/');
    if (slash <= 0) return false;
    const ddoc = filter.slice(0, slash);
    const name = filter.slice(slash + 1);
    const { status, body } = await lookup(
      `/${encodeURIComponent(db)}/_design/${encodeURIComponent(ddoc)}`,
      {
        authorization: opts.adminAuthorization,
      },
    );
    const filters = (body as { filters?: Record<string, unknown> } | null)?.filters;
    return status === 200 && !!filters && typeof filters[name] === 'string';
  }

  async function check(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://embedded');
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [first, second] = segments;
    if (first === '_up' && segments.length === 1) {
      // CouchDB's health check (open to anyone); express-pouchdb has none.
      send(res, 200, { status: 'ok', seeds: {} });
      return false;
    }
    if (
      !first ||
      first === '_session' ||
      first === '_uuids' ||
      first === '_utils' ||
      first === 'favicon.ico'
    ) {
      return true;
    }
    const ctx = await userCtx(req);
    if (ctx === 'bad_credentials') return true; // express-pouchdb answers 401 itself, as CouchDB does
    if (isAdmin(ctx))
      return first === '_scheduler' ? schedulerDocs(segments, res) : dbChecks(url, res, first);
    if (first.startsWith('_')) {
      if (SERVER_ADMIN_ONLY.has(first)) {
        send(res, 401, NOT_SERVER_ADMIN);
        return false;
      }
      if (ADMIN_ONLY_DBS.has(first)) {
        send(res, ctx.name ? 403 : 401, ctx.name ? FORBIDDEN_DB : UNAUTHORIZED_DB);
        return false;
      }
      return true;
    }
    if (segments.length === 1 && (req.method === 'PUT' || req.method === 'DELETE')) {
      send(res, 401, NOT_SERVER_ADMIN);
      return false;
    }
    const sec = await security(first);
    if (sec === null) return true; // missing db: express-pouchdb answers 404 like CouchDB
    if (!isMember(ctx, sec)) {
      send(res, ctx.name ? 403 : 401, ctx.name ? FORBIDDEN_DB : UNAUTHORIZED_DB);
      return false;
    }
    const writes = req.method !== 'GET' && req.method !== 'HEAD';
    const dbAdmin = inList(ctx, sec.admins);
    if (writes && !dbAdmin && (second === '_design' || second === '_security')) {
      send(res, 403, NOT_DB_ADMIN);
      return false;
    }
    return dbChecks(url, res, first);
  }

  function schedulerDocs(segments: string[], res: ServerResponse): boolean {
    const emulation = opts.scheduler?.();
    if (!emulation || segments[1] !== 'docs') return true;
    if (segments.length === 2) {
      const docs = emulation.schedulerDocs();
      send(res, 200, { total_rows: docs.length, offset: 0, docs });
      return false;
    }
    const doc =
      segments[2] === '_replicator' && segments[3] ? emulation.schedulerDoc(segments[3]) : null;
    if (doc) send(res, 200, doc);
    else send(res, 404, { error: 'not_found', reason: 'unknown replication document' });
    return false;
  }

  async function dbChecks(url: URL, res: ServerResponse, db: string): Promise<boolean> {
    const filter = url.searchParams.get('filter');
    if (
      !url.pathname.endsWith('/_changes') ||
      !filter ||
      (filter.startsWith('_') && filter !== '_selector')
    ) {
      return true;
    }
    if (filter === '_selector') {
      send(res, 400, {
        error: 'bad_request',
        reason:
          'filter=_selector is not supported by the embedded server; Outpost runs selector replications in-process.',
      });
      return false;
    }
    if (!(await filterExists(db, filter))) {
      send(res, 404, { error: 'not_found', reason: `missing filter ${filter}` });
      return false;
    }
    return true;
  }

  return (req, res, next) => {
    check(req, res).then(
      (pass) => pass && next(),
      () =>
        send(res, 503, {
          error: 'unavailable',
          reason: 'The database server could not check this request.',
        }),
    );
  };
}
