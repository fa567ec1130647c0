/**
 * Starts the whole Outpost server in its own process (bench/outpost-child.ts) for a benchmark,
 * with an IPC channel to ask it for its figures (people provisioned, router counters, CPU time).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RouterStats } from '../src/lib/server/router';
import { basicAuth } from './server';

export interface ChildStats {
  people: number;
  router: RouterStats;
  /** CPU time (user + system) the server process has used, ms. */
  cpuMs: number;
  rssMb: number;
  /** V8 heap in use (RSS also counts LevelDB's native memory). */
  heapMb: number;
}

export interface OutpostChild {
  url: string;
  /** CouchDB base URL (no credentials). */
  couchUrl: string;
  masterDb: string;
  /** `Basic ...` of the CouchDB admin. */
  adminAuth: string;
  stats(): Promise<ChildStats>;
  /** Resolves once the router has nothing left to route. */
  idle(): Promise<void>;
  /** Admin JSON request to CouchDB; throws on >= 400. */
  couch(method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./outpost-child.ts', import.meta.url));

/**
 * Starts the server on a fresh data folder (or against `couchUrl`, an admin URL of a real
 * CouchDB) and resolves once it is ready (bounded wait).
 */
export function startOutpostChild(opts: {
  dataDir: string;
  adminPassword: string;
  couchUrl?: string;
  readyMs?: number;
}): Promise<OutpostChild> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OUTPOST_BENCH_DATA: opts.dataDir,
    OUTPOST_BENCH_ADMIN_PASSWORD: opts.adminPassword,
  };
  if (opts.couchUrl) env.COUCHDB_URL = opts.couchUrl;
  else delete env.COUCHDB_URL;
  // OUTPOST_BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when it exits.
  const profile = process.env.OUTPOST_BENCH_CPU_PROF;
  const flags = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', CHILD], {
    env,
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const waiting = new Map<number, (body: Record<string, unknown>) => void>();
  child.on('message', (msg: { id: number } & Record<string, unknown>) => {
    waiting.get(msg.id)?.(msg);
    waiting.delete(msg.id);
  });
  const ask = (type: string) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const id = ++nextId;
      waiting.set(id, resolve);
      child.send({ id, type });
    });
  let adminAuth = basicAuth('admin', opts.adminPassword);
  if (opts.couchUrl) {
    const u = new URL(opts.couchUrl);
    adminAuth = basicAuth(decodeURIComponent(u.username), decodeURIComponent(u.password));
  }
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server not ready in time: ${out}`));
    }, opts.readyMs ?? 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line || !timer) return;
      clearTimeout(timer);
      const info = JSON.parse(line) as { url: string; couchUrl: string; masterDb: string };
      out = '';
      resolve({
        ...info,
        adminAuth,
        stats: async () => (await ask('stats')) as unknown as ChildStats,
        async idle() {
          const r = await ask('idle');
          if (!r.ok) throw new Error(String(r.error));
        },
        async couch(method, path, body) {
          const res = await fetch(info.couchUrl + path, {
            method,
            headers: { authorization: adminAuth, 'content-type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${await res.text()}`);
          return (await res.json()) as Record<string, unknown>;
        },
        close: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(force);
              done();
            });
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
}
