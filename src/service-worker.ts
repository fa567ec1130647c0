/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />

// Offline shell: precache the app (build + static files + the SPA shell), answer navigations
// from the network with a short timeout and fall back to the cached shell, serve assets
// cache-first, and leave CouchDB (/couch/) and API (/api/) traffic to the network untouched.
// A new version waits until the page posts {type: 'SKIP_WAITING'} (see src/lib/ui/sw-register.ts).
// Background Sync: the `sync` event pushes waiting writes (src/lib/sync/background-push.ts).

import { base, build, files, version } from '$service-worker';
import { createCredentialStore, remoteDbUrl } from '$lib/auth/enrolment';
import { BACKGROUND_PUSH_TAG, backgroundPush } from '$lib/sync/background-push';
import { openRemoteDb } from '$lib/sync/remote';
import { DEVICE_DB, openNamedBrowserDb, personDbName } from '$lib/ui/device-db';

const sw = self as unknown as ServiceWorkerGlobalScope;

const CACHE_PREFIX = 'outpost-shell-';
const CACHE = `${CACHE_PREFIX}${version}`;
const SHELL = `${base}/`;
const NAVIGATION_TIMEOUT_MS = 3000;

/** Paths answered cache-first: everything precached at install. */
const PRECACHED = new Set<string>([...build, ...files, SHELL]);

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // `reload` bypasses the HTTP cache so a new version never precaches stale files.
      await cache.addAll([...PRECACHED].map((path) => new Request(path, { cache: 'reload' })));
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith(CACHE_PREFIX) && key !== CACHE) await caches.delete(key);
      }
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener('message', (event) => {
  const data: unknown = event.data;
  if (data && typeof data === 'object' && (data as { type?: unknown }).type === 'SKIP_WAITING') {
    void sw.skipWaiting();
  }
});

/** The Background Sync event (not in TypeScript's webworker lib yet). */
type SyncEvent = ExtendableEvent & { tag: string };

sw.addEventListener('sync', (event) => {
  const sync = event as SyncEvent;
  if (sync.tag !== BACKGROUND_PUSH_TAG) return;
  sync.waitUntil(
    backgroundPush({
      windows: () => sw.clients.matchAll({ type: 'window' }),
      async loadEnrolment() {
        const deviceDb = openNamedBrowserDb(DEVICE_DB);
        try {
          return await createCredentialStore(deviceDb).load();
        } finally {
          await deviceDb.close();
        }
      },
      openLocal: (enrolment) => openNamedBrowserDb(personDbName(enrolment.person.name)),
      openRemote: (enrolment) =>
        openRemoteDb(remoteDbUrl(sw.location.origin + base, enrolment), enrolment.credentials),
    }),
  );
});

sw.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin) return;
  if (isPassThrough(url.pathname)) return;

  if (request.mode === 'navigate') {
    event.respondWith(navigate(request));
  } else if (PRECACHED.has(url.pathname)) {
    event.respondWith(cacheFirst(request, url.pathname));
  }
  // Anything else same-origin (e.g. _app/version.json) goes to the network as usual.
});

/** CouchDB replication and the app's API must always reach the server. */
function isPassThrough(pathname: string): boolean {
  const path = pathname.slice(base.length);
  return (
    path === '/couch' || path.startsWith('/couch/') || path === '/api' || path.startsWith('/api/')
  );
}

/** Network first with a short timeout, then the cached SPA shell (deep links open offline). */
async function navigate(request: Request): Promise<Response> {
  let timer: number | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = sw.setTimeout(resolve, NAVIGATION_TIMEOUT_MS);
  });
  const network = fetch(request).then(
    (response) => (response.status >= 500 ? undefined : response),
    () => undefined,
  );
  try {
    const response = await Promise.race([network, timeout]);
    if (response) return response;
  } finally {
    sw.clearTimeout(timer);
  }
  const shell = await caches.match(SHELL, { cacheName: CACHE });
  if (shell) return shell;
  // No shell cached (should not happen after install): wait for the network after all.
  return (await network) ?? offlineResponse();
}

/** Precached files never change for a given version: cache, then network. */
async function cacheFirst(request: Request, pathname: string): Promise<Response> {
  const cached = await caches.match(pathname, { cacheName: CACHE });
  if (cached) return cached;
  try {
    return await fetch(request);
  } catch {
    return offlineResponse();
  }
}

function offlineResponse(): Response {
  return new Response('Offline', {
    status: 503,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  });
}
