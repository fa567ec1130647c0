import { afterEach, describe, expect, it } from 'vitest';
import { createCredentialStore, type Enrolment } from '$lib/auth/enrolment';
import { openLocalDb, type LocalDb } from '$lib/db/pouch';
import { DeviceSession, readProfile } from '$lib/ui/session.svelte';
import { demoDbName, DEVICE_DB, personDbName } from '$lib/ui/device-db';
import '../helpers/memory-db';

/** localStorage in memory. */
class MemoryStorage implements Storage {
  #items = new Map<string, string>();
  get length() {
    return this.#items.size;
  }
  clear() {
    this.#items.clear();
  }
  getItem(key: string) {
    return this.#items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.#items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.#items.delete(key);
  }
  setItem(key: string, value: string) {
    this.#items.set(key, value);
  }
}

const TODAY = '2026-11-22';
const opened: LocalDb[] = [];
let run = 0;

/** A device: storage, memory dbs named like the browser's (unique per test), a credential store. */
function device(storage: Storage = new MemoryStorage()) {
  run += 1;
  const prefix = `session-${process.pid}-${run}-`;
  const names: string[] = [];
  const handles = new Map<string, LocalDb>();
  const openDb = (name: string) => {
    names.push(name);
    let db = handles.get(name);
    if (!db) {
      db = openLocalDb(prefix + name, 'memory');
      handles.set(name, db);
      opened.push(db);
    }
    return db;
  };
  const credentials = createCredentialStore(openDb(DEVICE_DB));
  const make = () => new DeviceSession({ storage, openDb, credentials, today: () => TODAY });
  return { storage, names, credentials, make };
}

const enrolment = (name = 'ana', role: 'rep' | 'supervisor' = 'rep'): Enrolment => ({
  person: { name, role, team: 'demo', displayName: name === 'ana' ? 'Ana Ortiz' : name },
  db: `userdb-${Buffer.from(name).toString('hex')}`,
  credentials: { username: `${name}~dev-1`, password: `secret-${Math.random()}` },
  enrolledAt: '2026-11-22T08:00:00.000Z',
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.destroy().catch(() => undefined)));
});

describe('DeviceSession - demo and signed-in sessions on one device', () => {
  it('shows the welcome screen on a new device', async () => {
    const { make } = device();
    const session = make();
    await session.start();
    expect(session.state).toBe('welcome');
    expect(session.session).toBeNull();
    expect(session.enrolment).toBeNull();
  });

  it('keeps a demo day in its own db, never in the person db', async () => {
    const { make, names, storage } = device();
    const session = make();
    await session.start();
    const result = await session.loadDemo('ana');
    expect(result.created).toBeGreaterThan(0);
    expect(session.session?.mode).toBe('demo');
    expect(names).toContain(demoDbName('ana'));
    expect(names).not.toContain(personDbName('ana'));
    expect(readProfile(storage)?.user).toBe('ana');

    // The next start opens the demo day again.
    const again = make();
    await again.start();
    expect(again.state).toBe('ready');
    expect(again.session?.mode).toBe('demo');
    expect((await again.session!.repo.dayRoute(TODAY)).stops).toHaveLength(20);
  });

  it('signs in to the person db, and opens it at the next start without the network', async () => {
    const { make, names, credentials } = device();
    const session = make();
    await session.start();
    const e = enrolment();
    await session.signIn(e);
    expect(session.state).toBe('ready');
    expect(session.session?.mode).toBe('synced');
    expect(session.session?.displayName).toBe('Ana Ortiz');
    expect(session.session?.profile).toMatchObject({ user: 'ana', role: 'rep' });
    expect(session.session?.clock.deviceId).toBe(session.deviceId);
    expect(names).toContain(personDbName('ana'));
    expect(await credentials.load()).toEqual(e);

    const later = make();
    await later.start();
    expect(later.state).toBe('ready');
    expect(later.enrolment).toEqual(e);
    expect(later.session?.mode).toBe('synced');
  });

  it('keeps the open session when the same person signs in again (new credential)', async () => {
    const { make } = device();
    const session = make();
    await session.start();
    await session.signIn(enrolment());
    const before = session.session;
    const fresh = enrolment();
    await session.signIn(fresh);
    expect(session.session).toBe(before);
    expect(session.enrolment).toEqual(fresh);

    // Another person gets their own session and db.
    await session.signIn(enrolment('sam', 'supervisor'));
    expect(session.session).not.toBe(before);
    expect(session.session?.profile).toMatchObject({ user: 'sam', role: 'supervisor' });
  });

  it('signs out: forgets the credential, keeps the data, shows the welcome screen', async () => {
    const { make, credentials } = device();
    const session = make();
    await session.start();
    await session.signIn(enrolment());
    const db = session.session!.db;
    await db.put({ _id: 'note:kept', type: 'note' });
    await session.signOut();
    expect(session.state).toBe('welcome');
    expect(session.session).toBeNull();
    expect(await credentials.load()).toBeNull();
    expect((await db.get('note:kept'))._id).toBe('note:kept');
  });

  it('refuses the demo day while signed in, so demo data never mixes with synced data', async () => {
    const { make } = device();
    const session = make();
    await session.start();
    await session.signIn(enrolment());
    await expect(session.loadDemo('ana')).rejects.toMatchObject({ code: 'forbidden' });
    expect(session.session?.mode).toBe('synced');
  });
});
