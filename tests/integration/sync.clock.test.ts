import { describe, expect, it } from 'vitest';
import { createHlc } from '$lib/clock/hlc';
import { OFFSET_RESOLUTION_MS } from '$lib/clock/offset';
import { openRemoteDb } from '$lib/sync/remote';
import { startSync } from '$lib/sync/sync';
import { memoryDb } from '../helpers/memory-db';
import { createUserDb, switchableFetch, waitFor, useSyncFixture } from './sync-setup';

const HOUR = 3_600_000;
const fx = useSyncFixture();
const { users, controllers } = fx;

/** Moves the server's `Date` header by `ms`, as if its clock (or the device's) were off. */
const shiftDate = (ms: number) => (res: Response) => {
  const headers = new Headers(res.headers);
  const date = res.headers.get('date');
  if (date) headers.set('date', new Date(Date.parse(date) + ms).toUTCString());
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
};

describe('startSync - server clock', () => {
  it('learns the server clock offset from the Date header of sync requests', async () => {
    const u = await createUserDb(fx.couch);
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
    const u = await createUserDb(fx.couch);
    users.push(u);
    const clock = createHlc({ deviceId: 'dev-clock2', offsetMs: 12_345 });
    const remote = openRemoteDb(u.url, { username: u.name, password: u.password, clock });
    const sync = startSync(memoryDb('sync-clock'), remote, { deviceId: 'dev-clock2' });
    controllers.push(sync);
    await waitFor('idle', () => sync.status.state === 'idle');
    expect(clock.serverOffset()).toBe(0);
  });
});
