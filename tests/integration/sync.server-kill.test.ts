import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import memory from '../helpers/memory-adapter';
import { afterAll, describe, expect, it } from 'vitest';
import { createHlc } from '$lib/clock/hlc';
import { openLocalDb, registerAdapter } from '$lib/db/pouch';
import { openRemoteDb } from '$lib/sync/remote';
import { startSync } from '$lib/sync/sync';
import { basicAuth } from './couch-harness';
import { startServerProcess, type ServerProcess } from '../../src/lib/server/embedded/process';
import { waitFor } from './sync-setup';

registerAdapter(memory);

// This test owns its server process (it has to kill it), so it always runs the embedded server.
describe('killing the server mid-push', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-kill-'));
  const admin = { name: 'admin', password: 'kill-test-pw' };
  let server: ServerProcess | null = null;
  afterAll(async () => {
    await server?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses nothing: every queued write is on the server exactly once after a restart', async () => {
    server = await startServerProcess({ dataDir, admin });
    const port = Number(new URL(server.url).port);
    const adminAuth = basicAuth(admin.name, admin.password);
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(server!.url + path, {
        method,
        headers: { authorization: adminAuth, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const user = { name: 'kilo', password: 'kilo-pw-123', roles: [], type: 'user' };
    expect((await call('PUT', '/_users/org.couchdb.user:kilo', user)).status).toBe(201);
    expect((await call('PUT', '/userdb-kilo')).status).toBe(201);
    await call('PUT', '/userdb-kilo/_security', {
      admins: { names: [], roles: [] },
      members: { names: ['kilo'], roles: [] },
    });

    const N = 3000;
    const local = openLocalDb(`kill-${Date.now()}`, 'memory');
    const docs = Array.from({ length: N }, (_, i) => ({
      _id: `note:k${String(i).padStart(5, '0')}`,
      type: 'note',
      text: `note ${i} `.repeat(20),
      deviceId: 'dev-k',
    }));
    await local.bulkDocs(docs);
    const clock = createHlc({ deviceId: 'dev-k' });
    const remote = openRemoteDb(`${server.url}/userdb-kilo`, {
      username: 'kilo',
      password: user.password,
      clock,
    });
    const sync = startSync(local, remote, {
      deviceId: 'dev-k',
      backoff: { baseMs: 100, maxMs: 500 },
    });
    try {
      // Kill as soon as the server holds some but not all of the docs.
      const partial = await waitFor(
        'a partial push',
        async () => {
          const info = await call('GET', '/userdb-kilo');
          return info.body.doc_count > 0 && info.body.doc_count < N ? info.body.doc_count : 0;
        },
        30_000,
      );
      await server.kill();
      expect(partial).toBeLessThan(N);
      await waitFor(
        'sync to notice',
        () => sync.status.state !== 'syncing' || sync.status.lastError !== null,
        10_000,
      );
      server = await startServerProcess({ dataDir, port, admin });
      sync.syncNow();
      await waitFor(
        'everything pushed',
        () => sync.status.state === 'idle' && sync.status.pending === 0,
        60_000,
      );
      const all = await call('GET', '/userdb-kilo/_all_docs');
      const ids = (all.body.rows as { id: string }[])
        .map((r) => r.id)
        .filter((id) => !id.startsWith('_design/'));
      expect(ids).toHaveLength(N);
      expect(new Set(ids).size).toBe(N);
      expect(ids).toEqual(docs.map((d) => d._id));
      expect((await local.info()).doc_count).toBe(N);
    } finally {
      await sync.stop();
      await local.destroy();
    }
  });
});
