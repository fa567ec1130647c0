/**
 * Browser events that restart sync (DESIGN.md section 7): `online`, `offline` (the requests in
 * flight go with the network), and the page becoming visible again (a phone unlocked, a tab
 * brought back, where long-polls may have died silently).
 */
import type { SyncController } from './sync';

/** The part of EventTarget the triggers use. */
export interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/** Where the events come from: `window` and `document` in the browser, fakes in tests. */
export interface TriggerTargets {
  window: EventTargetLike;
  document: EventTargetLike & { readonly visibilityState: string };
}

/** Restarts `controller` on `online`, `offline` and `visibilitychange` to visible; returns a detach function. */
export function attachSyncTriggers(
  controller: Pick<SyncController, 'restart'>,
  targets: TriggerTargets,
): () => void {
  const onOnline = () => controller.restart('online');
  const onOffline = () => controller.restart('offline');
  const onVisibility = () => {
    if (targets.document.visibilityState === 'visible') controller.restart('visible');
  };
  targets.window.addEventListener('online', onOnline);
  targets.window.addEventListener('offline', onOffline);
  targets.document.addEventListener('visibilitychange', onVisibility);
  return () => {
    targets.window.removeEventListener('online', onOnline);
    targets.window.removeEventListener('offline', onOffline);
    targets.document.removeEventListener('visibilitychange', onVisibility);
  };
}
