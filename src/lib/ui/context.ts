/** The app's Svelte context: set once by +layout.svelte, read by pages and components. */
import { createContext } from 'svelte';
import type { Enrolment } from '$lib/auth/enrolment';
import type { Actions } from './actions';
import type { Session } from './session.svelte';
import type { DeviceSync } from './sync.svelte';
import type { Toasts } from './toasts.svelte';

/** What the layout shares with every page (getters follow the layout's state). */
export interface AppContext {
  /** The current session; pages only render while there is one (except /signin). */
  readonly session: Session | null;
  /** The intents for the current session. */
  readonly actions: Actions | null;
  /** The enrolment kept on this device (null when signed out or in demo mode). */
  readonly enrolment: Enrolment | null;
  /** This device's sync, while signed in. */
  readonly sync: DeviceSync | null;
  /** False while the browser says there is no network. */
  readonly online: boolean;
  readonly toasts: Toasts;
  /** Loads (or reloads) today's demo day for a demo rep and switches to that rep. */
  loadDemo(user: string): Promise<void>;
  /** Signs in (online, once) and enrols this device; throws an OutpostError in words. */
  signIn(input: { name: string; password: string }): Promise<void>;
  /** Forgets the device credential; local data stays. */
  signOut(): Promise<void>;
  /** Downloads every document of the current session's db as a JSON file. */
  exportData(): Promise<void>;
}

const [getApp, setApp] = createContext<AppContext>();

/** Shares the app context with the layout's descendants (call in +layout.svelte). */
export const provideApp = setApp;

/** The app context (call while a component initialises). */
export const useApp = getApp;

/** The current session; throws when none exists, which the layout never lets happen. */
export function useSession(): Session {
  const session = getApp().session;
  if (!session) throw new Error('No session: pages render only after the layout opened one');
  return session;
}

/** The intents for the current session. */
export function useActions(): Actions {
  const actions = getApp().actions;
  if (!actions) throw new Error('No session: pages render only after the layout opened one');
  return actions;
}
