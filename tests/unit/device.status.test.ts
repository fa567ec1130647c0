import { afterEach, describe, expect, it } from 'vitest';
import { deviceDocId, ownerOfDeviceId, type DeviceDoc } from '$lib/domain/device';
import { validateDoc } from '$lib/domain/validate';
import { writerFor } from '$lib/domain/ownership';
import {
  decideStatusWrite,
  materialChange,
  storageMoved,
  type DeviceFacts,
} from '$lib/device/status';
import { startDeviceStatus, type StatusTimers } from '$lib/device/status-writer';
import type { SyncStatus } from '$lib/sync/status';
import { outpostDesignDoc } from '$lib/server/provision/design';
import { destroyMemoryDbs, fakeHlc, memoryDb } from '../helpers/memory-db';
import { SEED_HLC } from '../helpers/docs';

const MIN = 60_000;
const T0 = Date.parse('2026-11-22T08:00:00.000Z');

function facts(over: Partial<DeviceFacts> = {}): DeviceFacts {
  return {
    label: 'Chrome on Android',
    appVersion: '0.1.0',
    lastSyncAt: '2026-11-22T08:00:00.000Z',
    pending: 0,
    problem: null,
    storage: { usage: 20 * 1024 * 1024, quota: 2 * 1024 ** 3, persisted: true },
    conflicts: 0,
    clockOffsetMs: 0,
    seenAt: '2026-11-22T08:00:00.000Z',
    ...over,
  };
}

function statusDoc(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    _id: 'device:ana~dev-1',
    type: 'device',
    schema: 1,
    owner: 'ana',
    updatedAt: SEED_HLC,
    updatedBy: 'ana',
    deviceId: 'dev-1',
    ...facts(),
    ...over,
  };
}

describe('device status doc: fields validated like every doc', () => {
  it('accepts a full status', () => {
    expect(validateDoc(statusDoc())).toEqual({});
    expect(
      validateDoc(statusDoc({ lastSyncAt: null, storage: null, build: '1763798400000' })),
    ).toEqual({});
    expect(
      validateDoc(statusDoc({ problem: { code: 'server', message: 'The server had a problem.' } })),
    ).toEqual({});
  });

  it('names each bad field in words', () => {
    const errors = validateDoc(
      statusDoc({
        label: '',
        appVersion: 7,
        pending: -1,
        conflicts: 1.5,
        clockOffsetMs: 'soon',
        seenAt: 'yesterday',
        lastSyncAt: '2026-13-01T00:00:00Z',
        problem: { code: '', message: 'x' },
        storage: { usage: -1, quota: 10, persisted: 'yes' },
      }),
    );
    expect(Object.keys(errors).sort()).toEqual(
      [
        'appVersion',
        'clockOffsetMs',
        'conflicts',
        'label',
        'lastSyncAt',
        'pending',
        'problem.code',
        'seenAt',
        'storage',
      ].sort(),
    );
    expect(errors.pending).toBe('Waiting writes must be a whole number, 0 or more.');
  });

  it('ties the id to its owner', () => {
    expect(deviceDocId('ana', 'dev-1')).toBe('device:ana~dev-1');
    expect(ownerOfDeviceId('device:ana~dev-1')).toBe('ana');
    expect(ownerOfDeviceId('device:dev-1')).toBeNull();
    expect(validateDoc(statusDoc({ owner: 'ben' }))._id).toMatch(/device:<owner>~<device id>/);
  });

  it('is written only by its own person on a device, never by a supervisor for a rep', () => {
    const sam = writerFor({ name: 'sam', role: 'supervisor' });
    expect(sam('ana', 'stop')).toBe(true);
    expect(sam('ana', 'device')).toBe(false);
    expect(sam('sam', 'device')).toBe(true);
    expect(writerFor({ name: 'ana', role: 'rep' })('ana', 'device')).toBe(true);
  });
});

type Vdu = (
  newDoc: Record<string, unknown>,
  oldDoc: Record<string, unknown> | null,
  userCtx: { name: string | null; roles: string[] },
) => void;

/** The validate_doc_update the provisioner installs, as a function. */
function vdu(dbOwner: string | null, team: string[] = []): Vdu {
  const source = outpostDesignDoc(dbOwner, team).validate_doc_update;
  return new Function(`return (${source});`)() as Vdu;
}

/** What validate_doc_update throws, or null when it accepts. */
function refusal(fn: Vdu, doc: Record<string, unknown>, user: string, roles: string[] = []) {
  try {
    fn(doc, null, { name: user, roles });
    return null;
  } catch (err) {
    return err as Record<string, string>;
  }
}

describe('validate_doc_update: a device status from its rep only', () => {
  const doc = statusDoc();

  it('accepts it from the rep and from her device credential (owner:ana)', () => {
    for (const db of [vdu('ana'), vdu(null)]) {
      expect(refusal(db, doc, 'ana', ['rep'])).toBeNull();
      expect(refusal(db, doc, 'ana~dev-1', ['owner:ana', 'device'])).toBeNull();
    }
    expect(refusal(vdu(null), doc, 'admin', ['_admin'])).toBeNull();
  });

  it('refuses it from her supervisor, in master and in his own db', () => {
    expect(refusal(vdu(null), doc, 'sam', ['supervisor'])).toEqual({
      forbidden: "Only ana's own devices may write their device status.",
    });
    expect(refusal(vdu('sam', ['ana']), doc, 'sam~dev-9', ['owner:sam', 'device'])).toEqual({
      forbidden: "Only ana's own devices may write their device status.",
    });
  });

  it('refuses another rep, an id of another owner and bad fields', () => {
    expect(refusal(vdu(null), doc, 'ben', ['rep'])).toHaveProperty('unauthorized');
    expect(refusal(vdu('ana'), { ...doc, _id: 'device:ben~dev-1' }, 'ana', ['rep'])).toEqual({
      forbidden: 'A device status id must be device:ana~<device id>.',
    });
    expect(refusal(vdu('ana'), { ...doc, pending: -2 }, 'ana', ['rep'])).toEqual({
      forbidden: 'Waiting writes must be a whole number, 0 or more.',
    });
    expect(refusal(vdu('ana'), { ...doc, seenAt: 'now' }, 'ana', ['rep'])).toEqual({
      forbidden: 'A last seen time must be an ISO date and time.',
    });
  });
});

describe('when a status is worth a revision', () => {
  const prev = statusDoc() as unknown as DeviceDoc;
  const at = (min: number) => T0 + min * MIN;

  it('writes the first status at once', () => {
    expect(decideStatusWrite(null, facts(), T0, null)).toEqual({ kind: 'write' });
  });

  it('writes nothing when nothing changed, until the heartbeat after a sync', () => {
    const same = facts({ seenAt: new Date(at(5)).toISOString() });
    expect(decideStatusWrite(prev, same, at(5), T0).kind).toBe('skip');
    // 45 minutes later with no sync since: still nothing (a silent device says nothing new).
    expect(decideStatusWrite(prev, same, at(46), T0).kind).toBe('skip');
    const synced = facts({ lastSyncAt: new Date(at(44)).toISOString() });
    expect(decideStatusWrite(prev, synced, at(44), T0)).toEqual({
      kind: 'skip',
      nextHeartbeatAt: at(45),
    });
    expect(decideStatusWrite(prev, synced, at(46), T0)).toEqual({ kind: 'write' });
  });

  it('writes a change people act on, but at most every few minutes', () => {
    const busy = facts({ pending: 3 });
    expect(decideStatusWrite(prev, busy, at(1), T0)).toEqual({ kind: 'wait', at: at(5) });
    expect(decideStatusWrite(prev, busy, at(5), T0)).toEqual({ kind: 'write' });
    // After a restart the stored last-seen time stands in for the last write.
    expect(decideStatusWrite(prev, busy, at(2), null)).toEqual({ kind: 'wait', at: at(5) });
  });

  it('ignores drift: storage by a few KB, the clock by a second, a problem reworded', () => {
    const base = facts({ problem: { code: 'server', message: '3 changes wait' } });
    const stored = { ...prev, problem: base.problem };
    expect(materialChange(stored, { ...base, clockOffsetMs: 1200 })).toBe(false);
    expect(
      materialChange(stored, {
        ...base,
        problem: { code: 'server', message: '4 changes wait' },
        storage: { ...base.storage!, usage: base.storage!.usage + 200_000 },
      }),
    ).toBe(false);
    expect(materialChange(stored, { ...base, clockOffsetMs: 90_000 })).toBe(true);
    expect(materialChange(stored, { ...base, problem: null })).toBe(true);
    expect(materialChange(stored, { ...base, conflicts: 1 })).toBe(true);
    expect(materialChange(stored, { ...base, appVersion: '0.2.0' })).toBe(true);
  });

  it('sees storage move: kept or not, five points of the quota used, the quota', () => {
    const s = { usage: 100 * 1024 * 1024, quota: 1024 ** 3, persisted: true };
    // A day of photos (+30 MB of 1 GB) is no news; +60 MB is.
    expect(storageMoved(s, { ...s, usage: s.usage + 30 * 1024 * 1024 })).toBe(false);
    expect(storageMoved(s, { ...s, usage: s.usage + 60 * 1024 * 1024 })).toBe(true);
    expect(storageMoved(s, { ...s, persisted: false })).toBe(true);
    expect(storageMoved(s, { ...s, quota: s.quota / 2 })).toBe(true);
    expect(storageMoved(s, null)).toBe(true);
    expect(storageMoved(null, null)).toBe(false);
  });
});

/** Timers the test fires by hand. */
function manualTimers(): StatusTimers & { due: () => number | null; fire: () => void } {
  let next: { fn: () => void; ms: number } | null = null;
  return {
    set(fn, ms) {
      next = { fn, ms };
      return next;
    },
    clear(handle) {
      if (next === handle) next = null;
    },
    due: () => next?.ms ?? null,
    fire() {
      const t = next;
      next = null;
      t?.fn();
    },
  };
}

function syncStatus(over: Partial<SyncStatus> = {}): SyncStatus {
  return {
    state: 'idle',
    online: true,
    pending: 0,
    pushing: false,
    pulling: false,
    lastSuccessAt: new Date(T0).toISOString(),
    lastError: null,
    docsPushed: 0,
    docsPulled: 0,
    ...over,
  };
}

describe('the status writer on a local db', () => {
  afterEach(destroyMemoryDbs);

  function setup() {
    const db = memoryDb('status');
    const { clock, wall } = fakeHlc('dev-1', T0);
    const timers = manualTimers();
    const writer = startDeviceStatus({
      db,
      user: 'ana',
      deviceUser: 'ana~dev-1',
      clock,
      label: 'Chrome on Android',
      appVersion: '0.1.0',
      build: '1763798400000',
      readStorage: async () => ({ usage: 5e6, quota: 1e9, persisted: true }),
      openConflicts: async () => 0,
      timers,
    });
    const revs = async () => {
      const doc = await db.get('device:ana~dev-1').catch(() => null);
      return doc ? Number(doc._rev.split('-')[0]) : 0;
    };
    return { db, wall, timers, writer, revs };
  }

  it('writes once, then no new revision while nothing changed', async () => {
    const { db, wall, timers, writer, revs } = setup();
    writer.update(syncStatus());
    expect(timers.due()).toBe(5000); // waits for the status to settle
    wall.advance(5000);
    timers.fire();
    await expect.poll(revs).toBe(1);
    const doc = (await db.get('device:ana~dev-1')) as unknown as DeviceDoc;
    expect(doc).toMatchObject({
      owner: 'ana',
      deviceId: 'dev-1',
      pending: 0,
      appVersion: '0.1.0',
      build: '1763798400000',
      storage: { usage: 5e6, quota: 1e9, persisted: true },
      seenAt: new Date(T0 + 5000).toISOString(),
    });
    expect(doc).not.toHaveProperty('fieldClock');
    expect(validateDoc(doc)).toEqual({});
    // The same status again, and a look a minute later: nothing written.
    writer.update(syncStatus());
    wall.advance(MIN);
    expect(await writer.check()).toBe(false);
    expect(await revs()).toBe(1);
  });

  it('does not count its own unpushed status as a waiting write', async () => {
    const { wall, writer, revs } = setup();
    writer.update(syncStatus());
    expect(await writer.check()).toBe(true);
    // The push lane picks up the status doc itself, then confirms it.
    writer.update(syncStatus({ pending: 1, state: 'syncing', pushing: true }));
    wall.advance(30 * MIN);
    expect(await writer.check()).toBe(false);
    writer.update(syncStatus({ pending: 0 }));
    expect(await writer.check()).toBe(false);
    expect(await revs()).toBe(1);
  });

  it('writes a change after the least interval and nothing offline', async () => {
    const { db, wall, timers, writer, revs } = setup();
    writer.update(syncStatus());
    await writer.check();
    // The server starts failing: the status just written waits, then three check-in writes.
    const failing = {
      state: 'error' as const,
      lastError: { code: 'internal' as const, message: 'x' },
    };
    writer.update(syncStatus({ pending: 1, ...failing }));
    wall.advance(MIN);
    writer.update(
      syncStatus({ pending: 4, state: 'error', lastError: { code: 'internal', message: 'x' } }),
    );
    expect(await writer.check()).toBe(false); // too soon: waits for 5 min after the last write
    expect(timers.due()).toBe(4 * MIN);
    wall.advance(4 * MIN);
    timers.fire();
    await expect.poll(revs).toBe(2);
    const doc = (await db.get('device:ana~dev-1')) as unknown as DeviceDoc;
    expect(doc.pending).toBe(3); // its own status is one of the four
    expect(doc.problem).toEqual({ code: 'internal', message: 'x' });
    // Offline: nothing is written, whatever changes.
    writer.update(syncStatus({ state: 'offline', online: false, pending: 9 }));
    wall.advance(30 * MIN);
    expect(await writer.check()).toBe(false);
    expect(await revs()).toBe(2);
  });

  it('beats the heart every 45 minutes while sync works', async () => {
    const { wall, timers, writer, revs } = setup();
    writer.update(syncStatus());
    await writer.check();
    expect(timers.due()).toBe(45 * MIN);
    wall.advance(45 * MIN);
    writer.update(syncStatus({ lastSuccessAt: new Date(T0 + 44 * MIN).toISOString() }));
    timers.fire();
    await expect.poll(revs).toBe(2);
    writer.stop();
    expect(timers.due()).toBeNull();
  });

  it("skips the heartbeat while the device's other writes reach the server", async () => {
    const { wall, timers, writer, revs } = setup();
    writer.update(syncStatus());
    await writer.check(); // pushes count from here: the status itself is the first
    writer.update(syncStatus({ docsPushed: 1 }));
    // 30 minutes on, a check-in goes up: the board sees it, the device was heard.
    wall.advance(30 * MIN);
    writer.update(syncStatus({ pending: 1, state: 'syncing' }));
    writer.update(
      syncStatus({ docsPushed: 3, lastSuccessAt: new Date(T0 + 30 * MIN).toISOString() }),
    );
    wall.advance(15 * MIN);
    timers.fire(); // the heartbeat that was due 45 min after the write
    expect(await writer.check()).toBe(false);
    expect(await revs()).toBe(1);
    // 45 minutes after it was last heard, with nothing else going up: the heartbeat.
    wall.advance(30 * MIN);
    writer.update(
      syncStatus({ docsPushed: 3, lastSuccessAt: new Date(T0 + 70 * MIN).toISOString() }),
    );
    expect(await writer.check()).toBe(true);
  });
});
