import { describe, expect, it } from 'vitest';
import { describeStatus, SYNC_MESSAGES } from '$lib/sync/messages';
import { deriveStatus, sameStatus, type StatusInput } from '$lib/sync/status';

const base: StatusInput = {
  stopped: false,
  auth: null,
  browserOnline: true,
  push: 'idle',
  pull: 'idle',
  laneError: null,
  denied: 0,
  pending: 0,
  lastSuccessAt: null,
  docsPushed: 0,
  docsPulled: 0,
};
const derive = (patch: Partial<StatusInput>) => deriveStatus({ ...base, ...patch });

describe('deriveStatus', () => {
  it('is idle when both lanes caught up', () => {
    expect(derive({})).toMatchObject({ state: 'idle', online: true, lastError: null });
  });

  it('is connecting while a lane starts and syncing while one is active', () => {
    expect(derive({ push: 'starting', pull: 'starting' }).state).toBe('connecting');
    expect(derive({ push: 'active', pull: 'starting' })).toMatchObject({
      state: 'syncing',
      pushing: true,
      pulling: false,
    });
    expect(derive({ pull: 'active' })).toMatchObject({ state: 'syncing', pulling: true });
  });

  it('is offline with a plain sentence when the server cannot be reached', () => {
    const s = derive({ push: 'retrying', laneError: { code: 'network' }, pending: 3 });
    expect(s).toMatchObject({ state: 'offline', online: false });
    expect(s.lastError).toEqual({ code: 'network', message: 'No connection - 3 changes waiting' });
  });

  it('is offline when the browser says so, even before a request failed', () => {
    const s = derive({ browserOnline: false, pending: 1 });
    expect(s).toMatchObject({ state: 'offline', online: false });
    expect(s.lastError?.message).toBe('No connection - 1 change waiting');
  });

  it('is error (still retrying) when the server answers 5xx', () => {
    const s = derive({ pull: 'retrying', laneError: { code: 'internal', status: 503 } });
    expect(s).toMatchObject({ state: 'error', online: true });
    expect(s.lastError).toMatchObject({ code: 'internal', status: 503 });
    expect(s.lastError?.message).toBe(SYNC_MESSAGES.serverError(0));
  });

  it('is unauthorized on 401 and says how many changes wait for a sign-in', () => {
    const s = derive({ auth: { code: 'unauthorized', status: 401 }, pending: 3, push: 'active' });
    expect(s).toMatchObject({ state: 'unauthorized', pushing: false });
    expect(s.lastError).toEqual({
      code: 'unauthorized',
      status: 401,
      message: 'Sign in to sync 3 pending changes',
    });
    expect(derive({ auth: { code: 'unauthorized', status: 401 } }).lastError?.message).toBe(
      'Sign in to sync',
    );
  });

  it('is unauthorized with the device message on 403', () => {
    const s = derive({ auth: { code: 'forbidden', status: 403 }, pending: 2 });
    expect(s.state).toBe('unauthorized');
    expect(s.lastError?.message).toBe('This device is not allowed to sync this database');
  });

  it('reports refused docs once the lanes are healthy', () => {
    const s = derive({ denied: 2 });
    expect(s.state).toBe('idle');
    expect(s.lastError?.message).toBe(SYNC_MESSAGES.denied(2));
  });

  it('is stopped, with no error, after stop()', () => {
    expect(derive({ stopped: true, auth: { code: 'unauthorized', status: 401 } })).toMatchObject({
      state: 'stopped',
      lastError: null,
    });
  });
});

describe('describeStatus', () => {
  it('gives one line per state', () => {
    expect(describeStatus(derive({}))).toBe('Up to date');
    expect(describeStatus(derive({ push: 'active', pending: 1 }))).toBe('Syncing 1 change');
    expect(describeStatus(derive({ push: 'starting' }))).toBe('Connecting');
    expect(describeStatus(derive({ stopped: true }))).toBe('Sync is off');
    expect(
      describeStatus(derive({ auth: { code: 'unauthorized', status: 401 }, pending: 1 })),
    ).toBe('Sign in to sync 1 pending change');
    expect(
      describeStatus(derive({ push: 'retrying', laneError: { code: 'network' }, pending: 4 })),
    ).toBe('No connection - 4 changes waiting');
  });
});

describe('sameStatus', () => {
  it('compares what the UI shows', () => {
    expect(sameStatus(derive({}), derive({}))).toBe(true);
    expect(sameStatus(derive({}), derive({ pending: 1 }))).toBe(false);
    expect(sameStatus(derive({ denied: 1 }), derive({ denied: 2 }))).toBe(false);
  });
});
