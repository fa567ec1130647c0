import { describe, expect, it } from 'vitest';
import {
  MIGRATIONS,
  SCHEMA_VERSION,
  isNewerSchema,
  migrate,
  schemaOf,
  type Migration,
} from '$lib/domain/schema';
import { DOC_TYPES } from '$lib/domain/types';
import { validateDoc } from '$lib/domain/validate';
import { accountDoc, stopDoc, taskDoc } from '../helpers/docs';

type Body = Record<string, unknown>;

/** A body without `schema`, e.g. typed into Fauxton by an admin. */
function v0<T extends Body>(doc: T): Body {
  const { schema: _drop, ...rest } = doc;
  return rest;
}

describe('schemaOf / isNewerSchema', () => {
  it('reads a positive integer schema and treats anything else as 0', () => {
    expect(schemaOf({ schema: 1 })).toBe(1);
    expect(schemaOf({ schema: 99 })).toBe(99);
    expect(schemaOf({})).toBe(0);
    expect(schemaOf({ schema: '2' })).toBe(0);
    expect(schemaOf({ schema: 1.5 })).toBe(0);
    expect(schemaOf({ schema: -3 })).toBe(0);
    expect(schemaOf({ schema: null })).toBe(0);
  });

  it('knows a body from a newer build', () => {
    expect(isNewerSchema('stop', { schema: SCHEMA_VERSION.stop + 1 })).toBe(true);
    expect(isNewerSchema('stop', { schema: SCHEMA_VERSION.stop })).toBe(false);
    expect(isNewerSchema('stop', {})).toBe(false);
  });

  it('has a version and a step from 0 for every type', () => {
    for (const type of DOC_TYPES) {
      expect(SCHEMA_VERSION[type]).toBeGreaterThanOrEqual(1);
      expect(MIGRATIONS[type].some((m) => m.from === 0)).toBe(true);
    }
  });
});

describe('migrate (built-in steps)', () => {
  it('fills the defaults of a v0 account and sets schema 1', () => {
    const { contacts: _c, ...rest } = accountDoc('a1');
    const out = migrate('account', v0(rest));
    expect(out.schema).toBe(1);
    expect(out.contacts).toEqual([]);
    expect(validateDoc(out)).toEqual({});
  });

  it('fills a v0 stop status with planned', () => {
    const { status: _s, ...rest } = stopDoc('s1');
    const out = migrate('stop', v0(rest));
    expect(out).toMatchObject({ schema: 1, status: 'planned' });
    expect(validateDoc(out)).toEqual({});
  });

  it('fills a v0 task done flag with false', () => {
    const { done: _d, ...rest } = taskDoc('t1');
    const out = migrate('task', v0(rest));
    expect(out).toMatchObject({ schema: 1, done: false });
    expect(validateDoc(out)).toEqual({});
  });

  it('never overwrites existing values with defaults', () => {
    const stop = migrate('stop', v0(stopDoc('s1', { status: 'arrived' })));
    expect(stop.status).toBe('arrived');
    const task = migrate('task', v0(taskDoc('t1', { done: true })));
    expect(task.done).toBe(true);
    const contacts = [{ name: 'Grace Walsh' }];
    const account = migrate('account', v0(accountDoc('a1', { contacts })));
    expect(account.contacts).toEqual(contacts);
  });

  it('keeps every other field of a v0 body, including unknown ones', () => {
    const body: Body = { ...v0(stopDoc('s1')), futureField: { x: 1 }, _rev: '3-abc' };
    const out = migrate('stop', body);
    expect(out.futureField).toEqual({ x: 1 });
    expect(out._rev).toBe('3-abc');
    expect(out.seq).toBe(1);
  });

  it('does not mutate the body it was given', () => {
    const { status: _s, ...rest } = stopDoc('s1');
    const body = v0(rest);
    const copy = structuredClone(body);
    migrate('stop', body);
    expect(body).toEqual(copy);
  });

  it('returns a current body as the very same object', () => {
    const doc = stopDoc('s1');
    expect(migrate('stop', doc)).toBe(doc);
  });

  it('returns a newer-schema body unchanged (never downgraded)', () => {
    const doc = { ...stopDoc('s1'), schema: 99, futureField: { x: 1 } };
    const copy = structuredClone(doc);
    const out = migrate('stop', doc);
    expect(out).toBe(doc);
    expect(out).toEqual(copy);
    expect(out.schema).toBe(99);
  });
});

describe('migrate (custom steps)', () => {
  it("runs the steps in order, each seeing the previous one's output", () => {
    const calls: number[] = [];
    const steps: Migration[] = [
      // Deliberately listed out of order: migrate must pick them by `from`.
      { from: 2, up: (d) => (calls.push(2), { ...d, c: `${d.b}+c` }) },
      { from: 0, up: (d) => (calls.push(0), { ...d, a: 'a' }) },
      { from: 1, up: (d) => (calls.push(1), { ...d, b: `${d.a}+b` }) },
    ];
    const out = migrate('note', { text: 'x' }, steps);
    expect(calls).toEqual([0, 1, 2]);
    expect(out).toEqual({ text: 'x', a: 'a', b: 'a+b', c: 'a+b+c', schema: 3 });
  });

  it("starts from the body's own schema", () => {
    const calls: number[] = [];
    const steps: Migration[] = [0, 1, 2].map((from) => ({
      from,
      up: (d) => (calls.push(from), { ...d, [`step${from}`]: true }),
    }));
    const out = migrate('note', { schema: 1, text: 'x' }, steps);
    expect(calls).toEqual([1, 2]);
    expect(out).toEqual({ schema: 3, text: 'x', step1: true, step2: true });
  });

  it('does nothing once the body is at the newest step', () => {
    const calls: number[] = [];
    const steps: Migration[] = [{ from: 0, up: (d) => (calls.push(0), d) }];
    const body = { schema: 1, text: 'x' };
    expect(migrate('note', body, steps)).toBe(body);
    expect(calls).toEqual([]);
  });

  it('skips versions that have no step but still reaches the target', () => {
    const steps: Migration[] = [{ from: 2, up: (d) => ({ ...d, late: true }) }];
    expect(migrate('note', { text: 'x' }, steps)).toEqual({ text: 'x', late: true, schema: 3 });
  });
});
