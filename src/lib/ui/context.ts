/** The app's Svelte context: set once by +layout.svelte, read by pages and components. */
import { createContext } from 'svelte';
import type { Actions } from './actions';
import type { Session } from './session.svelte';
import type { Toasts } from './toasts.svelte';

/** What the layout shares with every page (getters follow the layout's state). */
export interface AppContext {
  /** The current session; pages only render while there is one. */
  readonly session: Session | null;
  /** The intents for the current session. */
  readonly actions: Actions | null;
  readonly toasts: Toasts;
  /** Loads (or reloads) today's demo day for a demo rep and switches to that rep. */
  loadDemo(user: string): Promise<void>;
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
