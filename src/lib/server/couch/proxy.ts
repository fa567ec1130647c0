/**
 * The `/couch` front: a streaming HTTP proxy to CouchDB (the embedded server or COUCHDB_URL).
 * It forwards the caller's own credentials (Basic or AuthSession cookie) and never adds the
 * admin's: every CouchDB rule applies to the caller exactly as on CouchDB itself. One rule is
 * the front's own: a revoked device credential gets CouchDB's 401 here at once, before CouchDB's
 * auth cache has caught up (src/lib/server/revocations.ts).
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { credentialNames } from './credential-names';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

/** CouchDB's answer to a credential it refuses (transcript: "wrong password basic auth"). */
const UNAUTHORIZED = { error: 'unauthorized', reason: 'Name or password is incorrect.' };
const BAD_GATEWAY = { error: 'bad_gateway', reason: 'The database server did not answer.' };
/** A `POST /_session` answer is read whole to see who signed in; it is a few hundred bytes. */
const MAX_SESSION_ANSWER = 64 * 1024;

/** Options for {@link createCouchProxy}. */
export interface CouchProxyOptions {
  /** Where the proxy is mounted, to rewrite Location headers (default `/couch`). */
  mountPath?: string;
  /** True for a user name whose requests the front refuses with 401 (a revoked device). */
  isRevoked?: (name: string) => boolean;
}

/** For one proxied request: a body already read, and who wants to know the answer's status. */
export interface ProxyRequestOptions {
  /** The request body, when the caller read it first (it is then sent instead of `req`). */
  body?: Uint8Array;
  /**
   * Called with the status CouchDB answered, before the answer is passed on; a promise it
   * returns holds the answer back until it settles.
   */
  onStatus?: (status: number) => void | Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'must-revalidate' });
  res.end(JSON.stringify(body) + '\n');
}

/**
 * Creates a handler that proxies `req.url` (already stripped of the mount prefix) to
 * `target` (a base URL without credentials).
 */
export function createCouchProxy(target: () => string, opts: CouchProxyOptions = {}) {
  const { mountPath = '/couch', isRevoked } = opts;
  return (req: IncomingMessage, res: ServerResponse, call: ProxyRequestOptions = {}): void => {
    if (isRevoked && credentialNames(req.headers).some(isRevoked)) {
      sendJson(res, 401, UNAUTHORIZED);
      req.resume();
      return;
    }
    // A sign-in by name and password: who it was is in CouchDB's answer (the body's encoding
    // and field names stay CouchDB's business), so that answer is checked before it is passed on.
    const signIn = isRevoked !== undefined && req.method === 'POST' && isSessionPath(req.url);
    const base = new URL(target());
    const basePath = base.pathname.replace(/\/$/, '');
    // The path goes upstream exactly as sent: a URL object would resolve `..` and `%2e%2e`
    // segments here, so `/couch/db/..` would reach another resource than the one asked for.
    const path = basePath + (req.url?.startsWith('/') ? req.url : `/${req.url ?? ''}`);
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) headers[k] = v;
    }
    headers.host = base.host;
    if (signIn) delete headers['accept-encoding']; // its answer is read, so keep it plain JSON
    if (call.body) headers['content-length'] = String(call.body.length);
    const send = base.protocol === 'https:' ? httpsRequest : httpRequest;
    let answered = false;
    let upstream: ReturnType<typeof httpRequest>;
    /** Passes CouchDB's answer on: streamed, or `body` when it was read whole. */
    const forward = (up: IncomingMessage, body?: Buffer) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(up.headers)) {
        if (v === undefined || HOP_BY_HOP.has(k.toLowerCase())) continue;
        out[k] =
          k.toLowerCase() === 'location' && typeof v === 'string'
            ? rewriteLocation(v, base, mountPath)
            : v;
      }
      if (body) {
        out['content-length'] = String(body.length);
        res.writeHead(up.statusCode ?? 502, out);
        res.end(new Uint8Array(body));
        return;
      }
      res.writeHead(up.statusCode ?? 502, out);
      up.pipe(res);
      up.on('error', () => res.destroy());
    };
    try {
      upstream = send(
        {
          protocol: base.protocol,
          hostname: base.hostname.replace(/^\[|\]$/g, ''),
          port: base.port || undefined,
          path,
          method: req.method,
          headers,
        },
        (up) => {
          answered = true;
          const pass = () => {
            if (signIn && (up.statusCode ?? 500) < 400) {
              readSignIn(up, (body) => {
                const name = body && signedInName(body);
                if (!body) sendJson(res, 502, BAD_GATEWAY);
                else if (name && isRevoked?.(name)) sendJson(res, 401, UNAUTHORIZED);
                else forward(up, body);
              });
              return;
            }
            forward(up);
          };
          const held = call.onStatus?.(up.statusCode ?? 502);
          if (held) void held.then(pass, pass);
          else pass();
        },
      );
    } catch {
      // e.g. characters node refuses in a request path
      sendJson(res, 400, { error: 'bad_request', reason: 'The URL is not valid.' });
      req.resume();
      return;
    }
    upstream.on('error', () => {
      // Once the answer is on its way (say a 413 that stopped reading a large body), a failing
      // request upload must not cut it off: stop sending and let the answer finish.
      if (answered) {
        req.unpipe(upstream);
        req.resume(); // drop the rest of the upload; the client reads the answer
      } else sendJson(res, 502, BAD_GATEWAY);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    if (call.body) upstream.end(call.body);
    else req.pipe(upstream);
  };
}

function rewriteLocation(location: string, base: URL, mountPath: string): string {
  try {
    const loc = new URL(location, base);
    if (loc.origin !== base.origin) return location;
    const basePath = base.pathname.replace(/\/$/, '');
    return mountPath + loc.pathname.slice(basePath.length) + loc.search;
  } catch {
    return location;
  }
}

/** True for `/_session` however it is spelled (`//_session`, `/%5Fsession`, with a query). */
function isSessionPath(url: string | undefined): boolean {
  const segments = (url ?? '').split('?')[0].split('/').filter(Boolean);
  if (segments.length !== 1) return false;
  try {
    return decodeURIComponent(segments[0]) === '_session';
  } catch {
    return false;
  }
}

/** Reads a sign-in answer whole; null when it is larger than any CouchDB answer to it. */
function readSignIn(up: IncomingMessage, done: (body: Buffer | null) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  up.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_SESSION_ANSWER) {
      up.destroy();
      done(null);
    } else chunks.push(chunk);
  });
  up.on('end', () => {
    if (size <= MAX_SESSION_ANSWER) done(Buffer.concat(chunks as Uint8Array[]));
  });
  up.on('error', () => {
    if (size <= MAX_SESSION_ANSWER) done(null);
  });
}

/** The `name` of a successful `POST /_session` answer (`{"ok":true,"name":...}`), or null. */
function signedInName(body: Buffer): string | null {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { name?: unknown };
    return typeof parsed?.name === 'string' ? parsed.name : null;
  } catch {
    return null;
  }
}
