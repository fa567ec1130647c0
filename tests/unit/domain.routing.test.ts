import { describe, expect, it } from 'vitest';
import {
  accountRecipientsOfStop,
  createDirectory,
  isRoutableId,
  peopleOf,
  recipientsOf,
  type OutpostPerson,
} from '$lib/domain/routing';
import { referenceDbName, userDbName } from '$lib/domain/db-names';

const people: OutpostPerson[] = [
  { name: 'ana', role: 'rep', team: 'north' },
  { name: 'ben', role: 'rep', team: 'north' },
  { name: 'sam', role: 'supervisor', team: 'north' },
  { name: 'sue', role: 'supervisor', team: 'north' },
  { name: 'carl', role: 'rep', team: 'south' },
  { name: 'olga', role: 'supervisor', team: 'south' },
];
const dir = createDirectory(people);
const sorted = (s: Set<string>) => [...s].sort();

describe('routing: who should hold a document', () => {
  it('a rep doc goes to its owner and the supervisors of the owner team, nobody else', () => {
    for (const type of [
      'event',
      'note',
      'task',
      'photo',
      'inspection',
      'order',
      'conflict',
      'device',
    ]) {
      const doc = { _id: `${type}:1`, type, owner: 'ana' };
      expect(sorted(recipientsOf(doc, dir))).toEqual(['ana', 'sam', 'sue']);
    }
  });

  it('a stop goes to its assignee, earlier assignees and all their supervisors', () => {
    const stop = {
      _id: 'stop:1',
      type: 'stop',
      owner: 'carl',
      assignee: 'carl',
      formerAssignees: ['ana'],
      accountId: 'account:1',
    };
    expect(sorted(recipientsOf(stop, dir))).toEqual(['ana', 'carl', 'olga', 'sam', 'sue']);
    // Its account goes to everyone who sees the stop: ana keeps it, so her copy keeps up.
    expect(sorted(accountRecipientsOfStop(stop, dir))).toEqual([
      'ana',
      'carl',
      'olga',
      'sam',
      'sue',
    ]);
  });

  it('an account goes to its owner, the reps with a stop at it and their supervisors', () => {
    const account = { _id: 'account:1', type: 'account', owner: 'ben' };
    expect(sorted(recipientsOf(account, dir))).toEqual(['ben', 'sam', 'sue']);
    expect(sorted(recipientsOf(account, dir, ['carl']))).toEqual([
      'ben',
      'carl',
      'olga',
      'sam',
      'sue',
    ]);
  });

  it('a deleted doc routes by the owner its tombstone keeps', () => {
    const tombstone = { _id: 'note:1', _deleted: true, type: 'note', owner: 'carl' };
    expect(sorted(recipientsOf(tombstone, dir))).toEqual(['carl', 'olga']);
    expect(sorted(accountRecipientsOfStop({ ...tombstone, type: 'stop' }, dir))).toEqual([]);
  });

  it('reference data, design docs and unknown people go nowhere', () => {
    expect(recipientsOf({ _id: 'product:1', type: 'product', owner: 'sam' }, dir).size).toBe(0);
    expect(recipientsOf({ _id: 'template:1', type: 'template', owner: 'sam' }, dir).size).toBe(0);
    expect(recipientsOf({ _id: '_design/x', owner: 'ana' }, dir).size).toBe(0);
    expect(recipientsOf({ _id: 'note:2', type: 'note', owner: 'admin' }, dir).size).toBe(0);
    expect(isRoutableId('_local/x')).toBe(false);
    expect(isRoutableId('note:x')).toBe(true);
  });

  it('a supervisor own doc stays with them (other supervisors do not get it)', () => {
    expect(sorted(recipientsOf({ _id: 'note:3', type: 'note', owner: 'sam' }, dir))).toEqual([
      'sam',
      'sue',
    ]);
  });

  it('peopleOf ignores non-strings and duplicates', () => {
    expect(
      peopleOf({ owner: 'ana', assignee: 'ana', formerAssignees: ['ben', 3, 'ben', null] }),
    ).toEqual(['ana', 'ben']);
  });

  it('the directory lists teams by role, sorted', () => {
    expect(dir.supervisorsOf('north')).toEqual(['sam', 'sue']);
    expect(dir.repsOf('north')).toEqual(['ana', 'ben']);
    expect(dir.repsOf('nowhere')).toEqual([]);
  });

  it('db names: CouchDB per-user convention and the team reference db', () => {
    expect(userDbName('ana')).toBe('userdb-616e61');
    expect(userDbName('zoë')).toBe('userdb-7a6fc3ab');
    expect(referenceDbName('north')).toBe('outpost-ref-6e6f727468');
  });
});
