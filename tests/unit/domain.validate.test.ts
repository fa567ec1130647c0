import { describe, expect, it } from 'vitest';
import { OutpostError } from '$lib/errors';
import {
  LIMITS,
  assertValid,
  isIsoDate,
  isIsoTimestamp,
  isTimeOfDay,
  validateDoc,
} from '$lib/domain/validate';
import { accountDoc, eventDoc, noteDoc, stopDoc, taskDoc } from '../helpers/docs';

type Body = Record<string, unknown>;

const VALID = {
  account: () => accountDoc('a1') as Body,
  stop: () => stopDoc('s1') as Body,
  event: () => eventDoc('e1') as Body,
  note: () => noteDoc('n1') as Body,
  task: () => taskDoc('t1') as Body,
};

/** A valid doc of the type with `field` removed. */
function without(type: keyof typeof VALID, field: string): Body {
  const doc = VALID[type]();
  delete doc[field];
  return doc;
}

describe('validateDoc: valid documents', () => {
  it.each(Object.keys(VALID) as (keyof typeof VALID)[])('accepts a valid %s', (type) => {
    expect(validateDoc(VALID[type]())).toEqual({});
  });

  it('accepts optional fields when present and valid', () => {
    expect(
      validateDoc(
        accountDoc('a1', {
          geo: { lat: -90, lng: 180 },
          info: 'Back door.',
          contacts: [{ name: 'Tom', role: 'Buyer', phone: '555', email: 'tom@example.com' }],
        }),
      ),
    ).toEqual({});
    expect(validateDoc(taskDoc('t1', { done: true, doneAt: '2026-11-22T08:00:00Z' }))).toEqual({});
    const { stopId: _s, ...accountNote } = noteDoc('n1');
    expect(validateDoc(accountNote)).toEqual({});
  });

  it('accepts unknown fields written by a newer schema', () => {
    expect(validateDoc({ ...stopDoc('s1'), schema: 7, futureField: { x: 1 } })).toEqual({});
  });

  it('accepts text exactly at the limits', () => {
    expect(validateDoc(noteDoc('n1', { text: 'x'.repeat(LIMITS.noteText) }))).toEqual({});
    expect(validateDoc(accountDoc('a1', { name: 'x'.repeat(LIMITS.name) }))).toEqual({});
  });
});

describe('validateDoc: required fields', () => {
  const REQUIRED: Record<keyof typeof VALID, string[]> = {
    account: ['name', 'address', 'contacts'],
    stop: ['date', 'seq', 'accountId', 'assignee', 'window', 'status'],
    event: ['kind', 'stopId', 'accountId', 'occurredAt', 'deviceTime'],
    note: ['text', 'accountId', 'createdAt'],
    task: ['stopId', 'title', 'done'],
  };
  const BASE = ['_id', 'schema', 'owner', 'updatedAt', 'updatedBy', 'deviceId'];

  for (const [type, fields] of Object.entries(REQUIRED) as [keyof typeof VALID, string[]][]) {
    it.each([...fields, ...BASE])(`${type} without %s gets a message for that field`, (field) => {
      const errors = validateDoc(without(type, field));
      expect(Object.keys(errors)).toEqual([field]);
      expect(errors[field]).toMatch(/\w+.*\./);
    });
  }

  it('uses readable messages', () => {
    expect(validateDoc(without('account', 'name'))).toEqual({ name: 'Name is required.' });
    expect(validateDoc(without('note', 'text'))).toEqual({ text: 'Note is required.' });
    expect(validateDoc(without('task', 'stopId'))).toEqual({
      stopId: 'Stop must reference a stop.',
    });
  });

  it('treats empty and whitespace-only text as missing', () => {
    expect(validateDoc(accountDoc('a1', { name: '' }))).toEqual({ name: 'Name is required.' });
    expect(validateDoc(accountDoc('a1', { name: '   \n\t' }))).toEqual({
      name: 'Name is required.',
    });
    expect(validateDoc(noteDoc('n1', { text: ' ' }))).toEqual({ text: 'Note is required.' });
  });

  it('lists every problem at once', () => {
    const errors = validateDoc({ _id: 'task:t1', type: 'task' });
    expect(Object.keys(errors).sort()).toEqual(
      ['deviceId', 'done', 'owner', 'schema', 'stopId', 'title', 'updatedAt', 'updatedBy'].sort(),
    );
  });
});

describe('validateDoc: wrong types', () => {
  it.each<[string, Body, string, RegExp]>([
    ['name as number', accountDoc('a1', { name: 42 as never }), 'name', /must be text/],
    ['contacts not a list', accountDoc('a1', { contacts: 'Maria' as never }), 'contacts', /list/],
    ['geo out of range', accountDoc('a1', { geo: { lat: 91, lng: 0 } }), 'geo', /latitude/],
    ['geo as text', accountDoc('a1', { geo: '38,-85' as never }), 'geo', /latitude/],
    ['seq as text', stopDoc('s1', { seq: '3' as never }), 'seq', /whole number/],
    ['seq zero', stopDoc('s1', { seq: 0 }), 'seq', /1 to 999/],
    ['seq fraction', stopDoc('s1', { seq: 1.5 }), 'seq', /whole number/],
    ['seq too big', stopDoc('s1', { seq: LIMITS.maxSeq + 1 }), 'seq', /whole number/],
    ['unknown status', stopDoc('s1', { status: 'lost' as never }), 'status', /one of: planned/],
    ['unknown kind', eventDoc('e1', { kind: 'wave' as never }), 'kind', /check_in, check_out/],
    ['done as text', taskDoc('t1', { done: 'yes' as never }), 'done', /true or false/],
    ['schema as text', stopDoc('s1', { schema: '1' as never }), 'schema', /whole number/],
    ['schema zero', stopDoc('s1', { schema: 0 }), 'schema', /at least 1/],
    ['updatedAt ISO', stopDoc('s1', { updatedAt: '2026-11-22T08:00:00Z' }), 'updatedAt', /HLC/],
    ['fieldClock bad', stopDoc('s1', { fieldClock: { seq: 'x' } }), 'fieldClock', /HLC/],
    ['fieldClock list', stopDoc('s1', { fieldClock: [] as never }), 'fieldClock', /HLC/],
    ['owner as number', stopDoc('s1', { owner: 7 as never }), 'owner', /must be text/],
    ['_id of another type', stopDoc('s1', { _id: 'account:s1' }), '_id', /"stop:<key>"/],
    ['_id without key', stopDoc('s1', { _id: 'stop:' }), '_id', /"stop:<key>"/],
  ])('%s', (_label, doc, field, message) => {
    const errors = validateDoc(doc);
    expect(Object.keys(errors)).toEqual([field]);
    expect(errors[field]).toMatch(message);
  });
});

describe('validateDoc: too long', () => {
  it('rejects note text over 10,000 characters', () => {
    expect(validateDoc(noteDoc('n1', { text: 'x'.repeat(10_001) }))).toEqual({
      text: 'Note is too long (at most 10,000 characters).',
    });
  });

  it('rejects an account name over 200 characters', () => {
    expect(validateDoc(accountDoc('a1', { name: 'x'.repeat(201) }))).toEqual({
      name: 'Name is too long (at most 200 characters).',
    });
  });

  it('rejects other long fields', () => {
    expect(Object.keys(validateDoc(taskDoc('t1', { title: 'x'.repeat(201) })))).toEqual(['title']);
    expect(Object.keys(validateDoc(stopDoc('s1', { purpose: 'x'.repeat(201) })))).toEqual([
      'purpose',
    ]);
    expect(Object.keys(validateDoc(accountDoc('a1', { phone: '5'.repeat(41) })))).toEqual([
      'phone',
    ]);
    expect(Object.keys(validateDoc(accountDoc('a1', { info: 'x'.repeat(10_001) })))).toEqual([
      'info',
    ]);
  });

  it('rejects more than 50 contacts', () => {
    const contacts = Array.from({ length: 51 }, (_, i) => ({ name: `C${i}` }));
    expect(validateDoc(accountDoc('a1', { contacts }))).toEqual({
      contacts: 'At most 50 contacts.',
    });
  });
});

describe('validateDoc: dates and times', () => {
  it.each(['2026-02-30', '2026-13-01', '2026-00-10', '2026-11-31', '2026-2-3', '22.11.2026', ''])(
    'rejects the stop date %j',
    (date) => {
      expect(validateDoc(stopDoc('s1', { date }))).toEqual({
        date: 'Date must be a real date written YYYY-MM-DD.',
      });
    },
  );

  it('accepts a leap day only in a leap year', () => {
    expect(validateDoc(stopDoc('s1', { date: '2028-02-29' }))).toEqual({});
    expect(Object.keys(validateDoc(stopDoc('s1', { date: '2026-02-29' })))).toEqual(['date']);
  });

  it.each<[string, unknown, RegExp]>([
    ['start after end', { start: '10:00', end: '09:00' }, /must start before it ends/],
    ['hour 25', { start: '25:00', end: '26:00' }, /HH:MM/],
    ['end at 24:00', { start: '23:00', end: '24:00' }, /HH:MM/],
    ['minute 60', { start: '08:60', end: '09:00' }, /HH:MM/],
    ['one-digit hour', { start: '8:00', end: '09:00' }, /HH:MM/],
    ['missing end', { start: '08:00' }, /HH:MM/],
    ['not an object', '08:00-09:00', /HH:MM/],
  ])('rejects a time window: %s', (_label, window, message) => {
    const errors = validateDoc(stopDoc('s1', { window: window as never }));
    expect(Object.keys(errors)).toEqual(['window']);
    expect(errors.window).toMatch(message);
  });

  it.each([
    ['2026-02-30T08:00:00Z'],
    ['2026-13-01T08:00:00Z'],
    ['2026-11-22T24:00:00Z'],
    ['2026-11-22T08:60:00Z'],
    ['2026-11-22 08:00:00Z'],
    ['2026-11-22T08:00:00'],
    ['2026-11-22'],
    ['yesterday'],
  ])('rejects the event time %j', (occurredAt) => {
    expect(validateDoc(eventDoc('e1', { occurredAt }))).toEqual({
      occurredAt: 'Event time must be a valid date and time.',
    });
  });

  it('accepts timestamps with Z or an offset, with or without ms', () => {
    for (const t of [
      '2026-11-22T08:00Z',
      '2026-11-22T08:00:00+02:00',
      '2026-11-22T08:00:00.5-05:00',
    ]) {
      expect(validateDoc(eventDoc('e1', { deviceTime: t }))).toEqual({});
    }
  });
});

describe('date/time helpers', () => {
  it('isIsoDate', () => {
    expect(isIsoDate('2026-11-22')).toBe(true);
    expect(isIsoDate('2026-02-30')).toBe(false);
    expect(isIsoDate('2026-13-01')).toBe(false);
    expect(isIsoDate(20261122)).toBe(false);
  });

  it('isTimeOfDay', () => {
    expect(isTimeOfDay('00:00')).toBe(true);
    expect(isTimeOfDay('23:59')).toBe(true);
    expect(isTimeOfDay('25:00')).toBe(false);
    expect(isTimeOfDay('24:00')).toBe(false);
    expect(isTimeOfDay(800)).toBe(false);
  });

  it('isIsoTimestamp rejects calendar dates that do not exist', () => {
    expect(isIsoTimestamp('2026-11-22T08:15:00.000Z')).toBe(true);
    expect(isIsoTimestamp('2026-02-28T23:59:59Z')).toBe(true);
    expect(isIsoTimestamp('2026-02-30T08:00:00Z')).toBe(false);
    expect(isIsoTimestamp('2026-02-31T08:00:00.000Z')).toBe(false);
    expect(isIsoTimestamp('2026-04-31T08:00:00Z')).toBe(false);
    expect(isIsoTimestamp('2026-11-22T24:00:00Z')).toBe(false);
  });
});

describe('validateDoc: references', () => {
  it.each<[string, Body]>([
    ['a stop id', stopDoc('s1', { accountId: 'stop:s2' })],
    ['an empty key', stopDoc('s1', { accountId: 'account:' })],
    ['a number', stopDoc('s1', { accountId: 42 as never })],
    ['a bare key', stopDoc('s1', { accountId: 'a1' })],
  ])('rejects a stop whose accountId is %s', (_label, doc) => {
    expect(validateDoc(doc)).toEqual({ accountId: 'Account must reference an account.' });
  });

  it('checks optional references only when present', () => {
    expect(validateDoc(noteDoc('n1', { stopId: 'account:a1' }))).toEqual({
      stopId: 'Stop must reference a stop.',
    });
    expect(validateDoc(eventDoc('e1', { stopId: 'task:t1' }))).toEqual({
      stopId: 'Stop must reference a stop.',
    });
  });
});

describe('validateDoc: nested paths', () => {
  it('names address fields as address.<field>', () => {
    const doc = accountDoc('a1', {
      address: { street: 'x'.repeat(301), city: '', postalCode: 12345 as never },
    });
    expect(validateDoc(doc)).toEqual({
      'address.street': 'Street is too long (at most 300 characters).',
      'address.city': 'City is required.',
      'address.postalCode': 'Postal code must be text.',
    });
  });

  it('requires an address object', () => {
    expect(validateDoc(accountDoc('a1', { address: 'Main St' as never }))).toEqual({
      address: 'Address is required.',
    });
  });

  it('names contact fields as contacts.<index>.<field>', () => {
    const doc = accountDoc('a1', {
      contacts: [
        { name: '' },
        { name: 'Tom', email: 7 as never },
        'Priya' as never,
        { name: 'Aisha', phone: '5'.repeat(41) },
      ],
    });
    expect(validateDoc(doc)).toEqual({
      'contacts.0.name': 'Contact name is required.',
      'contacts.1.email': 'Email must be text.',
      'contacts.2': 'Contact must be an object.',
      'contacts.3.phone': 'Phone is too long (at most 40 characters).',
    });
  });
});

describe('validateDoc: not a document', () => {
  it('rejects an unknown type with a message on `type`', () => {
    expect(validateDoc({ _id: 'widget:1', type: 'widget' })).toEqual({
      type: 'Unknown document type "widget".',
    });
    expect(validateDoc({ _id: 'x' })).toEqual({ type: 'Unknown document type undefined.' });
  });

  it('rejects values that are not objects', () => {
    for (const v of [null, 'stop', 42, [stopDoc('s1')]]) {
      expect(validateDoc(v)).toEqual({ '': 'A document must be a JSON object.' });
    }
  });
});

describe('assertValid', () => {
  it('passes a valid document silently', () => {
    expect(() => assertValid(stopDoc('s1'))).not.toThrow();
  });

  it("throws an 'invalid' OutpostError with every field message", () => {
    const doc = stopDoc('s1', { date: '2026-02-30', seq: 0 });
    let caught: unknown;
    try {
      assertValid(doc);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(OutpostError);
    const e = caught as OutpostError;
    expect(e.code).toBe('invalid');
    expect(e.status).toBe(400);
    expect(Object.keys(e.fields).sort()).toEqual(['date', 'seq']);
    expect(e.message).toBe(e.fields.date);
  });
});
