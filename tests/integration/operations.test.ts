// Issue 14 on the whole server (startOutpost with the embedded CouchDB-protocol server): a
// device's status doc reaches master and its supervisor's device through the change router;
// `/metrics` answers admins and the operator's token in Prometheus' text format and refuses
// everyone else; the router's lag rises while it is paused and a rep's db is written, and falls
// back to 0 once it resumes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHlc } from '$lib/clock/hlc';
import { startDeviceStatus, type DeviceStatusWriter } from '$lib/device/status-writer';
import type { DeviceDoc } from '$lib/domain/device';
import { openRemoteDb } from '$lib/sync/remote';
import { startSync, type SyncController } from '$lib/sync/sync';
import { destroyMemoryDbs, memoryDb } from '../helpers/memory-db';
import { parsePrometheus, type Exposition } from '../helpers/prometheus';
import {
  basicAuth,
  note,
  startSecurityServer,
  waitUntil,
  type Person,
  type SecurityServer,
} from '../security/server-harness';

const TOKEN = 'metrics-token-for-the-operations-test-0123';

describe('operations: device status docs, /metrics, router lag (full server)', () => {
  let server: SecurityServer;
  const syncs: SyncController[] = [];
  const writers: DeviceStatusWriter[] = [];

  beforeAll(async () => {
    server = await startSecurityServer({ metricsToken: TOKEN });
  });
  afterAll(async () => {
    writers.forEach((w) => w.stop());
    await Promise.all(syncs.map((s) => s.stop()));
    await destroyMemoryDbs();
    await server?.close();
  });

  /** Enrols a device through /api/enrol and syncs a memory db with the person's db via /couch. */
  async function device(person: Person, deviceId: string) {
    const res = await server.app('POST', '/api/enrol', {
      body: { name: person.name, password: person.password, deviceId, label: 'Test phone' },
    });
    expect(res.status).toBe(201);
    const credentials = res.body.credentials as { username: string; password: string };
    const clock = createHlc({ deviceId });
    const local = memoryDb(`ops-${person.name}`);
    const remote = openRemoteDb(`${server.url}/couch/${person.db}`, { ...credentials, clock });
    const sync = startSync(local, remote, { deviceId });
    syncs.push(sync);
    return { local, sync, clock, credentials };
  }

  async function scrape(auth: string | null): Promise<{ status: number; text: string }> {
    const res = await server.app('GET', '/metrics', { auth, headers: { accept: 'text/plain' } });
    return { status: res.status, text: res.text };
  }

  async function metrics(): Promise<Exposition> {
    const res = await scrape(server.admin.auth);
    expect(res.status).toBe(200);
    return parsePrometheus(res.text);
  }

  it("a device's status reaches master and its supervisor's device, and only she writes it", async () => {
    const ana = await device(server.rep1, 'dev-ana-1');
    const sam = await device(server.supervisor, 'dev-sam-1');
    const writer = startDeviceStatus({
      db: ana.local,
      user: server.rep1.name,
      deviceUser: ana.credentials.username,
      clock: ana.clock,
      label: 'Test phone',
      appVersion: '0.1.0',
      readStorage: async () => ({ usage: 12_000_000, quota: 2_000_000_000, persisted: true }),
      openConflicts: async () => 0,
      settleMs: 50,
    });
    writers.push(writer);
    const unsubscribe = ana.sync.subscribe((s) => writer.update(s));
    const id = `device:${ana.credentials.username}`;
    expect(id).toBe('device:ana~dev-ana-1');

    await waitUntil('the status in master', async () => {
      const res = await server.asAdmin('GET', `/${server.masterDb}/${encodeURIComponent(id)}`);
      return res.status === 200;
    });
    const inMaster = (await server.asAdmin('GET', `/${server.masterDb}/${id}`)).body as DeviceDoc;
    expect(inMaster).toMatchObject({
      type: 'device',
      owner: 'ana',
      label: 'Test phone',
      appVersion: '0.1.0',
      storage: { usage: 12_000_000, quota: 2_000_000_000, persisted: true },
    });
    await waitUntil("the status on sam's device", async () => !!(await sam.local.get(id)));
    // Nothing changed since: a look writes no new revision.
    await waitUntil('ana synced', async () => ana.sync.status.state === 'idle');
    expect(await writer.check()).toBe(false);
    expect(((await ana.local.get(id)) as DeviceDoc)._rev).toBe(inMaster._rev);
    unsubscribe();

    // Sam may read it but not write it, in his db or in master.
    for (const db of [server.supervisor.db, server.masterDb]) {
      const current = await server.asAdmin('GET', `/${db}/${id}`);
      expect(current.status).toBe(200);
      const res = await server.couch('PUT', `/${db}/${id}`, {
        auth: server.supervisor.auth,
        body: { ...current.body, pending: 0, label: 'Changed by sam' },
      });
      expect(res.status, db).toBe(403);
      expect(res.body.reason).toBe("Only ana's own devices may write their device status.");
    }
  });

  it('/metrics refuses anonymous callers, reps, supervisors, devices and wrong secrets', async () => {
    const anonymous = await server.app('GET', '/metrics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic realm="Outpost metrics"/);
    expect(anonymous.headers['cache-control']).toBe('no-store');
    for (const person of [server.rep1, server.supervisor]) {
      const res = await scrape(person.auth);
      expect(res.status, person.name).toBe(403);
      expect(JSON.parse(res.text).reason).toBe('Metrics are for admins only.');
    }
    expect((await scrape(basicAuth(server.admin.name, 'not-the-password'))).status).toBe(401);
    expect((await scrape(`Bearer ${TOKEN}x`)).status).toBe(401);
    expect((await scrape('Bearer ')).status).toBe(401);
    // The refusals above are no scrape: nothing leaked in a body.
    expect(anonymous.text).not.toContain('outpost_');
  });

  it('/metrics answers an admin and the operator token in the Prometheus text format', async () => {
    // One refused enrolment (wrong password) to count.
    const refused = await server.app('POST', '/api/enrol', {
      body: { name: 'ana', password: 'wrong-password', deviceId: 'dev-ana-2' },
    });
    expect(refused.status).toBe(401);
    const admin = await server.app('GET', '/metrics', { auth: server.admin.auth });
    expect(admin.status).toBe(200);
    expect(admin.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const byToken = await scrape(`Bearer ${TOKEN}`);
    expect(byToken.status).toBe(200);
    const m = parsePrometheus(admin.text);
    expect(parsePrometheus(byToken.text).types.size).toBe(m.types.size);
    expect(m.types.get('outpost_router_lag_seconds')).toBe('gauge');
    expect(m.types.get('outpost_router_routed_docs_total')).toBe('counter');
    expect(m.types.get('outpost_provision_duration_seconds')).toBe('histogram');
    expect(m.value('outpost_enrolments_total', { result: 'enrolled' })).toBe(2);
    expect(m.value('outpost_enrolments_total', { result: 'refused' })).toBe(1);
    expect(m.value('outpost_signins_refused_total', { via: 'enrol' })).toBe(1);
    expect(m.value('outpost_provision_runs_total', { kind: 'all', result: 'ok' })).toBe(1);
    expect(m.value('outpost_provision_duration_seconds_count', { kind: 'all' })).toBe(1);
    expect(m.value('outpost_router_routed_docs_total')).toBeGreaterThan(0);
    expect(m.value('outpost_resolver_conflicts_resolved_total')).toBe(0);
    expect(m.value('outpost_devices', { health: 'ok' })).toBe(1);
    expect(m.value('outpost_devices', { health: 'stale' })).toBe(0);
    expect(m.value('outpost_device_pending_writes')).toBe(0);
    expect(m.value('outpost_metrics_source_up', { source: 'devices' })).toBe(1);
    for (const direction of ['down', 'up']) {
      expect(m.value('outpost_router_lag_changes', { direction })).toBeTypeOf('number');
    }
  });

  it('router lag rises while a rep db is written with the router paused, then falls to 0', async () => {
    const lag = async (direction: 'up' | 'down') => {
      const m = await metrics();
      return {
        changes: m.value('outpost_router_lag_changes', { direction })!,
        seconds: m.value('outpost_router_lag_seconds', { direction })!,
      };
    };
    await waitUntil('the router to be caught up', async () => (await lag('up')).changes === 0);
    server.outpost.router.pause();
    const docs = Array.from({ length: 5 }, (_, i) => note(`lag-${i}`, 'ana'));
    const written = await server.asAdmin('POST', `/${server.rep1.db}/_bulk_docs`, { docs });
    expect(written.status).toBe(201);
    await waitUntil('the up lag to show the 5 writes', async () => {
      const up = await lag('up');
      return up.changes >= 5 && up.seconds > 0;
    });
    const missing = await server.asAdmin('GET', `/${server.masterDb}/note:lag-0`);
    expect(missing.status).toBe(404); // paused: nothing copied

    server.outpost.router.resume();
    await waitUntil('the notes in master', async () => {
      const res = await server.asAdmin('GET', `/${server.masterDb}/note:lag-4`);
      return res.status === 200;
    });
    await waitUntil('both directions back to 0', async () => {
      const [up, down] = [await lag('up'), await lag('down')];
      return up.changes === 0 && up.seconds === 0 && down.changes === 0 && down.seconds === 0;
    });
    const m = await metrics();
    expect(m.value('outpost_router_pending_dbs')).toBe(0);
  });
});
