import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateDoc } from '$lib/domain/validate';
import { outpostDesignDoc } from '../../src/lib/server/provision/design';
import { eventDoc, noteDoc, stopDoc, taskDoc } from '../helpers/docs';

type Doc = Record<string, unknown>;
type Vdu = (newDoc: Doc, oldDoc: Doc | null, userCtx: { name: string; roles: string[] }) => void;

/** The validate_doc_update the server runs in ana's db, as a function. */
const vdu = new Function(`return (${outpostDesignDoc('ana').validate_doc_update});`)() as Vdu;

/** The server's refusal of `doc` written by ana, or null when it accepts it. */
function serverSays(doc: Doc): string | null {
  try {
    vdu(doc, null, { name: 'ana', roles: ['rep'] });
    return null;
  } catch (err) {
    const e = err as { forbidden?: string; unauthorized?: string };
    return e.forbidden ?? e.unauthorized ?? String(err);
  }
}

/** The date fields, each on a doc the device and the server both accept as it is. */
const DATE_FIELDS: [what: string, make: (value: unknown) => Doc, field: string][] = [
  ['stop date', (v) => ({ ...stopDoc('d'), date: v }), 'date'],
  ['event time', (v) => ({ ...eventDoc('d'), occurredAt: v }), 'occurredAt'],
  ['event device time', (v) => ({ ...eventDoc('d'), deviceTime: v }), 'deviceTime'],
  ['note created time', (v) => ({ ...noteDoc('d'), createdAt: v }), 'createdAt'],
  ['task done time', (v) => ({ ...taskDoc('d'), doneAt: v }), 'doneAt'],
];

const digits = (n: number) => fc.stringMatching(new RegExp(`^\\d{${n}}$`));
const dateLike = fc.tuple(digits(4), digits(2), digits(2)).map(([y, m, d]) => `${y}-${m}-${d}`);
const timeLike = fc
  .tuple(
    dateLike,
    digits(2),
    digits(2),
    fc.option(digits(2)),
    fc.option(digits(3)),
    fc.constantFrom('Z', '+02:00', '-05:30', '+14:00', '+24:00', ''),
  )
  .map(
    ([date, h, m, s, ms, zone]) =>
      `${date}T${h}:${m}${s === null ? '' : `:${s}`}${s !== null && ms !== null ? `.${ms}` : ''}${zone}`,
  );
const anything = fc.oneof(
  dateLike,
  timeLike,
  fc.string({ maxLength: 30 }),
  fc.constantFrom(null, 0, 20261122, true, {}, []),
);

describe("validate_doc_update refuses the dates the device refuses, in the device's words", () => {
  it.each(DATE_FIELDS)('%s: both accept a real date (leap day included)', (_what, make, field) => {
    for (const valid of field === 'date'
      ? ['2026-11-22', '2028-02-29']
      : ['2026-11-22T08:05:00.000Z', '2028-02-29T23:59:59+02:00', '2026-11-22T08:05Z']) {
      expect(validateDoc(make(valid))).toEqual({});
      expect(serverSays(make(valid))).toBeNull();
    }
  });

  it.each([
    ['2026-13-45'],
    ['2026-02-30'],
    ['2026-02-29'],
    ['2026-04-31'],
    ['2026-00-10'],
    ['2026-11-22T25:00:00Z'],
    ['2026-02-30T10:00:00.000Z'],
    ['2026-11-22T08:00:00'],
    ['22/11/2026'],
    [''],
  ])('%j is refused wherever a date goes, with the same words', (value) => {
    for (const [what, make, field] of DATE_FIELDS) {
      const device = validateDoc(make(value))[field];
      expect(device, `${what} on the device`).toBeDefined();
      expect(serverSays(make(value)), what).toBe(device);
    }
  });

  it('the same rule as the device for any value (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DATE_FIELDS), anything, ([what, make, field], value) => {
        const device = validateDoc(make(value))[field] ?? null;
        expect(serverSays(make(value)), `${what} = ${JSON.stringify(value)}`).toBe(device);
      }),
      { numRuns: 2000 },
    );
  });

  it('an optional date left out is fine on both; a required one is not', () => {
    const { doneAt: _d, ...task } = taskDoc('d', { doneAt: '2026-11-22T09:00:00Z' });
    expect(serverSays(task)).toBeNull();
    const { occurredAt: _o, ...event } = eventDoc('d');
    expect(serverSays(event)).toBe(validateDoc(event).occurredAt);
  });
});
