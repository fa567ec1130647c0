/** The embedded CouchDB-protocol server for benchmarks, with an admin and a tiny HTTP helper. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedCouch } from '../src/lib/server/embedded/server';
import { startServerProcess } from '../src/lib/server/embedded/process';

export interface BenchCouch {
  url: string;
  /** Basic authorization of the server admin. */
  adminAuth: string;
  /** One JSON request; throws with the status and body on anything but 2xx. */
  call(auth: string, method: string, path: string, body?: unknown): Promise<unknown>;
  /** Creates a user and a db whose only member is that user; returns the user's authorization. */
  memberDb(db: string, user: { name: string; password: string }): Promise<string>;
  close(): Promise<void>;
}

/** Basic authorization header for a name and password. */
export const basicAuth = (name: string, password: string) =>
  'Basic ' + Buffer.from(`${name}:${password}`).toString('base64');

/** A real CouchDB named by an admin URL, as a bench server (what the bench makes, it removes). */
function realCouch(adminUrl: string) {
  const u = new URL(adminUrl);
  const admin = { name: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  u.username = '';
  u.password = '';
  return { admin, server: { url: u.toString().replace(/\/$/, ''), close: async () => {} } };
}

/**
 * Starts the embedded server in a child process (as for a device) or in this process; 'real'
 * uses the CouchDB of COUCHDB_URL (an admin URL).
 */
export async function startBenchCouch(
  where: 'child' | 'in-process' | 'real' = 'child',
): Promise<BenchCouch> {
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-bench-'));
  const real = where === 'real' ? realCouch(process.env.COUCHDB_URL ?? '') : null;
  const admin = real?.admin ?? { name: 'admin', password: `pw-${Date.now()}` };
  const server =
    real?.server ??
    (where === 'child'
      ? await startServerProcess({ dataDir, admin })
      : await startEmbeddedCouch({ dataDir, admin, host: '127.0.0.1', port: 0 }));
  const adminAuth = basicAuth(admin.name, admin.password);
  const users = new Set<string>();
  const dbs = new Set<string>();
  const call = async (auth: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    url: server.url,
    adminAuth,
    call,
    async memberDb(db, user) {
      if (!users.has(user.name)) {
        await call(adminAuth, 'PUT', `/_users/org.couchdb.user:${user.name}`, {
          ...user,
          roles: [],
          type: 'user',
        });
        users.add(user.name);
      }
      await call(adminAuth, 'PUT', `/${db}`);
      dbs.add(db);
      await call(adminAuth, 'PUT', `/${db}/_security`, {
        admins: { names: [], roles: [] },
        members: { names: [user.name], roles: [] },
      });
      return basicAuth(user.name, user.password);
    },
    async close() {
      if (real) {
        for (const db of dbs) await call(adminAuth, 'DELETE', `/${db}`).catch(() => undefined);
        for (const name of users) {
          const path = `/_users/org.couchdb.user:${name}`;
          const doc = (await call(adminAuth, 'GET', path).catch(() => null)) as {
            _rev: string;
          } | null;
          if (doc) await call(adminAuth, 'DELETE', `${path}?rev=${doc._rev}`).catch(() => null);
        }
      }
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
