/**
 * The page's side of Background Sync (DESIGN.md section 7): while writes wait and there is no
 * connection, the page asks the browser for a `sync` event, which the service worker answers by
 * pushing them even after the app was closed (src/lib/sync/background-push.ts); and a tab the
 * worker tells to "Sync now" restarts its sync. Both are no-ops where the browser lacks them.
 */
import { BACKGROUND_PUSH_TAG, SYNC_NOW_MESSAGE } from '$lib/sync';

type SyncManagerLike = { register(tag: string): Promise<void> };
type Container = Pick<ServiceWorkerContainer, 'ready' | 'addEventListener' | 'removeEventListener'>;

const browserContainer = (): Container | null =>
  typeof navigator !== 'undefined' && navigator.serviceWorker ? navigator.serviceWorker : null;

/** Asks the browser to fire the background push once connectivity returns; false if unsupported. */
export async function requestBackgroundPush(
  container: Container | null = browserContainer(),
): Promise<boolean> {
  if (!container) return false;
  const registration = (await container.ready) as ServiceWorkerRegistration & {
    sync?: SyncManagerLike;
  };
  if (!registration.sync) return false;
  try {
    await registration.sync.register(BACKGROUND_PUSH_TAG);
    return true;
  } catch {
    return false; // e.g. permission withheld: the open app's own sync still pushes
  }
}

/** Calls `handler` whenever the service worker asks this tab to sync now; returns the cleanup. */
export function onWorkerSyncNow(
  handler: () => void,
  container: Container | null = browserContainer(),
): () => void {
  if (!container) return () => undefined;
  const listener = (event: Event) => {
    if ((event as MessageEvent).data?.type === SYNC_NOW_MESSAGE.type) handler();
  };
  container.addEventListener('message', listener);
  return () => container.removeEventListener('message', listener);
}

/** True when the status shows writes waiting that cannot go now (the moment to ask). */
export function waitsForNetwork(status: { pending: number; state: string }): boolean {
  return status.pending > 0 && (status.state === 'offline' || status.state === 'error');
}
