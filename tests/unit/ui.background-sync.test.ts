import { describe, expect, it } from 'vitest';
import { BACKGROUND_PUSH_TAG, SYNC_NOW_MESSAGE } from '$lib/sync';
import { onWorkerSyncNow, requestBackgroundPush, waitsForNetwork } from '$lib/ui/background-sync';

/** A service worker container with an optional SyncManager, as the page sees it. */
function container(sync?: { register(tag: string): Promise<void> }) {
  const listeners = new Set<(event: Event) => void>();
  return {
    ready: Promise.resolve({ sync } as unknown as ServiceWorkerRegistration),
    addEventListener: (_type: string, l: (event: Event) => void) => void listeners.add(l),
    removeEventListener: (_type: string, l: (event: Event) => void) => void listeners.delete(l),
    post: (data: unknown) => listeners.forEach((l) => l({ data } as MessageEvent)),
    listeners,
  };
}

describe('Background Sync on the page', () => {
  it('registers the push tag with the SyncManager', async () => {
    const tags: string[] = [];
    const c = container({ register: async (tag) => void tags.push(tag) });
    expect(await requestBackgroundPush(c as never)).toBe(true);
    expect(tags).toEqual([BACKGROUND_PUSH_TAG]);
  });

  it('is a no-op without a SyncManager, a service worker, or when the browser refuses', async () => {
    expect(await requestBackgroundPush(container() as never)).toBe(false);
    expect(await requestBackgroundPush(null)).toBe(false);
    const refusing = container({ register: () => Promise.reject(new Error('NotAllowedError')) });
    expect(await requestBackgroundPush(refusing as never)).toBe(false);
  });

  it("hears only the worker's sync-now message, until cleaned up", () => {
    const c = container();
    let heard = 0;
    const stop = onWorkerSyncNow(() => (heard += 1), c as never);
    c.post({ type: 'SKIP_WAITING' });
    c.post(null);
    c.post(SYNC_NOW_MESSAGE);
    expect(heard).toBe(1);
    stop();
    c.post(SYNC_NOW_MESSAGE);
    expect(heard).toBe(1);
    expect(c.listeners.size).toBe(0);
  });

  it('asks only while writes wait and the network is missing or failing', () => {
    expect(waitsForNetwork({ pending: 2, state: 'offline' })).toBe(true);
    expect(waitsForNetwork({ pending: 1, state: 'error' })).toBe(true);
    expect(waitsForNetwork({ pending: 0, state: 'offline' })).toBe(false);
    expect(waitsForNetwork({ pending: 3, state: 'syncing' })).toBe(false);
    expect(waitsForNetwork({ pending: 3, state: 'unauthorized' })).toBe(false);
  });
});
