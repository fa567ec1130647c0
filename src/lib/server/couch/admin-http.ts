/**
 * A small CouchDB HTTP client with the server admin's credentials, for the change router: plain
 * CouchDB API calls (JSON in, JSON out) over fetch's keep-alive pool. Errors keep CouchDB's
 * status/error/reason (src/lib/errors.ts); credentials never appear in a message.
 */
import { createError, toOutpostError } from '../../errors';

export interface CouchRequest {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Aborts the request (a longpoll being stopped). */
  signal?: AbortSignal;
}

export interface AdminCouch {
  /** Base URL without credentials. */
  readonly url: string;
  /** Sends one request and returns the parsed JSON answer; throws an OutpostError on >= 400. */
  request<T = unknown>(method: string, path: string, req?: CouchRequest): Promise<T>;
  /**
   * Reads a continuous feed (`feed=continuous`): calls `onRow` with each JSON line (heartbeat
   * newlines skipped) and resolves when CouchDB ends the answer.
   */
  stream(
    path: string,
    req: CouchRequest,
    onRow: (row: Record<string, unknown>) => void,
  ): Promise<void>;
}

/** Encodes a db name for a URL path (`/` in names such as `a/b` becomes `%2F`). */
export const dbPath = (db: string) => `/${encodeURIComponent(db)}`;

/**
 * The answer's body; rejects at once when `signal` aborts (a longpoll whose headers already
 * came: Node 20's fetch does not always end the body read on abort).
 */
function bodyText(res: Response, signal?: AbortSignal): Promise<string> {
  if (!signal) return res.text();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      void res.body?.cancel().catch(() => undefined);
      reject(signal.reason ?? new DOMException('aborted', 'AbortError'));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    res
      .text()
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Creates the client for a base URL (no credentials) and the admin's name and password. */
export function createAdminCouch(opts: {
  url: string;
  admin: { name: string; password: string };
  fetch?: typeof fetch;
}): AdminCouch {
  const base = opts.url.replace(/\/$/, '');
  const doFetch = opts.fetch ?? fetch;
  const authorization =
    'Basic ' + Buffer.from(`${opts.admin.name}:${opts.admin.password}`).toString('base64');
  const urlOf = (path: string, query: CouchRequest['query'] = {}) => {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
    return `${base}${path}${qs.size ? `?${qs}` : ''}`;
  };
  return {
    url: base,
    async stream(path, req, onRow) {
      const res = await doFetch(urlOf(path, req.query), {
        headers: { authorization, accept: 'application/json', 'accept-encoding': 'identity' },
        signal: req.signal,
      });
      if (res.status >= 400 || !res.body) {
        const text = await bodyText(res, req.signal);
        const e = (() => {
          try {
            return JSON.parse(text) as { error?: string; reason?: string };
          } catch {
            return {};
          }
        })();
        throw toOutpostError({
          status: res.status,
          error: e.error,
          reason: `GET ${path}: ${e.reason ?? res.statusText}`,
        });
      }
      const reader = res.body.getReader();
      const cancel = () => void reader.cancel().catch(() => undefined);
      req.signal?.addEventListener('abort', cancel, { once: true });
      const decoder = new TextDecoder();
      let buffered = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffered += decoder.decode(value, { stream: true });
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines)
            if (line.trim()) onRow(JSON.parse(line) as Record<string, unknown>);
        }
      } finally {
        req.signal?.removeEventListener('abort', cancel);
      }
      if (req.signal?.aborted) throw req.signal.reason;
      if (buffered.trim()) onRow(JSON.parse(buffered) as Record<string, unknown>);
    },
    async request<T>(method: string, path: string, req: CouchRequest = {}): Promise<T> {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(req.query ?? {}))
        if (v !== undefined) qs.set(k, String(v));
      const target = `${base}${path}${qs.size ? `?${qs}` : ''}`;
      // Uncompressed: the router talks to CouchDB next door, where gzip costs both sides CPU.
      const headers: Record<string, string> = {
        authorization,
        accept: 'application/json',
        'accept-encoding': 'identity',
      };
      let body: string | undefined;
      if (req.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(req.body);
      }
      let res: Response;
      try {
        res = await doFetch(target, { method, headers, body, signal: req.signal });
      } catch (err) {
        if ((err as Error).name === 'AbortError') throw err;
        throw createError('network', {
          message: `CouchDB did not answer ${method} ${path}: ${(err as Error).message}`,
          cause: err,
        });
      }
      const text = await bodyText(res, req.signal);
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = { error: 'bad_response', reason: text.slice(0, 200) };
      }
      if (res.status >= 400) {
        const e = (parsed ?? {}) as { error?: string; reason?: string };
        throw toOutpostError({
          status: res.status,
          error: e.error,
          reason: `${method} ${path}: ${e.reason ?? res.statusText}`,
        });
      }
      return parsed as T;
    },
  };
}
