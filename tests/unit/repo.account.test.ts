import { afterEach, describe, expect, it } from 'vitest';
import { compareHlc } from '$lib/clock/hlc';
import type { AccountDoc } from '$lib/domain/types';
import { validateDoc } from '$lib/domain/validate';
import { SEED_HLC, accountDoc, noteDoc, putAll, revOf, stopDoc } from '../helpers/docs';
import { destroyMemoryDbs } from '../helpers/memory-db';
import { rejectionOf, testRepo } from '../helpers/repo';

afterEach(destroyMemoryDbs);

async function seeded() {
  const t = testRepo();
  await putAll(t.db, [
    accountDoc('a1', { name: 'Harbor Hardware' }),
    accountDoc('a2', { name: 'Maple Pharmacy' }),
  ]);
  return t;
}

const stored = async (db: Awaited<ReturnType<typeof seeded>>['db'], id = 'account:a1') =>
  (await db.get(id)) as unknown as AccountDoc;

describe('accountDetail', () => {
  it('returns the account with its visits newest date first and its notes newest first', async () => {
    const { db, repo, wall } = await seeded();
    await putAll(db, [
      stopDoc('old', { accountId: 'account:a1', date: '2026-10-01', seq: 4 }),
      stopDoc('new-2', { accountId: 'account:a1', date: '2026-11-22', seq: 2 }),
      stopDoc('new-1', { accountId: 'account:a1', date: '2026-11-22', seq: 1 }),
      stopDoc('mid', { accountId: 'account:a1', date: '2026-11-01', seq: 1, assignee: 'ben' }),
      stopDoc('elsewhere', { accountId: 'account:a2' }),
    ]);
    await repo.addNote({ accountId: 'account:a1', text: 'oldest' });
    wall.advance(60_000);
    await repo.addNote({ accountId: 'account:a1', stopId: 'stop:old', text: 'at a visit' });
    wall.advance(60_000);
    await repo.addNote({ accountId: 'account:a1', text: 'newest' });
    await repo.addNote({ accountId: 'account:a2', text: 'other account' });

    const d = await repo.accountDetail('account:a1');
    expect(d.account.name).toBe('Harbor Hardware');
    expect(d.stops.map((s) => s._id)).toEqual(['stop:new-1', 'stop:new-2', 'stop:mid', 'stop:old']);
    expect(d.notes.map((n) => n.text)).toEqual(['newest', 'at a visit', 'oldest']);
  });

  it("does not list the account's events as visits or notes", async () => {
    const { db, repo } = await seeded();
    await putAll(db, [stopDoc('s1', { accountId: 'account:a1' })]);
    await repo.checkIn('stop:s1');
    const d = await repo.accountDetail('account:a1');
    expect(d.stops.map((s) => s._id)).toEqual(['stop:s1']);
    expect(d.notes).toEqual([]);
  });

  it('includes notes that arrived from other devices', async () => {
    const { db, repo } = await seeded();
    await putAll(db, [noteDoc('n1', { accountId: 'account:a1' })]);
    expect((await repo.accountDetail('account:a1')).notes.map((n) => n._id)).toEqual(['note:n1']);
  });

  it('migrates a v0 account on read (contacts default to an empty list)', async () => {
    const { db, repo } = testRepo();
    const { schema: _s, contacts: _c, ...v0 } = accountDoc('old');
    await putAll(db, [v0]);
    const d = await repo.accountDetail('account:old');
    expect(d.account.contacts).toEqual([]);
    expect(d.account.schema).toBe(1);
  });

  it('throws not_found for a missing id and for an id of another type', async () => {
    const { db, repo } = await seeded();
    await putAll(db, [stopDoc('s1')]);
    expect(await rejectionOf(repo.accountDetail('account:nope'))).toMatchObject({
      code: 'not_found',
      status: 404,
    });
    expect(await rejectionOf(repo.accountDetail('stop:s1'))).toMatchObject({ code: 'not_found' });
  });
});

describe('updateAccount', () => {
  it('changes the given fields and advances only their field clocks', async () => {
    const { db, repo } = await seeded();
    const updated = await repo.updateAccount('account:a1', {
      name: 'Harbor Hardware & Paint',
      info: 'Ring the bell.',
    });
    expect(updated).toMatchObject({ name: 'Harbor Hardware & Paint', info: 'Ring the bell.' });
    expect(compareHlc(updated.fieldClock!.name, SEED_HLC)).toBeGreaterThan(0);
    expect(updated.fieldClock!.info).toBe(updated.fieldClock!.name);
    expect(updated.fieldClock!.address).toBe(SEED_HLC);
    expect(updated.fieldClock!.contacts).toBe(SEED_HLC);
    expect(updated.fieldClock!.phone).toBe(SEED_HLC);
    expect(updated.updatedBy).toBe('ana');
    const doc = await stored(db);
    expect(doc).toMatchObject({ name: 'Harbor Hardware & Paint', _rev: updated._rev });
    expect(validateDoc(doc)).toEqual({});
  });

  it('replaces the address and contacts as whole values', async () => {
    const { db, repo } = await seeded();
    const address = { street: '9 Quarry Rd', city: 'Clayton' };
    const contacts = [{ name: 'Omar Haddad', role: 'Buyer' }, { name: 'Grace Moreau' }];
    await repo.updateAccount('account:a1', { address, contacts });
    const doc = await stored(db);
    expect(doc.address).toEqual(address);
    expect(doc.contacts).toEqual(contacts);
  });

  it('removes an optional field patched with undefined', async () => {
    const { db, repo } = await seeded();
    await repo.updateAccount('account:a1', { phone: undefined });
    expect('phone' in (await stored(db))).toBe(false);
  });

  it('writes nothing for a patch that changes nothing', async () => {
    const { db, repo } = await seeded();
    const rev = await revOf(db, 'account:a1');
    const same = await repo.updateAccount('account:a1', { name: 'Harbor Hardware' });
    expect(same._rev).toBe(rev);
    await repo.updateAccount('account:a1', {});
    expect(await revOf(db, 'account:a1')).toBe(rev);
  });

  it.each<[string, Record<string, unknown>, Record<string, string>]>([
    ['an empty name', { name: '' }, { name: 'Name is required.' }],
    [
      'a name over 200',
      { name: 'x'.repeat(201) },
      { name: 'Name is too long (at most 200 characters).' },
    ],
    [
      'an address without city',
      { address: { street: '1 Main St', city: '' } },
      { 'address.city': 'City is required.' },
    ],
    [
      'a contact without name',
      { contacts: [{ name: 'Tom' }, { name: ' ', role: 'Buyer' }] },
      { 'contacts.1.name': 'Contact name is required.' },
    ],
    [
      'a long phone',
      { phone: '5'.repeat(41) },
      { phone: 'Phone is too long (at most 40 characters).' },
    ],
    [
      'several problems',
      { name: '', address: { street: '', city: 'X' } },
      { name: 'Name is required.', 'address.street': 'Street is required.' },
    ],
  ])('rejects %s with field messages and writes nothing', async (_label, patch, fields) => {
    const { db, repo } = await seeded();
    const rev = await revOf(db, 'account:a1');
    const err = await rejectionOf(repo.updateAccount('account:a1', patch));
    expect(err).toMatchObject({ code: 'invalid', status: 400, fields });
    expect(err.message).toBe(Object.values(fields)[0]);
    expect(await revOf(db, 'account:a1')).toBe(rev);
    expect((await stored(db)).name).toBe('Harbor Hardware');
  });

  it('throws not_found for a missing id and for an id of another type', async () => {
    const { db, repo } = await seeded();
    await putAll(db, [stopDoc('s1')]);
    expect(await rejectionOf(repo.updateAccount('account:nope', { name: 'x' }))).toMatchObject({
      code: 'not_found',
    });
    expect(await rejectionOf(repo.updateAccount('stop:s1', { name: 'x' }))).toMatchObject({
      code: 'not_found',
    });
  });
});

describe('updateAccount - hostile input', () => {
  it('refuses a patch that is not an object, or names fields that are not editable, writing nothing', async () => {
    const { repo, db } = testRepo();
    await db.put(accountDoc('acc-h'));
    const rev = (await db.get('account:acc-h'))._rev;
    for (const patch of ['x', null, [1], { owner: 'mallory' }, { type: 'note' }]) {
      const err = await rejectionOf(repo.updateAccount('account:acc-h', patch as never));
      expect(err.code).toBe('invalid');
    }
    expect((await db.get('account:acc-h'))._rev).toBe(rev);
  });
});
