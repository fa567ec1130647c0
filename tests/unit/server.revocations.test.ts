import { describe, expect, it } from 'vitest';
import { createRevocations, type RevocationsOptions } from '../../src/lib/server/revocations';

type Doc = Record<string, unknown> | null;

/** A `_users` stand-in: docs by name, and reads that wait until the test lets them answer. */
function fakeUsers() {
  const docs = new Map<string, Doc>();
  const waiting: (() => void)[] = [];
  let held = false;
  const readUser: RevocationsOptions['readUser'] = (name) =>
    new Promise((resolve) => {
      const answer = () => resolve(docs.get(name) ?? null);
      if (held) waiting.push(answer);
      else answer();
    });
  return {
    docs,
    readUser,
    /** Reads wait from now on; `release` answers them with the docs as they are then. */
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
      for (const answer of waiting.splice(0)) answer();
    },
  };
}

const device = (extra: Record<string, unknown> = {}) => ({
  name: 'ana~phone',
  type: 'user',
  roles: ['owner:ana'],
  outpost: { owner: 'ana', ...extra },
});
const change = (name: string, deleted = false) => ({ id: `org.couchdb.user:${name}`, deleted });

describe('revocations', () => {
  it('remembers a revoked name until the device is enrolled again', () => {
    const r = createRevocations({ readUser: fakeUsers().readUser });
    expect(r.isRevoked('ana~phone')).toBe(false);
    r.revoke('ana~phone');
    expect(r.isRevoked('ana~phone')).toBe(true);
    expect(r.isRevoked('ana~tablet')).toBe(false);
    r.clear('ana~phone');
    expect(r.isRevoked('ana~phone')).toBe(false);
    expect(r.size).toBe(0);
  });

  it('forgets a name after the TTL', () => {
    let t = 1_000;
    const r = createRevocations({ readUser: fakeUsers().readUser, ttlMs: 500, now: () => t });
    r.revoke('ana~phone');
    t += 499;
    expect(r.isRevoked('ana~phone')).toBe(true);
    t += 1;
    expect(r.isRevoked('ana~phone')).toBe(false);
    expect(r.size).toBe(0);
  });

  it('keeps at most maxEntries names, forgetting the oldest first', () => {
    const r = createRevocations({ readUser: fakeUsers().readUser, maxEntries: 3 });
    for (const n of ['a~1', 'a~2', 'a~3', 'a~4']) r.revoke(n);
    expect(r.size).toBe(3);
    expect(r.isRevoked('a~1')).toBe(false);
    expect(['a~2', 'a~3', 'a~4'].every((n) => r.isRevoked(n))).toBe(true);
    r.revoke('a~2'); // revoked again: now the newest
    r.revoke('a~5');
    expect(r.isRevoked('a~2')).toBe(true);
    expect(r.isRevoked('a~3')).toBe(false);
  });

  it('drops expired names when a new one comes', () => {
    let t = 0;
    const r = createRevocations({ readUser: fakeUsers().readUser, ttlMs: 100, now: () => t });
    r.revoke('a~1');
    r.revoke('a~2');
    t = 150;
    r.revoke('a~3');
    expect(r.size).toBe(1);
  });

  it('a deleted device user in _users is revoked at once, before its doc is read', async () => {
    const users = fakeUsers();
    users.hold();
    const r = createRevocations({ readUser: users.readUser });
    const applied = r.onUserChange(change('ana~phone', true));
    expect(r.isRevoked('ana~phone')).toBe(true);
    users.release();
    await applied;
    expect(r.isRevoked('ana~phone')).toBe(true);
  });

  it('a device user re-keyed by revokeDevice (outpost.revokedAt) is revoked', async () => {
    const users = fakeUsers();
    users.docs.set('ana~phone', device({ revokedAt: '2026-11-22T08:00:00.000Z' }));
    const r = createRevocations({ readUser: users.readUser });
    await r.onUserChange(change('ana~phone'));
    expect(r.isRevoked('ana~phone')).toBe(true);
  });

  it('a new device user doc in _users clears the name (enrolled again)', async () => {
    const users = fakeUsers();
    users.docs.set('ana~phone', device());
    const r = createRevocations({ readUser: users.readUser });
    r.revoke('ana~phone');
    await r.onUserChange(change('ana~phone'));
    expect(r.isRevoked('ana~phone')).toBe(false);
  });

  it('a deletion seen late, after the device was enrolled again, does not shut it out', async () => {
    const users = fakeUsers();
    users.docs.set('ana~phone', device()); // the doc as it is now: enrolled again
    const r = createRevocations({ readUser: users.readUser });
    await r.onUserChange(change('ana~phone', true));
    expect(r.isRevoked('ana~phone')).toBe(false);
  });

  it('an enrolment in this process wins over a read of _users still in flight', async () => {
    const users = fakeUsers();
    users.hold();
    const r = createRevocations({ readUser: users.readUser });
    const applied = r.onUserChange(change('ana~phone', true)); // its read sees no doc...
    r.clear('ana~phone'); // ...but the device enrolled again meanwhile
    users.release();
    await applied;
    expect(r.isRevoked('ana~phone')).toBe(false);
  });

  it('a revocation in this process wins over a read of _users still in flight', async () => {
    const users = fakeUsers();
    users.docs.set('ana~phone', device());
    users.hold();
    const r = createRevocations({ readUser: users.readUser });
    const applied = r.onUserChange(change('ana~phone')); // its read sees the enrolled doc...
    r.revoke('ana~phone'); // ...and the admin revokes it meanwhile
    users.release();
    await applied;
    expect(r.isRevoked('ana~phone')).toBe(true);
  });

  it('the later of two changes for a name decides', async () => {
    const users = fakeUsers();
    users.hold();
    const r = createRevocations({ readUser: users.readUser });
    const first = r.onUserChange(change('ana~phone')); // enrolled...
    const second = r.onUserChange(change('ana~phone', true)); // ...then deleted
    users.release(); // both reads see no doc now; only the second applies
    await Promise.all([first, second]);
    expect(r.isRevoked('ana~phone')).toBe(true);
  });

  it('ignores people, design docs and other ids', async () => {
    let reads = 0;
    const r = createRevocations({
      readUser: async () => {
        reads += 1;
        return null;
      },
    });
    await r.onUserChange(change('ana', true));
    await r.onUserChange({ id: '_design/_auth', deleted: true });
    await r.onUserChange({ id: 'something~else', deleted: true });
    expect(r.size).toBe(0);
    expect(reads).toBe(0);
  });

  it('a failed read keeps what a deletion taught and is logged', async () => {
    const logged: string[] = [];
    const r = createRevocations({
      readUser: () => Promise.reject(new Error('socket hang up')),
      log: (m) => logged.push(m),
    });
    await r.onUserChange(change('ana~phone', true));
    expect(r.isRevoked('ana~phone')).toBe(true);
    expect(logged).toEqual(['revocations: could not read ana~phone: socket hang up']);
  });
});
