import { describe, expect, it } from 'vitest';
import { makeId, newId, typeOfId, uuidv7 } from '$lib/domain/ids';
import { DOC_TYPES } from '$lib/domain/types';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const T = Date.parse('2026-11-22T08:00:00.000Z');
const msOf = (uuid: string) => parseInt(uuid.replace(/-/g, '').slice(0, 12), 16);

describe('uuidv7', () => {
  it('has the UUID v7 layout (version 7, RFC variant)', () => {
    for (let i = 0; i < 50; i++) expect(uuidv7()).toMatch(UUID_V7);
  });

  it('encodes the given time in the first 48 bits', () => {
    expect(msOf(uuidv7(T))).toBe(T);
    expect(msOf(uuidv7(0))).toBe(0);
    expect(msOf(uuidv7(2 ** 48 - 1))).toBe(2 ** 48 - 1);
  });

  it('uses the current time by default', () => {
    const before = Date.now();
    const ms = msOf(uuidv7());
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
  });

  it('never repeats, even within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7(T));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('sorts by creation time across milliseconds', () => {
    const ids = [T, T + 1, T + 1000, T + 86_400_000].map((t) => uuidv7(t));
    expect([...ids].sort()).toEqual(ids);
  });

  it('sorts in creation order within one millisecond', () => {
    const ids = Array.from({ length: 200 }, () => uuidv7(T + 5));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids.map(msOf))).toEqual(new Set([T + 5]));
  });

  it('borrows the next millisecond when one millisecond runs out of counter values', () => {
    const at = T + 10_000;
    const ids = Array.from({ length: 5000 }, () => uuidv7(at));
    expect([...ids].sort()).toEqual(ids);
    expect(msOf(ids[0])).toBe(at);
    expect(msOf(ids[ids.length - 1])).toBeGreaterThan(at);
    expect(msOf(ids[ids.length - 1])).toBeLessThanOrEqual(at + 2);
    ids.forEach((id) => expect(id).toMatch(UUID_V7));
    // An id for the (real) next millisecond still sorts after the borrowed ones.
    const later = uuidv7(at + 1);
    expect(later > ids[ids.length - 1]).toBe(true);
  });
});

describe('newId / makeId / typeOfId', () => {
  it('newId prefixes the type and round-trips through typeOfId', () => {
    for (const type of DOC_TYPES) {
      const id = newId(type);
      expect(id.startsWith(`${type}:`)).toBe(true);
      expect(id.slice(type.length + 1)).toMatch(UUID_V7);
      expect(typeOfId(id)).toBe(type);
    }
  });

  it('newId honours an explicit time', () => {
    expect(msOf(newId('note', T).slice('note:'.length))).toBe(T);
  });

  it('makeId builds deterministic ids from keys', () => {
    expect(makeId('account', 'demo-001')).toBe('account:demo-001');
    expect(makeId('stop', 'demo-2026-11-22-ana-01')).toBe('stop:demo-2026-11-22-ana-01');
    expect(typeOfId(makeId('task', 'k'))).toBe('task');
    // Conflict audit ids carry the conflicted doc's id after the prefix.
    expect(typeOfId('conflict:stop:1:abc')).toBe('conflict');
  });

  it('makeId rejects empty keys and keys with white space', () => {
    expect(() => makeId('account', '')).toThrow(/Invalid id key/);
    expect(() => makeId('account', 'two words')).toThrow(/Invalid id key/);
    expect(() => makeId('account', 'tab\there')).toThrow(/Invalid id key/);
  });

  it('typeOfId returns null for ids that are not Outpost ids', () => {
    expect(typeOfId('_design/by-stop')).toBeNull();
    expect(typeOfId('widget:1')).toBeNull();
    expect(typeOfId('')).toBeNull();
    expect(typeOfId(':stop')).toBeNull();
  });

  it('typeOfId returns null for ids without a colon, even when they start with a type name', () => {
    expect(typeOfId('stops')).toBeNull();
    expect(typeOfId('notes')).toBeNull();
    expect(typeOfId('accounts')).toBeNull();
    expect(typeOfId('stop')).toBeNull();
  });
});
