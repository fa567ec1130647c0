/**
 * The ONE place where the embedded CouchDB-protocol server (express-pouchdb) is made to answer
 * like Apache CouchDB 3 (DESIGN.md section 10, ../shared/couchdb-reference). It runs in front of
 * express-pouchdb and:
 *  - gives CouchDB's status codes for access checks: 403 `forbidden` for a signed-in
 *    non-member (express-pouchdb says 401), 403 "You are not a db or server admin." for a
 *    member writing a design doc (by URL, `POST /db`, `COPY` or `_index`), `_security`,
 *    `_compact` and friends, 401 "You are not a server admin." for database
 *    creation/deletion, `_all_dbs`, `_config` and friends;
 *  - keeps `_users` and `_replicator` admin-only, as CouchDB 3 does by default;
 *  - answers CouchDB's `GET /_up` health check and its welcome document `GET /` (welcome.ts);
 *  - checks the built-in `_changes` filters as CouchDB does (changes-filter.ts): `_selector`
 *    takes a selector object from a JSON POST body (then runs in express-pouchdb), `_view`
 *    needs `view=<ddoc>/<view>`;
 *  - checks what CouchDB checks before a request reaches a database: database names
 *    (`illegal_database_name`, so no name like `../x` becomes a folder outside the data
 *    folder), request bodies (`invalid UTF-8 JSON`, `Document must be a JSON object`,
 *    `illegal_docid`, `document_too_large` over max_document_size, `too_large` over the
 *    request limit), `since`, `rev` and `open_revs` formats, `_temp_view` (gone in CouchDB 3);
 *  - rejects requests known to crash or stall express-pouchdb before they reach it: an
 *    anonymous `PUT /newdb` once an admin exists, `_changes` with `filter=_design` or a
 *    filter/view that does not exist, `_list` naming a missing list function
 *    (unhandled rejections), bodies large enough to overflow a string (an uncaught
 *    RangeError), JSON nested deep enough to overflow PouchDB's stack, and `$regex` in a
 *    member's `_find` or `_changes` selector (one pattern such as `^(a+)+$` blocks the whole
 *    process);
 *  - refuses every write to `_local/_security` (403): the embedded server keeps the security
 *    object there, so such a write by a member would make them a db admin (CouchDB: a plain
 *    local doc); `_security` objects are kept in memory (security-cache.ts), which holds
 *    because every change of one passes here.
 * Who is asking is learned from express-pouchdb's own `GET /_session` with the caller's
 * credentials (cached briefly per credential, and looked up again before a cached identity
 * is refused), so authentication stays the server's.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  pouchSelector,
  selectorBodyProblem,
  selectorRequestProblem,
  viewParamProblem,
  type FilterProblem,
} from './changes-filter';
import type { DbUpdates } from './db-updates';
import type { ReplicatorEmulation } from './replicator';
import { createSecurityCache } from './security-cache';
import { welcomeDoc } from './welcome';

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
  /** Answers `_db_updates` (see db-updates.ts); express-pouchdb has none. */
  dbUpdates?: DbUpdates;
  /** CouchDB's `[couchdb] max_document_size` in bytes (default 8 MB, as CouchDB 3). */
  maxDocumentBytes?: number;
  /** Largest request body, CouchDB's `max_http_request_size` (see {@link MAX_REQUEST_BYTES}). */
  maxRequestBytes?: number;
  /** The server's uuid (CouchDB's `[couchdb] uuid`), shown in the welcome document. */
  serverUuid?: string;
}

/** CouchDB 3's default `max_document_size`. */
export const MAX_DOCUMENT_BYTES = 8 * 1024 * 1024;
/**
 * Largest request body the embedded server reads. CouchDB's default is 4 GB, but here the
 * database shares the app's process and heap: a JSON body over ~512 MB cannot even be turned
 * into a string (express-pouchdb then dies of an uncaught RangeError), and parsing a few hundred
 * MB of small objects exhausts the heap. 64 MB holds a sync batch of 1000 docs of 64 KB.
 */
export const MAX_REQUEST_BYTES = 64 * 1024 * 1024;
/** `POST /_session` carries a name and a password; anyone may send it, so it stays small. */
const MAX_SESSION_BYTES = 64 * 1024;
/** Deepest JSON nesting read; PouchDB overflows its stack on documents ~4000 levels deep. */
export const MAX_JSON_DEPTH = 1000;
/** CouchDB's `max_bulk_docs_count` and `max_bulk_get_count`. */
const MAX_BULK_COUNT = 10_000;

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
/** Per-db endpoints only db admins may write to (CouchDB checks `is_admin` on these). */
const DB_ADMIN_WRITES = new Set([
  '_design',
  '_security',
  '_index',
  '_compact',
  '_view_cleanup',
  '_revs_limit',
  '_purge',
  '_purged_infos_limit',
]);
/** `PUT /db/_x` that are endpoints, not (illegal) document ids. */
const PUT_ENDPOINTS = new Set(['_security', '_revs_limit', '_purged_infos_limit']);
/** Built-in `_changes` filters express-pouchdb runs correctly. */
const SAFE_BUILTIN_FILTERS = new Set(['_doc_ids']);

const NOT_SERVER_ADMIN = { error: 'unauthorized', reason: 'You are not a server admin.' };
const FORBIDDEN_DB = { error: 'forbidden', reason: 'You are not allowed to access this db.' };
const UNAUTHORIZED_DB = {
  error: 'unauthorized',
  reason: 'You are not authorized to access this db.',
};
const NOT_DB_ADMIN = { error: 'forbidden', reason: 'You are not a db or server admin.' };
/** Where the embedded server keeps a db's security object (pouchdb-security). */
const SECURITY_DOC_ID = '_local/_security';
const SECURITY_DOC_WRITE = {
  error: 'forbidden',
  reason: `${SECURITY_DOC_ID} holds the security object on the embedded server; change it with PUT /{db}/_security.`,
};
const INVALID_JSON = { error: 'bad_request', reason: 'invalid UTF-8 JSON' };
const TOO_LARGE = { error: 'too_large', reason: 'the request entity is too large' };
const NOT_AN_OBJECT = { error: 'bad_request', reason: 'Document must be a JSON object' };
const BODY_NOT_AN_OBJECT = { error: 'bad_request', reason: 'Request body must be a JSON object' };
const BAD_REV = { error: 'bad_request', reason: 'Invalid rev format' };
const BAD_SINCE = {
  error: 'bad_request',
  reason: "Malformed sequence supplied in 'since' parameter.",
};
const BAD_DOC_IDS = {
  error: 'bad_request',
  reason: '`doc_ids` filter parameter is not a list of doc ids.',
};
const UNDERSCORE_ID = {
  error: 'illegal_docid',
  reason: 'Only reserved document ids may start with underscore.',
};
const ID_NOT_STRING = { error: 'illegal_docid', reason: 'Document id must be a string' };
const TOO_DEEP = {
  error: 'bad_request',
  reason: `JSON nested deeper than ${MAX_JSON_DEPTH} levels is not accepted by the embedded server.`,
};

/** CouchDB's rule for database names. */
const DB_NAME = /^[a-z][a-z0-9_$()+/-]*$/;
/** Server endpoints and system databases (`_all_dbs`, `_users`, ...): express-pouchdb answers. */
const UNDERSCORE_NAME = /^_[a-z_]+$/;
const SYSTEM_DBS = new Set(['_users', '_replicator', '_global_changes']);
/** A revision id as CouchDB parses it: generation, dash, any non-empty string. */
const REV = /^\d+-.+$/;
/** An update sequence: `now`, the embedded server's integers, or CouchDB's opaque strings. */
const SINCE = /^(?:now|\d+|\d+-[A-Za-z0-9_-]+)$/;

/** True for a name CouchDB accepts for a database (a system db or the CouchDB pattern). */
export function isValidDbName(name: string): boolean {
  return DB_NAME.test(name) || SYSTEM_DBS.has(name);
}

function illegalDbName(name: string) {
  return {
    error: 'illegal_database_name',
    reason: `Name: '${name}'. Only lowercase characters (a-z), digits (0-9), and any of the characters _, $, (, ), +, -, and / are allowed. Must begin with a letter.`,
  };
}

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'cache-control': 'must-revalidate',
  };
  // A refused body is not read: close, so the client stops sending it.
  if (close) headers.connection = 'close';
  res.writeHead(status, headers);
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

/**
 * CouchDB's rule: a db with no member names/roles is open to everyone; else members and db admins
 * only. A db whose `_security` was never set is CouchDB 3's default (`[couchdb] default_security
 * = admin_only`, written at creation): server admins only. The embedded server stores nothing at
 * creation, so an object with neither `members` nor `admins` is taken as that default.
 */
export function isMember(ctx: UserCtx, sec: SecurityObject): boolean {
  if (sec.members === undefined && sec.admins === undefined) return false;
  const members = sec.members ?? {};
  const open = (members.names ?? []).length === 0 && (members.roles ?? []).length === 0;
  return open || inList(ctx, sec.members) || inList(ctx, sec.admins);
}

/** The request line as the checks see it. */
interface Target {
  method: string;
  /** Decoded path segments; `_design%2Fx` is split like `_design/x`, as CouchDB does. */
  segments: string[];
  query: URLSearchParams;
}

/** What the caller may do in the addressed database, once the access checks passed. */
interface Access {
  serverAdmin: boolean;
  dbAdmin: boolean;
  /** Bad credentials: express-pouchdb answers 401 itself, without reading the body. */
  unauthenticated?: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Splits and decodes the request URL; null when it is not a valid path. */
function parseTarget(method: string, rawUrl: string): Target | null {
  if (!rawUrl.startsWith('/')) return null;
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const segments: string[] = [];
  for (const part of rawPath.split('/')) {
    if (!part) continue;
    try {
      segments.push(decodeURIComponent(part));
    } catch {
      return null;
    }
  }
  const special = /^(_design|_local)\/(.+)$/.exec(segments[1] ?? '');
  if (special) segments.splice(1, 1, special[1], ...special[2].split('/'));
  return { method, segments, query: new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1)) };
}

/** True for a `PUT` of an attachment (its body is binary and read by express-pouchdb). */
function isAttachmentPath(segments: string[]): boolean {
  if (segments.length < 3) return false;
  if (segments[1] === '_design') return segments.length >= 4 && !segments[3].startsWith('_');
  return !segments[1].startsWith('_');
}

/** Deepest nesting of `[`/`{` in JSON text (strings skipped); stops counting past `limit`. */
export function jsonDepthExceeds(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** CouchDB's size of a document body: its JSON without `_attachments`. */
function docBytes(doc: Obj): number {
  const { _attachments: _ignored, ...body } = doc;
  return Buffer.byteLength(JSON.stringify(body));
}

/** Creates the compat middleware; mount it before express-pouchdb. */
export function createCompat(opts: CompatOptions): CompatHandler {
  const ttl = opts.sessionTtlMs ?? 5000;
  const maxDocumentBytes = opts.maxDocumentBytes ?? MAX_DOCUMENT_BYTES;
  const maxRequestBytes = opts.maxRequestBytes ?? MAX_REQUEST_BYTES;
  const sessions = new Map<string, { ctx: UserCtx; at: number }>();

  async function lookup(
    path: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: unknown }> {
    const res = await fetch(opts.selfUrl() + path, { headers });
    return { status: res.status, body: await res.json().catch(() => null) };
  }

  /** Who the request is from; `cached` says the answer may be up to `ttl` old. */
  async function userCtx(
    req: IncomingMessage,
    fresh: boolean,
  ): Promise<{ ctx: UserCtx; cached: boolean } | 'bad_credentials'> {
    const auth = req.headers.authorization ?? '';
    const cookie = req.headers.cookie ?? '';
    if (!auth && !/AuthSession=/.test(cookie))
      return { ctx: { name: null, roles: [] }, cached: false };
    const key = createHash('sha256').update(`${auth}\n${cookie}`).digest('hex');
    const hit = sessions.get(key);
    if (!fresh && hit && Date.now() - hit.at < ttl) return { ctx: hit.ctx, cached: true };
    const headers: Record<string, string> = {};
    if (auth) headers.authorization = auth;
    if (cookie) headers.cookie = cookie;
    const { status, body } = await lookup('/_session', headers);
    if (status === 401) {
      sessions.delete(key);
      return 'bad_credentials';
    }
    const ctx = (body as { userCtx?: UserCtx } | null)?.userCtx ?? { name: null, roles: [] };
    if (sessions.size > 1000) sessions.clear();
    sessions.set(key, { ctx, at: Date.now() });
    return { ctx, cached: false };
  }

  async function adminGet(path: string): Promise<{ status: number; body: unknown }> {
    return lookup(path, { authorization: opts.adminAuthorization });
  }

  const securityCache = createSecurityCache(async (db: string) => {
    const { status, body } = await adminGet(`/${encodeURIComponent(db)}/_security`);
    return status === 200 ? (body as SecurityObject) : null;
  });

  /** The design doc `_design/<name>` of a db, or null when it does not exist. */
  async function designDoc(db: string, name: string): Promise<Obj | null> {
    const { status, body } = await adminGet(
      `/${encodeURIComponent(db)}/_design/${encodeURIComponent(name)}`,
    );
    return status === 200 && isObj(body) ? body : null;
  }

  /** True when `<ddoc>/<name>` names a function in the design doc's `section`. */
  async function functionExists(
    db: string,
    qualified: string,
    section: 'filters' | 'views' | 'lists',
  ): Promise<boolean> {
    const slash = qualified.indexOf('/');
    if (slash <= 0) return false;
    const ddoc = await designDoc(db, qualified.slice(0, slash));
    const fns = ddoc?.[section];
    if (!isObj(fns)) return false;
    const fn = fns[qualified.slice(slash + 1)];
    return section === 'views' ? isObj(fn) && typeof fn.map === 'string' : typeof fn === 'string';
  }

  /**
   * Access checks. Resolves the caller's rights when the request may go on, or null once it
   * was answered. A refusal based on a cached identity is checked again with a fresh lookup,
   * so a revoked credential gets CouchDB's 401 at once, never a stale 403.
   */
  async function check(
    req: IncomingMessage,
    res: ServerResponse,
    target: Target,
    fresh = false,
  ): Promise<Access | null> {
    const { method, segments } = target;
    const [first, second] = segments;
    if (
      !first ||
      first === '_session' ||
      first === '_uuids' ||
      first === '_utils' ||
      first === 'favicon.ico'
    ) {
      return { serverAdmin: false, dbAdmin: false };
    }
    const who = await userCtx(req, fresh);
    if (who === 'bad_credentials')
      return { serverAdmin: false, dbAdmin: false, unauthenticated: true };
    const { ctx, cached } = who;
    const refuse = (status: number, body: unknown): Promise<Access | null> | null => {
      if (cached && !fresh) return check(req, res, target, true);
      send(res, status, body);
      return null;
    };
    if (isAdmin(ctx)) {
      if (first === '_scheduler' && !schedulerDocs(segments, res)) return null;
      if (first === '_db_updates' && segments.length === 1 && opts.dbUpdates) {
        if (method !== 'GET' && method !== 'HEAD') {
          send(res, 405, { error: 'method_not_allowed', reason: 'Only GET,HEAD allowed' });
        } else opts.dbUpdates.answer(req, res);
        return null;
      }
      return { serverAdmin: true, dbAdmin: true };
    }
    if (first.startsWith('_')) {
      if (SERVER_ADMIN_ONLY.has(first)) return refuse(401, NOT_SERVER_ADMIN);
      if (ADMIN_ONLY_DBS.has(first)) {
        return refuse(ctx.name ? 403 : 401, ctx.name ? FORBIDDEN_DB : UNAUTHORIZED_DB);
      }
      return { serverAdmin: false, dbAdmin: false };
    }
    if (segments.length === 1 && (method === 'PUT' || method === 'DELETE')) {
      return refuse(401, NOT_SERVER_ADMIN);
    }
    const sec = await securityCache.get(first);
    if (sec === null) return { serverAdmin: false, dbAdmin: false }; // missing db: express-pouchdb answers 404 like CouchDB
    if (!isMember(ctx, sec)) {
      return refuse(ctx.name ? 403 : 401, ctx.name ? FORBIDDEN_DB : UNAUTHORIZED_DB);
    }
    const dbAdmin = inList(ctx, sec.admins);
    const writes = method !== 'GET' && method !== 'HEAD';
    if (writes && !dbAdmin && DB_ADMIN_WRITES.has(second)) return refuse(403, NOT_DB_ADMIN);
    if (method === 'COPY' && !dbAdmin && /^\/?_design\//.test(destination(req))) {
      return refuse(403, NOT_DB_ADMIN);
    }
    return { serverAdmin: false, dbAdmin };
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

  /** Checks of the URL and query within a database, for everyone (admins included). */
  async function dbChecks(
    req: IncomingMessage,
    res: ServerResponse,
    target: Target,
  ): Promise<boolean> {
    const { segments, query } = target;
    const [db, second] = segments;
    if (second === '_temp_view') {
      send(res, 410, { error: 'gone', reason: 'Temporary views are not supported in CouchDB' });
      return false;
    }
    const rev = query.get('rev');
    if (rev !== null && !REV.test(rev)) {
      send(res, 400, BAD_REV);
      return false;
    }
    const openRevs = query.get('open_revs');
    if (openRevs !== null && openRevs !== 'all') {
      let revs: unknown;
      try {
        revs = JSON.parse(openRevs);
      } catch {
        send(res, 400, INVALID_JSON);
        return false;
      }
      if (!Array.isArray(revs) || !revs.every((r) => typeof r === 'string' && REV.test(r))) {
        send(res, 400, BAD_REV);
        return false;
      }
    }
    if (second === '_design' && segments[3] === '_list' && segments.length >= 6) {
      // pouchdb-list leaves the "missing list function" rejection unhandled: check first.
      const name = segments[4];
      if (!(await functionExists(db, `${segments[2]}/${name}`, 'lists'))) {
        send(res, 404, {
          error: 'not_found',
          reason: `missing list function ${name} on design doc _design/${segments[2]}`,
        });
        return false;
      }
    }
    if (second === '_changes' && segments.length === 2) return changesChecks(req, res, target);
    return true;
  }

  async function changesChecks(
    req: IncomingMessage,
    res: ServerResponse,
    { method, segments: [db], query }: Target,
  ): Promise<boolean> {
    const since = query.get('since');
    if (since !== null && !SINCE.test(since)) {
      send(res, 400, BAD_SINCE);
      return false;
    }
    const docIds = query.get('doc_ids');
    if (docIds !== null) {
      let ids: unknown;
      try {
        ids = JSON.parse(docIds);
      } catch {
        ids = null;
      }
      if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
        send(res, 400, BAD_DOC_IDS);
        return false;
      }
    }
    const filter = query.get('filter');
    if (!filter || SAFE_BUILTIN_FILTERS.has(filter)) return true;
    if (filter === '_selector') {
      const request = { method, hasBody: hasBody(req), mediaType: mediaType(req) };
      return !refused(res, selectorRequestProblem(request));
    }
    if (filter === '_design') {
      send(res, 400, {
        error: 'bad_request',
        reason: 'filter=_design is not supported by the embedded server.',
      });
      return false;
    }
    if (filter === '_view') {
      const view = query.get('view');
      if (refused(res, viewParamProblem(view))) return false;
      if (!(await functionExists(db, view ?? '', 'views'))) {
        send(res, 404, { error: 'not_found', reason: `missing view ${view}` });
        return false;
      }
      return true;
    }
    if (filter.startsWith('_')) {
      send(res, 400, { error: 'bad_request', reason: 'unknown builtin filter name' });
      return false;
    }
    if (!(await functionExists(db, filter, 'filters'))) {
      send(res, 404, { error: 'not_found', reason: `missing filter ${filter}` });
      return false;
    }
    return true;
  }

  /** True when compat reads this request's body itself (JSON to a database or `_session`). */
  function readsBody(req: IncomingMessage, target: Target): boolean {
    if (!hasBody(req)) return false;
    const [first] = target.segments;
    if (!first) return false;
    if (first.startsWith('_') && !ADMIN_ONLY_DBS.has(first) && first !== '_session') return false;
    if (target.method === 'PUT' && isAttachmentPath(target.segments)) return false;
    const type = mediaType(req);
    // CouchDB reads a PUT document as JSON whatever its Content-Type (multipart/related aside).
    return type === 'application/json' || (isDocPut(target) && !type.startsWith('multipart/'));
  }

  /**
   * Reads the whole body (at most `limit` bytes); null when too large. The rest of a body that
   * is too large is read and dropped (up to `maxRequestBytes` more, then the connection is cut),
   * so the client, still sending, gets to read the 413 instead of a connection reset.
   */
  function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | null> {
    return new Promise((resolve, reject) => {
      const chunks: Uint8Array[] = [];
      let size = 0;
      let done = false;
      const finish = (result: Uint8Array | null | Error) => {
        if (done) return;
        done = true;
        chunks.length = 0;
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit + maxRequestBytes) req.destroy();
        if (done) return;
        if (size > limit) {
          finish(null);
          return;
        }
        chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      });
      req.on('end', () => {
        const all = Buffer.concat(chunks);
        finish(new Uint8Array(all.buffer, all.byteOffset, all.byteLength));
      });
      req.on('error', (err) => finish(err));
      req.on('close', () => finish(new Error('The client went away before sending the body.')));
    });
  }

  /**
   * Reads and checks a JSON body as CouchDB does, then hands it to express-pouchdb already
   * parsed (`req.body`, `req._body`, `req.rawBody`), so its own parser does not run again.
   */
  async function bodyChecks(
    req: IncomingMessage,
    res: ServerResponse,
    target: Target,
    access: Access,
  ): Promise<boolean> {
    const { method, segments } = target;
    const [first, second] = segments;
    const limit = first === '_session' ? MAX_SESSION_BYTES : maxRequestBytes;
    const raw = await readBody(req, limit);
    if (raw === null) {
      send(res, 413, TOO_LARGE);
      return false;
    }
    const carrier = req as IncomingMessage & {
      body?: unknown;
      _body?: boolean;
      /** A Buffer: show/list/update functions read it as text. */
      rawBody?: unknown;
    };
    if (raw.length === 0) {
      carrier.body = {};
      carrier._body = true;
      carrier.rawBody = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      return true;
    }
    if (jsonDepthExceeds(raw, MAX_JSON_DEPTH)) {
      send(res, 400, TOO_DEEP);
      return false;
    }
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
    } catch {
      send(res, 400, INVALID_JSON);
      return false;
    }
    const isDocWrite = first !== '_session' && (isDocPost(target) || isDocPut(target));
    const answer = isDocWrite
      ? docProblem(body, method === 'PUT' ? segments.slice(1).join('/') : null, raw.length)
      : second === '_bulk_docs' && segments.length === 2 && method === 'POST'
        ? bulkDocsProblem(body, raw.length)
        : isObj(body) || (Array.isArray(body) && !isBulkOrQuery(second))
          ? queryProblem(body, target, access)
          : { status: 400, body: BODY_NOT_AN_OBJECT };
    if (answer) {
      send(res, answer.status, answer.body);
      return false;
    }
    if (isDocWrite && method === 'POST' && !access.dbAdmin) {
      const id = (body as Obj)._id;
      if (typeof id === 'string' && id.startsWith('_design/')) {
        send(res, 403, NOT_DB_ADMIN);
        return false;
      }
    }
    if (second === '_bulk_docs' && isObj(body) && body.new_edits !== false) {
      couchAnswers(res, body.docs as Obj[]);
    }
    if (isSelectorChanges(target) && isObj(body) && isObj(body.selector)) {
      body.selector = pouchSelector(body.selector);
    }
    carrier.body = body;
    carrier._body = true;
    carrier.rawBody = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    return true;
  }

  type Problem = { status: number; body: unknown } | null;

  /** A single document from `PUT /db/<urlId>` (urlId given) or `POST /db`. */
  function docProblem(doc: unknown, urlId: string | null, rawBytes: number): Problem {
    if (!isObj(doc)) return { status: 400, body: NOT_AN_OBJECT };
    if (doc._id !== undefined && typeof doc._id !== 'string') {
      return { status: 400, body: ID_NOT_STRING };
    }
    const id = urlId ?? (doc._id as string | undefined) ?? '';
    if (id.startsWith('_') && !/^_(design|local)\/./.test(id)) {
      return { status: 400, body: UNDERSCORE_ID };
    }
    if (id === SECURITY_DOC_ID) return { status: 403, body: SECURITY_DOC_WRITE };
    if (rawBytes > maxDocumentBytes && docBytes(doc) > maxDocumentBytes) {
      // CouchDB names the id from the body; a PUT body without `_id` gives "".
      return {
        status: 413,
        body: { error: 'document_too_large', reason: (doc._id as string | undefined) ?? '' },
      };
    }
    return null;
  }

  function bulkDocsProblem(body: unknown, rawBytes: number): Problem {
    if (!isObj(body)) return { status: 400, body: BODY_NOT_AN_OBJECT };
    const docs = body.docs;
    if (docs === undefined) {
      return {
        status: 400,
        body: { error: 'bad_request', reason: 'POST body must include `docs` parameter.' },
      };
    }
    if (!Array.isArray(docs)) {
      return {
        status: 400,
        body: { error: 'bad_request', reason: '`docs` parameter must be an array.' },
      };
    }
    if (docs.length > MAX_BULK_COUNT) {
      return {
        status: 413,
        body: { error: 'max_bulk_docs_count_exceeded', reason: String(MAX_BULK_COUNT) },
      };
    }
    for (const doc of docs) {
      const problem = docProblem(doc, null, rawBytes);
      if (problem) return problem;
    }
    return null;
  }

  /** Bodies of reads and queries: `_bulk_get`, `_changes` doc ids, a member's `_find`. */
  function queryProblem(body: unknown, target: Target, access: Access): Problem {
    const [, second] = target.segments;
    if (target.segments.length !== 2 || !isObj(body)) return null;
    if (second === '_bulk_get') {
      const docs = body.docs;
      if (!Array.isArray(docs)) {
        return {
          status: 400,
          body: { error: 'bad_request', reason: "Missing JSON list of 'docs'." },
        };
      }
      if (docs.length > MAX_BULK_COUNT) {
        return {
          status: 413,
          body: { error: 'max_bulk_get_count_exceeded', reason: String(MAX_BULK_COUNT) },
        };
      }
      if (!docs.every((d) => isObj(d) && typeof d.id === 'string')) {
        return {
          status: 400,
          body: { error: 'bad_request', reason: 'Every entry of `docs` needs a string `id`.' },
        };
      }
    }
    const selectorChanges = isSelectorChanges(target);
    if (selectorChanges) {
      const problem = selectorBodyProblem(body);
      if (problem) return problem;
    }
    if (second === '_changes' && body.doc_ids !== undefined) {
      const ids = body.doc_ids;
      if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
        return { status: 400, body: BAD_DOC_IDS };
      }
    }
    if ((second === '_find' || second === '_explain' || selectorChanges) && !access.serverAdmin) {
      if (hasKey(body.selector, '$regex')) {
        return {
          status: 400,
          body: {
            error: 'bad_request',
            reason:
              '$regex is not supported by the embedded server (one pattern can stall it for everyone); query on the device instead.',
          },
        };
      }
    }
    return null;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const target = parseTarget(req.method ?? 'GET', req.url ?? '/');
    if (!target) {
      send(res, 400, { error: 'bad_request', reason: 'The URL is not valid (bad % escape).' });
      return false;
    }
    const [first] = target.segments;
    if (!first && (target.method === 'GET' || target.method === 'HEAD')) {
      // CouchDB's welcome document (express-pouchdb has its own shape), open to anyone; but
      // bad (or revoked) credentials get 401 here too, from express-pouchdb, as from CouchDB.
      if ((await userCtx(req, true)) === 'bad_credentials') return true;
      send(res, 200, welcomeDoc(opts.serverUuid ?? ''));
      return false;
    }
    if (first === '_up' && target.segments.length === 1) {
      // CouchDB's health check (open to anyone); express-pouchdb has none.
      send(res, 200, { status: 'ok', seeds: {} });
      return false;
    }
    if (first && first !== 'favicon.ico' && !DB_NAME.test(first) && !UNDERSCORE_NAME.test(first)) {
      send(res, 400, illegalDbName(first));
      return false;
    }
    if (Number(req.headers['content-length'] ?? 0) > maxRequestBytes) {
      send(res, 413, TOO_LARGE, true);
      return false;
    }
    if (first && !first.startsWith('_')) {
      if (writesSecurityDoc(target, req)) {
        send(res, 403, SECURITY_DOC_WRITE);
        return false;
      }
      if (changesSecurity(target)) res.once('finish', securityCache.changing(first));
    }
    const access = await check(req, res, target);
    if (!access) return false;
    if (access.unauthenticated) return true; // express-pouchdb answers 401, as CouchDB does
    if (first && !first.startsWith('_') && !(await dbChecks(req, res, target))) return false;
    const { method, segments } = target;
    const jsonOnly =
      isDocPost(target) ||
      (method === 'POST' && segments.length === 2 && segments[1] === '_bulk_docs');
    if (
      jsonOnly &&
      hasBody(req) &&
      mediaType(req) !== 'application/json' &&
      !first.startsWith('_')
    ) {
      // CouchDB's validate_ctype: also what stops a cross-site HTML form from writing documents.
      send(res, 415, {
        error: 'bad_content_type',
        reason: 'Content-Type must be application/json',
      });
      return false;
    }
    couchAnswers(res, null);
    if (readsBody(req, target)) return bodyChecks(req, res, target, access);
    return true;
  }

  return (req, res, next) => {
    handle(req, res).then(
      (pass) => pass && next(),
      () =>
        send(res, 503, {
          error: 'unavailable',
          reason: 'The database server could not check this request.',
        }),
    );
  };
}

/** express-pouchdb's words where CouchDB 3 has others (CouchDB ends this reason with a dot). */
const REASONS: Record<string, string> = {
  'Document update conflict': 'Document update conflict.',
  no_db_file: 'Database does not exist.',
};

/** An error answer or `_bulk_docs` result with CouchDB's reason. */
function couchReason(answer: unknown): unknown {
  if (
    !isObj(answer) ||
    typeof answer.reason !== 'string' ||
    !Object.hasOwn(REASONS, answer.reason)
  ) {
    return answer;
  }
  return { ...answer, reason: REASONS[answer.reason] };
}

/**
 * Makes express-pouchdb's JSON answers read like CouchDB's where they differ in words or order:
 * error reasons (see REASONS), and `_bulk_docs` results, which CouchDB gives one per doc in the
 * order of the request while express-pouchdb lists the docs refused by validate_doc_update
 * first. Answers go out through express's `res.send` (before compression); that is where they
 * are rewritten, only errors and `_bulk_docs` results, and left as they are if they cannot be
 * matched up.
 */
function couchAnswers(res: ServerResponse, bulkDocs: Obj[] | null): void {
  type Send = (this: ServerResponse, body?: unknown) => unknown;
  Object.defineProperty(res, 'send', {
    configurable: true,
    writable: true,
    value: function send(this: ServerResponse, body?: unknown) {
      const inherited = (Object.getPrototypeOf(this) as { send: Send }).send;
      const rewrite = bulkDocs !== null || this.statusCode >= 400;
      if (rewrite && (typeof body === 'string' || Buffer.isBuffer(body)) && body.length < 1 << 20) {
        const answer = rewritten(body.toString(), bulkDocs);
        if (answer !== null) return inherited.call(this, Buffer.from(answer));
      }
      return inherited.call(this, body);
    },
  });
}

/** The answer (JSON text) in CouchDB's words and order, or null to leave it as it is. */
function rewritten(text: string, bulkDocs: Obj[] | null): string | null {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return null;
  }
  if (Array.isArray(answer)) {
    const ordered = bulkDocs ? inRequestOrder(answer, bulkDocs) : answer;
    return JSON.stringify(ordered.map(couchReason)) + '\n';
  }
  return JSON.stringify(couchReason(answer)) + '\n';
}

/** `_bulk_docs` results reordered like `docs` (unchanged when they do not match up). */
function inRequestOrder(results: unknown[], docs: Obj[]): unknown[] {
  if (results.length !== docs.length) return results;
  const requested = new Set(docs.map((d) => d._id).filter((id) => typeof id === 'string'));
  const used = new Set<number>();
  const ordered: unknown[] = [];
  for (const doc of docs) {
    const id = typeof doc._id === 'string' ? doc._id : null;
    const at = results.findIndex(
      (r, i) =>
        !used.has(i) &&
        isObj(r) &&
        (id !== null ? r.id === id : typeof r.id === 'string' && !requested.has(r.id)),
    );
    if (at === -1) return results;
    used.add(at);
    ordered.push(results[at]);
  }
  return ordered;
}

/** `POST /db/_changes?filter=_selector`. */
function isSelectorChanges({ segments, query }: Target): boolean {
  return segments.length === 2 && segments[1] === '_changes' && query.get('filter') === '_selector';
}

/** Sends a refusal when there is one; true when the request was answered. */
function refused(res: ServerResponse, problem: FilterProblem): boolean {
  if (problem) send(res, problem.status, problem.body);
  return problem !== null;
}

/** True when the request says it has a body. */
function hasBody(req: IncomingMessage): boolean {
  return !!req.headers['transfer-encoding'] || Number(req.headers['content-length'] ?? 0) > 0;
}

/** The request's media type, lower case, without parameters ('' when none). */
function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** `PUT /db/<id>`, `PUT /db/_design/<name>`, `PUT /db/_local/<name>`: one document. */
function isDocPut({ method, segments }: Target): boolean {
  const [first, second] = segments;
  if (method !== 'PUT' || !first || (first.startsWith('_') && !ADMIN_ONLY_DBS.has(first))) {
    return false;
  }
  if (segments.length === 2) return !PUT_ENDPOINTS.has(second);
  return segments.length === 3 && (second === '_design' || second === '_local');
}

/**
 * A write of `_local/_security` without a body: `DELETE`, or `COPY` onto it (a `PUT`, `POST` or
 * `_bulk_docs` of it is refused with the other document checks, in `docProblem`).
 */
function writesSecurityDoc({ method, segments }: Target, req: IncomingMessage): boolean {
  if (method === 'COPY')
    return destination(req).replace(/^\/+/, '').split('?')[0] === SECURITY_DOC_ID;
  return (
    method === 'DELETE' &&
    segments.length === 3 &&
    `${segments[1]}/${segments[2]}` === SECURITY_DOC_ID
  );
}

/** A request that may change a db's security object: `PUT /db/_security`, `PUT`/`DELETE /db`. */
function changesSecurity({ method, segments }: Target): boolean {
  if (segments.length === 1) return method === 'PUT' || method === 'DELETE';
  return segments.length === 2 && segments[1] === '_security' && method === 'PUT';
}

/** `POST /db`: a new document. */
function isDocPost({ method, segments }: Target): boolean {
  const [first] = segments;
  return (
    method === 'POST' &&
    segments.length === 1 &&
    !!first &&
    (!first.startsWith('_') || ADMIN_ONLY_DBS.has(first))
  );
}

/** Names of endpoints whose body must be a JSON object, never an array. */
function isBulkOrQuery(second: string | undefined): boolean {
  return (
    second === '_bulk_get' ||
    second === '_changes' ||
    second === '_find' ||
    second === '_explain' ||
    second === '_all_docs' ||
    second === '_revs_diff' ||
    second === '_index'
  );
}

/** True when `key` is a key anywhere inside `value` (iterative: nesting is already bounded). */
function hasKey(value: unknown, key: string): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) for (const item of v) stack.push(item);
    else if (isObj(v)) {
      if (Object.hasOwn(v, key)) return true;
      for (const item of Object.values(v)) stack.push(item);
    }
  }
  return false;
}

/** The `Destination` header of a COPY, decoded when possible. */
function destination(req: IncomingMessage): string {
  const value = String(req.headers.destination ?? '');
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
