/**
 * The device's session: a local profile kept in localStorage (until sign-in exists), the
 * user's local database, the device clock and the repo over them.
 */
import { createHlc, type Hlc } from '$lib/clock/hlc';
import type { LocalDb } from '$lib/db/pouch';
import { DEMO_REPS } from '$lib/demo/fixtures';
import { loadDemoDay, type DemoLoadResult } from '$lib/demo/load';
import { createRepo, type Repo } from '$lib/repo';
import { toOutpostError } from '$lib/errors';
import { localDate } from './format';

/** Who uses this device. */
export interface Profile {
  user: string;
  role: 'rep' | 'supervisor';
  deviceId: string;
}

/** Everything the pages need to read and write: one per signed-in user. */
export interface Session {
  profile: Profile;
  /** The user's name for people ("Ana Ortiz"). */
  displayName: string;
  db: LocalDb;
  clock: Hlc;
  repo: Repo;
}

/** starting: reading the profile; welcome: nothing to show yet; ready: a session exists; failed: storage unusable. */
export type SessionState = 'starting' | 'welcome' | 'ready' | 'failed';

const PROFILE_KEY = 'outpost:profile';
const DEVICE_KEY = 'outpost:device-id';

/** The profile stored on this device, or null when there is none (or it is unreadable). */
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

/** Stores the profile on this device. */
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

/** The name people see for a user name ("ana" -> "Ana Ortiz"). */
export function displayNameOf(user: string): string {
  return DEMO_REPS.find((r) => r.name === user)?.displayName ?? user;
}

/** Where the session comes from: injected so the adapter runs anywhere. */
export interface SessionDeps {
  storage: Storage;
  /** Opens the user's local database. */
  openDb(user: string): LocalDb;
  /** Today's local date "YYYY-MM-DD" (defaults to the device's). */
  today?(): string;
}

/** Holds the device's session as runes state; the layout creates one and shares it by context. */
export class DeviceSession {
  state = $state<SessionState>('starting');
  session = $state.raw<Session | null>(null);
  /** Why storage could not be opened, in words. */
  failure = $state<string | null>(null);
  #deps: SessionDeps;
  #clock: Hlc | null = null;

  constructor(deps: SessionDeps) {
    this.#deps = deps;
  }

  /** The user the profile names, if any (to preselect on the welcome screen). */
  get profileUser(): string | null {
    return this.session?.profile.user ?? readProfile(this.#deps.storage)?.user ?? null;
  }

  /** Reads the profile and opens its database; shows the welcome screen when there is nothing to show. */
  async start(): Promise<void> {
    try {
      const profile = readProfile(this.#deps.storage);
      if (!profile) {
        this.state = 'welcome';
        return;
      }
      const session = this.#open(profile);
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

  /** Loads (or reloads: safe) today's demo day for a demo rep and makes that rep the device's user. */
  async loadDemo(user: string): Promise<DemoLoadResult> {
    const profile: Profile = { user, role: 'rep', deviceId: deviceId(this.#deps.storage) };
    const session =
      this.session && this.session.profile.user === user ? this.session : this.#open(profile);
    const today = this.#deps.today?.() ?? localDate();
    const result = await loadDemoDay(session.db, today, session.clock);
    writeProfile(this.#deps.storage, profile);
    this.session = session;
    this.state = 'ready';
    return result;
  }

  #open(profile: Profile): Session {
    this.#clock ??= createHlc({ deviceId: profile.deviceId });
    const clock = this.#clock;
    const db = this.#deps.openDb(profile.user);
    const repo = createRepo(db, { user: profile.user, role: profile.role, clock });
    return { profile, displayName: displayNameOf(profile.user), db, clock, repo };
  }

  #fail(err: unknown): void {
    this.failure = toOutpostError(err).message;
    this.state = 'failed';
  }
}
