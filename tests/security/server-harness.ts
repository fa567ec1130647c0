/**
 * The whole Outpost server for the security suite, as `npm start` runs it: startOutpost on
 * 127.0.0.1 (port 0) with the embedded CouchDB-protocol server on its own loopback port, a temp
 * data folder, and a build folder that may be missing. Requests go through the app's `/couch`
 * front (or straight to the embedded server where a test says so), with raw paths when the
 * attack is the path itself. Every unhandled rejection or uncaught exception while a server
 * runs is recorded: one bad request must never take the app down.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startOutpost, type RunningOutpost } from '../../src/lib/server/outpost';
import { userDbName } from '../../src/lib/server/provision/names';
import { addPerson } from '../../src/lib/server/provision/users';
import type { SignInLimiter } from '../../src/lib/server/sign-in-limiter';

export const basicAuth = (name: string, password: string) =>
  'Basic ' + Buffer.from(`${name}:${password}`).toString('base64');

/** An HTTP answer: status, headers and body (parsed when it is JSON, else text). */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

export interface RequestOptions {
  auth?: string | null;
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
  /** Content-Type for a string/Buffer body (default application/json). */
  type?: string;
  headers?: Record<string, string>;
  /** Send the body chunked (no Content-Length). */
  chunked?: boolean;
}

export interface Person {
  name: string;
  password: string;
  db: string;
  auth: string;
}

export interface SecurityServer {
  outpost: RunningOutpost;
  /** The app's URL (static app, `/api`, `/couch`). */
  url: string;
  /** The embedded server's own loopback URL (what `/couch` proxies to). */
  couchUrl: string;
  dataDir: string;
  admin: { name: string; password: string; auth: string };
  rep1: Person;
  rep2: Person;
  supervisor: Person;
  masterDb: string;
  /** Lines the server logged (its `log` option). */
  logs: string[];
  /** Unhandled rejections and uncaught exceptions seen while the server ran. */
  crashes: unknown[];
  /** A request to the app, `path` relative to its root (`/couch/...`, `/api/...`), sent raw. */
  app(method: string, path: string, opts?: RequestOptions): Promise<Answer>;
  /** Shorthand for `app(method, '/couch' + path)`. */
  couch(method: string, path: string, opts?: RequestOptions): Promise<Answer>;
  /** A request straight to the embedded server, bypassing the app's front. */
  direct(method: string, path: string, opts?: RequestOptions): Promise<Answer>;
  /** As admin through the front. */
  asAdmin(method: string, path: string, body?: unknown): Promise<Answer>;
  /** Asserts the app still answers /api/health and /couch/, and nothing crashed. */
  expectAlive(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Sends one HTTP request with the path exactly as given (no `..` resolution, no re-encoding),
 * bounded by a timeout. The answer is read whole.
 */
export function rawRequest(
  base: string,
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<Answer> {
  const u = new URL(base);
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (opts.auth) headers.authorization = opts.auth;
  let payload: Buffer | undefined;
  if (opts.body !== undefined) {
    payload = Buffer.isBuffer(opts.body)
      ? opts.body
      : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
    headers['content-type'] ??= opts.type ?? 'application/json';
    if (!opts.chunked) headers['content-length'] ??= String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: u.hostname, port: u.port, method, path, headers, timeout: 30_000, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks as Uint8Array[]).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
    req.on('error', reject);
    if (payload && opts.chunked) {
      // Several writes without a length: node sends Transfer-Encoding: chunked.
      const step = 1024 * 1024;
      for (let i = 0; i < payload.length; i += step) {
        req.write(
          new Uint8Array(
            payload.buffer,
            payload.byteOffset + i,
            Math.min(step, payload.length - i),
          ),
        );
      }
      req.end();
    } else req.end(payload ? new Uint8Array(payload) : undefined);
  });
}

/**
 * Writes `head` (request line and headers) plus the start of a body on a bare socket and
 * returns the status line of the answer (or null when the server cut the connection first).
 * For requests node's own client refuses to send, such as a body shorter than its length.
 */
export function socketRequest(
  base: string,
  head: string,
  bodyStart: string,
): Promise<string | null> {
  const u = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(u.port), u.hostname);
    let answer = '';
    const done = () => {
      socket.destroy();
      resolve(answer ? answer.split('\r\n')[0] : null);
    };
    socket.setTimeout(10_000, done);
    socket.on('data', (c: Buffer) => {
      answer += c.toString('latin1');
      if (answer.includes('\r\n\r\n')) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(head.replace(/\n/g, '\r\n') + '\r\n' + bodyStart);
  });
}

/** A valid note body (as validate_doc_update and the domain want it) owned by `owner`. */
export function note(key: string, owner: string, extra: Record<string, unknown> = {}) {
  return {
    _id: `note:${key}`,
    type: 'note',
    schema: 1,
    owner,
    text: 'hello',
    accountId: 'account:a1',
    createdAt: '2026-11-22T08:00:00.000Z',
    updatedAt: '001795315276320-000000-dev',
    updatedBy: owner,
    deviceId: 'dev',
    ...extra,
  };
}

/** Waits (bounded) until `check` resolves true. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Starts the server with a team of two reps and a supervisor, provisioned (per-user dbs with
 * `_security` and `_design/outpost`). `buildDir` defaults to a folder that does not exist.
 */
export async function startSecurityServer(
  opts: { buildDir?: string; signInLimiter?: SignInLimiter; metricsToken?: string } = {},
): Promise<SecurityServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-security-'));
  const crashes: unknown[] = [];
  const onCrash = (err: unknown) => crashes.push(err);
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);
  const logs: string[] = [];
  const admin = { name: 'admin', password: `admin-pw-${Math.random().toString(36).slice(2)}` };
  const outpost = await startOutpost({
    buildDir: opts.buildDir ?? join(dataDir, 'no-build-here'),
    port: 0,
    host: '127.0.0.1',
    embedded: { dataDir: join(dataDir, 'couch'), admin, port: 0 },
    log: (m) => logs.push(m),
    signInLimiter: opts.signInLimiter,
    metricsToken: opts.metricsToken,
  });
  const adminAuth = basicAuth(admin.name, admin.password);
  const person = (name: string, password: string): Person => ({
    name,
    password,
    db: userDbName(name),
    auth: basicAuth(name, password),
  });
  const rep1 = person('ana', 'ana-password-1');
  const rep2 = person('ben', 'ben-password-2');
  const supervisor = person('sam', 'sam-password-3');
  for (const [p, role] of [
    [rep1, 'rep'],
    [rep2, 'rep'],
    [supervisor, 'supervisor'],
  ] as const) {
    await addPerson(outpost.couchAdmin, { name: p.name, password: p.password, role, team: 't1' });
  }

  const app = (method: string, path: string, o?: RequestOptions) =>
    rawRequest(outpost.url, method, path, o);
  const couch = (method: string, path: string, o?: RequestOptions) =>
    app(method, `/couch${path}`, o);
  const asAdmin = (method: string, path: string, body?: unknown) =>
    couch(method, path, { auth: adminAuth, body });

  // The provisioner follows `_users`: wait for every person's db, security and design doc.
  for (const p of [rep1, rep2, supervisor]) {
    await waitUntil(`${p.name}'s db to be provisioned`, async () => {
      const sec = await asAdmin('GET', `/${p.db}/_security`);
      const ddoc = await asAdmin('GET', `/${p.db}/_design/outpost`);
      return sec.body?.members?.names?.includes(p.name) && ddoc.status === 200;
    });
  }
  // The supervisor's validate function lists the team's reps once both reps are known.
  await waitUntil('the supervisor design doc to name the team', async () => {
    const ddoc = await asAdmin('GET', `/${supervisor.db}/_design/outpost`);
    return String(ddoc.body?.validate_doc_update).includes(rep2.name);
  });

  return {
    outpost,
    url: outpost.url,
    couchUrl: outpost.couchUrl,
    dataDir,
    admin: { ...admin, auth: adminAuth },
    rep1,
    rep2,
    supervisor,
    masterDb: outpost.masterDb,
    logs,
    crashes,
    app,
    couch,
    direct: (method, path, o) => rawRequest(outpost.couchUrl, method, path, o),
    asAdmin,
    async expectAlive() {
      const health = await app('GET', '/api/health');
      expect(health.status, 'GET /api/health after the request').toBe(200);
      const root = await couch('GET', '/');
      expect(root.status, 'GET /couch/ after the request').toBe(200);
      expect(crashes, 'unhandled rejections / uncaught exceptions').toEqual([]);
    },
    async close() {
      await outpost.close();
      process.off('unhandledRejection', onCrash);
      process.off('uncaughtException', onCrash);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A tiny stand-in for build/: an index.html shell, one asset, and a secret file beside it. */
export function fakeBuild(root: string): { buildDir: string; secret: string } {
  const buildDir = join(root, 'build');
  mkdirSync(join(buildDir, '_app', 'immutable'), { recursive: true });
  writeFileSync(join(buildDir, 'index.html'), '<!doctype html><title>Outpost</title>');
  writeFileSync(join(buildDir, '_app', 'immutable', 'app.js'), 'console.log("app");');
  const secret = `secret-${Math.random().toString(36).slice(2)}`;
  writeFileSync(join(root, 'secret.txt'), secret);
  return { buildDir, secret };
}
