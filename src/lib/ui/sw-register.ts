import { dev } from '$app/environment';

/** Registers /service-worker.js and calls `onUpdateAvailable(apply)` when a new version waits; `apply` activates it and reloads. */
export function registerServiceWorker(onUpdateAvailable: (apply: () => void) => void): void {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return;
  const container = navigator.serviceWorker;
  const offered = new WeakSet<ServiceWorker>();

  const offer = (worker: ServiceWorker): void => {
    // Without a controller this is the first install: nothing to update, it activates itself.
    if (!container.controller || offered.has(worker)) return;
    offered.add(worker);
    onUpdateAvailable(() => {
      let reloading = false;
      container.addEventListener('controllerchange', () => {
        if (reloading) return;
        reloading = true;
        location.reload();
      });
      worker.postMessage({ type: 'SKIP_WAITING' });
    });
  };

  container
    .register('/service-worker.js', { type: dev ? 'module' : 'classic' })
    .then((registration) => {
      if (registration.waiting) offer(registration.waiting);
      registration.addEventListener('updatefound', () => {
        const installing = registration.installing;
        if (!installing) return;
        installing.addEventListener('statechange', () => {
          if (installing.state === 'installed') offer(installing);
        });
      });
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState !== 'visible') return;
        registration.update().catch(() => {
          // Offline or server unreachable: the next visibility change tries again.
        });
      });
    })
    .catch((error: unknown) => {
      console.warn('Service worker registration failed; the app will not work offline.', error);
    });
}
