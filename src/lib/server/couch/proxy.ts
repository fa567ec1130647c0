/**
 * The `/couch` front: a streaming HTTP proxy to CouchDB (the embedded server or COUCHDB_URL).
 * It forwards the caller's own credentials (Basic or AuthSession cookie) and never adds the
 * admin's: every CouchDB rule applies to the caller exactly as on CouchDB itself.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';

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

function sendJson(res: ServerResponse, status: number, body: unknown) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'must-revalidate' });
  res.end(JSON.stringify(body) + '\n');
}

/** For one proxied request: a body already read, and who wants to know the answer's status. */
export interface ProxyRequestOptions {
  /** The request body, when the caller read it first (it is then sent instead of `req`). */
  body?: Uint8Array;
  /** Called with the status CouchDB answered, before the answer is passed on. */
  onStatus?: (status: number) => void;
}

/**
 * Creates a handler that proxies `req.url` (already stripped of the mount prefix) to
 * `target` (a base URL without credentials). `mountPath` is used to rewrite Location headers.
 */
export function createCouchProxy(target: () => string, mountPath = '/couch') {
  return (req: IncomingMessage, res: ServerResponse, opts: ProxyRequestOptions = {}): void => {
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
    if (opts.body) headers['content-length'] = String(opts.body.length);
    const send = base.protocol === 'https:' ? httpsRequest : httpRequest;
    let answered = false;
    let upstream: ReturnType<typeof httpRequest>;
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
          opts.onStatus?.(up.statusCode ?? 502);
          const out: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(up.headers)) {
            if (v === undefined || HOP_BY_HOP.has(k.toLowerCase())) continue;
            out[k] =
              k.toLowerCase() === 'location' && typeof v === 'string'
                ? rewriteLocation(v, base, mountPath)
                : v;
          }
          res.writeHead(up.statusCode ?? 502, out);
          up.pipe(res);
          up.on('error', () => res.destroy());
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
      } else
        sendJson(res, 502, { error: 'bad_gateway', reason: 'The database server did not answer.' });
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    if (opts.body) upstream.end(opts.body);
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
