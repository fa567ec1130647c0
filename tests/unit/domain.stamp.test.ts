import { describe, expect, it } from 'vitest';
import { formatHlc } from '$lib/clock/hlc';
import { SCHEMA_VERSION } from '$lib/domain/schema';
import { applyPatch, canonicalJson, stampNew, type WriteStamp } from '$lib/domain/stamp';
import type { AccountDoc, TaskDoc } from '$lib/domain/types';
import { validateDoc } from '$lib/domain/validate';
import { SEED_HLC, accountDoc, taskDoc } from '../helpers/docs';

const T = Date.parse('2026-11-22T08:00:00.000Z');
const stampAt = (ms: number, user = 'ana', deviceId = 'dev-a'): WriteStamp => ({
  user,
  deviceId,
  hlc: formatHlc({ wall: ms, counter: 0, deviceId }),
});
const S1 = stampAt(T);

describe('canonicalJson', () => {
  it('sorts object keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 4, e: 5 }] } })).toBe(
      '{"a":{"c":[3,{"e":5,"f":4}],"d":2},"b":1}',
    );
  });

  it('gives the same text for the same value written in different key orders', () => {
    expect(canonicalJson({ x: 1, y: { p: true, q: null } })).toBe(
      canonicalJson({ y: { q: null, p: true }, x: 1 }),
    );
  });

  it('keeps array order (order is meaning)', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('drops undefined properties and writes a top-level undefined as null', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('writes primitives like JSON.stringify', () => {
    for (const v of ['text "quoted"', 0, -1.5, true, null]) {
      expect(canonicalJson(v)).toBe(JSON.stringify(v));
    }
  });
});

describe('stampNew', () => {
  it('stamps the system fields and gives every data field and the owner the write clock', () => {
    const doc = stampNew<TaskDoc>(
      'task',
      'task:t1',
      'ben',
      { stopId: 'stop:s1', title: 'Count stock', done: false },
      S1,
    );
    expect(doc).toEqual({
      _id: 'task:t1',
      type: 'task',
      schema: SCHEMA_VERSION.task,
      owner: 'ben',
      updatedAt: S1.hlc,
      updatedBy: 'ana',
      deviceId: 'dev-a',
      stopId: 'stop:s1',
      title: 'Count stock',
      done: false,
      fieldClock: { owner: S1.hlc, stopId: S1.hlc, title: S1.hlc, done: S1.hlc },
    });
    expect(validateDoc(doc)).toEqual({});
  });

  it('ignores system fields and undefined values passed as data', () => {
    const doc = stampNew<TaskDoc>(
      'task',
      'task:t1',
      'ana',
      {
        stopId: 'stop:s1',
        title: 'x',
        done: false,
        doneAt: undefined,
        _id: 'task:other',
        _rev: '9-zzz',
        type: 'note',
        schema: 42,
        owner: 'mallory',
        updatedBy: 'mallory',
        fieldClock: { title: 'forged' },
      },
      S1,
    );
    expect(doc._id).toBe('task:t1');
    expect(doc._rev).toBeUndefined();
    expect(doc.type).toBe('task');
    expect(doc.schema).toBe(SCHEMA_VERSION.task);
    expect(doc.owner).toBe('ana');
    expect(doc.updatedBy).toBe('ana');
    expect('doneAt' in doc).toBe(false);
    expect(doc.fieldClock).toEqual({ owner: S1.hlc, stopId: S1.hlc, title: S1.hlc, done: S1.hlc });
  });
});

describe('applyPatch', () => {
  const S2 = stampAt(T + 60_000, 'ben', 'dev-b');

  it('changes the patched field and advances only its field clock', () => {
    const before = accountDoc('a1');
    const after = applyPatch<AccountDoc>(before, { name: 'Renamed' }, S2)!;
    expect(after.name).toBe('Renamed');
    expect(after.fieldClock).toEqual({ ...before.fieldClock, name: S2.hlc });
    expect(after.updatedAt).toBe(S2.hlc);
    expect(after.updatedBy).toBe('ben');
    expect(after.deviceId).toBe('dev-b');
    expect(after.owner).toBe(before.owner);
    expect(validateDoc(after)).toEqual({});
  });

  it('leaves the existing document untouched', () => {
    const before = accountDoc('a1');
    const copy = structuredClone(before);
    applyPatch(before, { name: 'Renamed', phone: undefined }, S2);
    expect(before).toEqual(copy);
  });

  it('preserves fields it does not know and keeps a newer schema number', () => {
    const before = { ...accountDoc('a1'), schema: 3, futureField: { x: 1 }, _rev: '4-abc' };
    const after = applyPatch(before, { name: 'Renamed' }, S2)!;
    expect(after.futureField).toEqual({ x: 1 });
    expect(after.schema).toBe(3);
    expect(after._rev).toBe('4-abc');
    expect(after._id).toBe('account:a1');
  });

  it('raises an older schema number to the current one', () => {
    const { schema: _s, ...v0 } = accountDoc('a1');
    const after = applyPatch(v0 as AccountDoc, { name: 'Renamed' }, S2)!;
    expect(after.schema).toBe(SCHEMA_VERSION.account);
  });

  it('returns null for a patch that changes nothing', () => {
    const before = accountDoc('a1');
    expect(applyPatch(before, {}, S2)).toBeNull();
    expect(applyPatch(before, { name: before.name }, S2)).toBeNull();
    // Same value, different key order: still no change.
    const reordered = { country: 'US', postalCode: '40110', city: 'Fairview', street: '1 Main St' };
    expect(applyPatch(before, { address: reordered }, S2)).toBeNull();
    // Removing a field that is not there is no change either.
    expect(applyPatch(before, { info: undefined }, S2)).toBeNull();
  });

  it('removes a field patched with undefined and advances its clock', () => {
    const before = accountDoc('a1');
    const after = applyPatch<AccountDoc>(before, { phone: undefined }, S2)!;
    expect('phone' in after).toBe(false);
    expect(after.fieldClock!.phone).toBe(S2.hlc);
    expect(after.fieldClock!.name).toBe(SEED_HLC);
  });

  it('distinguishes null from a missing field', () => {
    const before = accountDoc('a1');
    const withNull = applyPatch(before, { info: null }, S2)!;
    expect(withNull).not.toBeNull();
    expect(withNull.info).toBeNull();
    expect(applyPatch(withNull, { info: null }, S2)).toBeNull();
    const removed = applyPatch(withNull, { info: undefined }, stampAt(T + 120_000))!;
    expect('info' in removed).toBe(false);
  });

  it('detects changes deep inside nested values', () => {
    const before = accountDoc('a1');
    const address = { ...before.address, city: 'Milton' };
    const after = applyPatch<AccountDoc>(before, { address }, S2)!;
    expect(after.address.city).toBe('Milton');
    expect(after.fieldClock!.address).toBe(S2.hlc);
    expect(after.fieldClock!.contacts).toBe(SEED_HLC);
  });

  it('ignores system and underscore fields in the patch', () => {
    const before = accountDoc('a1');
    const patch = {
      _id: 'account:other',
      _rev: '9-x',
      _deleted: true,
      type: 'note',
      schema: 0,
      owner: 'mallory',
      updatedAt: 'x',
      updatedBy: 'mallory',
      deviceId: 'evil',
      fieldClock: {},
    };
    expect(applyPatch(before, patch, S2)).toBeNull();
    const after = applyPatch(before, { ...patch, name: 'Renamed' }, S2)!;
    expect(after).toMatchObject({
      _id: 'account:a1',
      type: 'account',
      schema: 1,
      owner: 'ana',
      updatedBy: 'ben',
      deviceId: 'dev-b',
    });
    expect(after._deleted).toBeUndefined();
    expect(after._rev).toBeUndefined();
    expect(Object.keys(after.fieldClock!)).not.toContain('owner');
  });

  it('adds a field the document did not have yet', () => {
    const before = taskDoc('t1');
    const after = applyPatch<TaskDoc>(
      before,
      { done: true, doneAt: '2026-11-22T08:00:00.000Z' },
      S2,
    )!;
    expect(after.doneAt).toBe('2026-11-22T08:00:00.000Z');
    expect(after.fieldClock).toEqual({ ...before.fieldClock, done: S2.hlc, doneAt: S2.hlc });
  });
});
