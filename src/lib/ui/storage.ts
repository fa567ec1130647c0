/**
 * The browser's StorageManager behind a small injectable interface: how much the app uses, and
 * asking (once per device) that the browser keep the app's data when space runs low.
 */
import type { StorageReading } from '$lib/storage/space';

/** The parts of `navigator.storage` Outpost uses. */
export interface StorageApi {
  estimate(): Promise<{ usage?: number; quota?: number }>;
  persisted(): Promise<boolean>;
  persist(): Promise<boolean>;
}

/** Where the "already asked" mark is kept (localStorage in the app). */
export type MarkStore = Pick<Storage, 'getItem' | 'setItem'>;

const ASKED_KEY = 'outpost:persist-asked';

/** The browser's StorageManager, or null when this browser has none (or an incomplete one). */
export function browserStorage(
  nav: { storage?: Partial<StorageApi> } | undefined = globalThis.navigator,
): StorageApi | null {
  const manager = nav?.storage;
  if (!manager?.estimate || !manager.persisted || !manager.persist) return null;
  return {
    estimate: () => manager.estimate!(),
    persisted: () => manager.persisted!(),
    persist: () => manager.persist!(),
  };
}

/** Usage, quota and the persistence state; null when the browser cannot say. */
export async function readStorage(api: StorageApi | null): Promise<StorageReading | null> {
  if (!api) return null;
  try {
    const [estimate, persisted] = await Promise.all([
      api.estimate(),
      api.persisted().catch(() => null),
    ]);
    return { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0, persisted };
  } catch {
    return null;
  }
}

/**
 * Asks the browser to keep this app's data, once per device (it may grant it silently or
 * refuse); later calls only read the state. Resolves to the state, null when unknown.
 */
export async function requestPersistenceOnce(
  api: StorageApi | null,
  marks: MarkStore,
): Promise<boolean | null> {
  if (!api) return null;
  try {
    if (marks.getItem(ASKED_KEY)) return await api.persisted();
    const granted = await api.persist();
    marks.setItem(ASKED_KEY, granted ? 'granted' : 'refused');
    return granted;
  } catch {
    return null;
  }
}
