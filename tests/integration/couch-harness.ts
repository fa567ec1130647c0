/**
 * The CouchDB an integration test talks to: the embedded server started in-process on a free
 * 127.0.0.1 port with a fresh data folder, or, when COUCHDB_URL (an admin URL such as
 * http://admin:pw@127.0.0.1:5984) is set, that real CouchDB. Tests use only CouchDB HTTP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/lib/server/embedded/server';

export interface TestCouch {
  /** Base URL without credentials. */
  url: string;
  admin: { name: string; password: string };
  /** `Basic ...` header for the admin. */
  adminAuth: string;
  /** True when running against a real CouchDB (COUCHDB_URL). */
  real: boolean;
  /** The embedded server, when that is what runs. */
  embedded: EmbeddedCouch | null;
  /** A name unique to this run, so tests on a shared real CouchDB never collide. */
  unique(prefix: string): string;
  /** fetch against the server as admin; body objects are sent as JSON. */
  admin$(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** fetch against the server with the given `Authorization` header (or none). */
  as(
    auth: string | null,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** `Basic ...` header for a name and password. */
export const basicAuth = (name: string, password: string) =>
  'Basic ' + Buffer.from(`${name}:${password}`).toString('base64');

/** Starts (or connects to) the CouchDB for a test file. */
export async function startTestCouch(): Promise<TestCouch> {
  const run = Math.random().toString(36).slice(2, 8);
  let url: string;
  let admin: { name: string; password: string };
  let embedded: EmbeddedCouch | null = null;
  let dataDir: string | null = null;
  if (process.env.COUCHDB_URL) {
    const u = new URL(process.env.COUCHDB_URL);
    admin = { name: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
    u.username = '';
    u.password = '';
    url = u.toString().replace(/\/$/, '');
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'outpost-couch-'));
    admin = { name: 'admin', password: `pw-${run}` };
    embedded = await startEmbeddedCouch({ dataDir, admin, host: '127.0.0.1', port: 0 });
    url = embedded.url;
  }
  const adminAuth = basicAuth(admin.name, admin.password);

  async function as(auth: string | null, method: string, path: string, body?: unknown) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth) headers.authorization = auth;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(url + path, {
      method,
      headers,
      body: payload,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // non-JSON answers are returned as text
    }
    return { status: res.status, body: parsed as any };
  }

  return {
    url,
    admin,
    adminAuth,
    real: embedded === null,
    embedded,
    unique: (prefix) => `${prefix}-${run}`,
    admin$: (method, path, body) => as(adminAuth, method, path, body),
    as,
    async close() {
      await embedded?.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
