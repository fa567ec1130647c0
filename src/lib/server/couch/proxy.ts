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

/**
 * Creates a handler that proxies `req.url` (already stripped of the mount prefix) to
 * `target` (a base URL without credentials). `mountPath` is used to rewrite Location headers.
 */
export function createCouchProxy(target: () => string, mountPath = '/couch') {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const base = new URL(target());
    const basePath = base.pathname.replace(/\/$/, '');
    const url = new URL(basePath + (req.url ?? '/'), base);
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) headers[k] = v;
    }
    headers.host = url.host;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send(url, { method: req.method, headers }, (up) => {
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
    });
    upstream.on('error', () =>
      sendJson(res, 502, { error: 'bad_gateway', reason: 'The database server did not answer.' }),
    );
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
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
