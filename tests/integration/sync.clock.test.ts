import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHlc } from '$lib/clock/hlc';
import { OFFSET_RESOLUTION_MS } from '$lib/clock/offset';
import { openRemoteDb } from '$lib/sync/remote';
import { startSync, type SyncController } from '$lib/sync/sync';
import { destroyMemoryDbs, memoryDb } from '../helpers/memory-db';
import { startTestCouch, type TestCouch } from './couch-harness';
import { createUserDb, switchableFetch, waitFor, type UserDb } from './sync-setup';

const HOUR = 3_600_000;
let couch: TestCouch;
const users: UserDb[] = [];
const controllers: SyncController[] = [];

beforeAll(async () => {
  couch = await startTestCouch();
});
afterEach(async () => {
  await Promise.all(controllers.splice(0).map((c) => c.stop()));
  await destroyMemoryDbs();
});
afterAll(async () => {
  await Promise.all(users.map((u) => u.cleanup()));
  await couch.close();
});

/** Moves the server's `Date` header by `ms`, as if its clock (or the device's) were off. */
const shiftDate = (ms: number) => (res: Response) => {
  const headers = new Headers(res.headers);
  const date = res.headers.get('date');
  if (date) headers.set('date', new Date(Date.parse(date) + ms).toUTCString());
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
};

describe('startSync - server clock', () => {
  it('learns the server clock offset from the Date header of sync requests', async () => {
    const u = await createUserDb(couch);
    users.push(u);
    const clock = createHlc({ deviceId: 'dev-clock' });
    const net = switchableFetch(shiftDate(HOUR));
    const remote = openRemoteDb(u.url, {
      username: u.name,
      password: u.password,
      clock,
      fetchImpl: net.impl,
    });
    const sync = startSync(memoryDb('sync-clock'), remote, { deviceId: 'dev-clock' });
    controllers.push(sync);
    await waitFor('idle', () => sync.status.state === 'idle');
    await waitFor('offset learned', () => clock.serverOffset() !== 0);
    expect(Math.abs(clock.serverOffset() - HOUR)).toBeLessThan(OFFSET_RESOLUTION_MS);
    expect(Math.abs(clock.correctedNow() - (Date.now() + HOUR))).toBeLessThan(
      OFFSET_RESOLUTION_MS + 100,
    );
  });

  it('keeps a zero offset when the clocks agree', async () => {
    const u = await createUserDb(couch);
    users.push(u);
    const clock = createHlc({ deviceId: 'dev-clock2', offsetMs: 12_345 });
    const remote = openRemoteDb(u.url, { username: u.name, password: u.password, clock });
    const sync = startSync(memoryDb('sync-clock'), remote, { deviceId: 'dev-clock2' });
    controllers.push(sync);
    await waitFor('idle', () => sync.status.state === 'idle');
    expect(clock.serverOffset()).toBe(0);
  });
});
