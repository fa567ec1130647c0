/**
 * The device's session: who uses this device, their local database, the device clock and the
 * repo over them. Two ways in:
 *
 * - signed in (`synced`): the enrolment kept in the device db names the person; their local db
 *   `outpost-<name>` syncs with their CouchDB db. Opening it needs no network.
 * - demo (`demo`): "Load demo day" without signing in; the rep is remembered in localStorage
 *   and the day lives in `outpost:demo:<rep>`, which never syncs.
 */
import type { Enrolment, CredentialStore } from '$lib/auth/enrolment';
import { createHlc, type Hlc } from '$lib/clock/hlc';
import type { LocalDb } from '$lib/db/pouch';
import { DEMO_REPS, DEMO_SUPERVISOR } from '$lib/demo/fixtures';
import { loadDemoDay, type DemoLoadResult } from '$lib/demo/load';
import { createRepo, type Repo } from '$lib/repo';
import { createError, toOutpostError } from '$lib/errors';
import { demoDbName, personDbName, referenceCopyName } from './device-db';
import { localDate } from './format';

/** Who uses this device. */
export interface Profile {
  user: string;
  role: 'rep' | 'supervisor';
  deviceId: string;
}

/** `synced`: a signed-in person whose data syncs; `demo`: a demo day on this device only. */
export type SessionMode = 'synced' | 'demo';

/** Everything the pages need to read and write: one per person on this device. */
export interface Session {
  profile: Profile;
  mode: SessionMode;
  /** The user's name for people ("Ana Ortiz"). */
  displayName: string;
  db: LocalDb;
  /** Products and templates: the team's reference data (signed in), or `db` (demo). */
  reference: LocalDb;
  clock: Hlc;
  repo: Repo;
}

/** starting: reading storage; welcome: nothing to show yet; ready: a session exists; failed: storage unusable. */
export type SessionState = 'starting' | 'welcome' | 'ready' | 'failed';

const PROFILE_KEY = 'outpost:profile';
const DEVICE_KEY = 'outpost:device-id';

/** The demo profile stored on this device, or null when there is none (or it is unreadable). */
export function readProfile(storage: Storage): Profile | null {
  try {
    const value: unknown = JSON.parse(storage.getItem(PROFILE_KEY) ?? 'null');
    if (!value || typeof value !== 'object') return null;
    const p = value as Record<string, unknown>;
    if (typeof p.user !== 'string' || !p.user || typeof p.deviceId !== 'string' || !p.deviceId) {
      return null;
    }
    return {
      user: p.user,
      role: p.role === 'supervisor' ? 'supervisor' : 'rep',
      deviceId: p.deviceId,
    };
  } catch {
    return null;
  }
}

/** Stores the demo profile on this device. */
export function writeProfile(storage: Storage, profile: Profile): void {
  storage.setItem(PROFILE_KEY, JSON.stringify(profile));
}

/** This device's id: made once ("dev-" + 10 random characters) and kept for good. */
export function deviceId(storage: Storage): string {
  const known = storage.getItem(DEVICE_KEY);
  if (known && /^[\w-]+$/.test(known)) return known;
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  const id = `dev-${Array.from(bytes, (b) => b.toString(36).padStart(2, '0'))
    .join('')
    .slice(0, 10)}`;
  storage.setItem(DEVICE_KEY, id);
  return id;
}

/** The name people see for a user name ("ana" -> "Ana Ortiz"); other names as they are. */
export function displayNameOf(user: string): string {
  return [...DEMO_REPS, DEMO_SUPERVISOR].find((r) => r.name === user)?.displayName ?? user;
}

/** Where the session comes from: injected so the adapter runs anywhere. */
export interface SessionDeps {
  storage: Storage;
  /** Opens a local database by its full name (see device-db.ts for the names). */
  openDb(name: string): LocalDb;
  /** Where the enrolment (device credential) is kept. */
  credentials: CredentialStore;
  /** Today's local date "YYYY-MM-DD" (defaults to the device's). */
  today?(): string;
}

/** Holds the device's session as runes state; the layout creates one and shares it by context. */
export class DeviceSession {
  state = $state<SessionState>('starting');
  session = $state.raw<Session | null>(null);
  /** The enrolment this device syncs with; null when signed out or in demo mode. */
  enrolment = $state.raw<Enrolment | null>(null);
  /** Why storage could not be opened, in words. */
  failure = $state<string | null>(null);
  #deps: SessionDeps;
  #clock: Hlc | null = null;

  constructor(deps: SessionDeps) {
    this.#deps = deps;
  }

  /** This device's id (made on first use). */
  get deviceId(): string {
    return deviceId(this.#deps.storage);
  }

  /** The demo rep last used on this device, if any (to preselect on the welcome screen). */
  get profileUser(): string | null {
    return readProfile(this.#deps.storage)?.user ?? null;
  }

  /**
   * Opens what this device holds: the signed-in person's db when an enrolment is stored (no
   * network needed), else the last demo day, else the welcome screen.
   */
  async start(): Promise<void> {
    try {
      const enrolment = await this.#deps.credentials.load();
      if (enrolment) {
        this.#useEnrolment(enrolment);
        return;
      }
      const profile = readProfile(this.#deps.storage);
      if (!profile) {
        this.state = 'welcome';
        return;
      }
      const session = this.#open(profile, 'demo');
      const stops = await session.db.allDocs({
        startkey: 'stop:',
        endkey: 'stop:\ufff0',
        limit: 1,
      });
      this.session = session;
      this.state = stops.rows.length > 0 ? 'ready' : 'welcome';
    } catch (err) {
      this.#fail(err);
    }
  }

  /**
   * Keeps a fresh enrolment and switches to that person's db. Signing in again as the same
   * person (after an admin revoked the device) keeps the open session and only swaps the
   * credential, so the pages stay as they are and sync restarts.
   */
  async signIn(enrolment: Enrolment): Promise<void> {
    await this.#deps.credentials.save(enrolment);
    this.#useEnrolment(enrolment);
  }

  /** Forgets the device credential; the person's local data stays on the device. */
  async signOut(): Promise<void> {
    await this.#deps.credentials.clear();
    this.enrolment = null;
    this.session = null;
    this.state = 'welcome';
  }

  /** Loads (or reloads: safe) today's demo day for a demo rep and makes that rep the device's user. */
  async loadDemo(user: string): Promise<DemoLoadResult> {
    if (this.enrolment) {
      throw createError('forbidden', {
        message: 'This device is signed in. Sign out on the Sync page to try the demo day.',
      });
    }
    const profile: Profile = { user, role: 'rep', deviceId: this.deviceId };
    const current = this.session;
    const session =
      current && current.mode === 'demo' && current.profile.user === user
        ? current
        : this.#open(profile, 'demo');
    const today = this.#deps.today?.() ?? localDate();
    const result = await loadDemoDay(session.db, today, session.clock);
    writeProfile(this.#deps.storage, profile);
    this.session = session;
    this.state = 'ready';
    return result;
  }

  #useEnrolment(enrolment: Enrolment): void {
    const { person } = enrolment;
    const current = this.session;
    const same =
      current?.mode === 'synced' &&
      current.profile.user === person.name &&
      current.profile.role === person.role;
    if (!same) {
      const profile: Profile = { user: person.name, role: person.role, deviceId: this.deviceId };
      this.session = {
        ...this.#open(profile, 'synced'),
        displayName: person.displayName || displayNameOf(person.name),
      };
    }
    this.enrolment = enrolment;
    this.state = 'ready';
  }

  #open(profile: Profile, mode: SessionMode): Session {
    this.#clock ??= createHlc({ deviceId: profile.deviceId });
    const clock = this.#clock;
    const name = mode === 'synced' ? personDbName(profile.user) : demoDbName(profile.user);
    const db = this.#deps.openDb(name);
    const reference = mode === 'synced' ? this.#deps.openDb(referenceCopyName(profile.user)) : db;
    const repo = createRepo(db, { user: profile.user, role: profile.role, clock, reference });
    return { profile, mode, displayName: displayNameOf(profile.user), db, reference, clock, repo };
  }

  #fail(err: unknown): void {
    this.failure = toOutpostError(err).message;
    this.state = 'failed';
  }
}
