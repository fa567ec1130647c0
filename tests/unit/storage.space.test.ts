// The storage panel's figures and words, and the injectable StorageManager adapter.
import { describe, expect, it } from 'vitest';
import {
  fullImageBytes,
  persistenceWords,
  summarisePhotoSpace,
  usedShare,
} from '$lib/storage/space';
import {
  browserStorage,
  readStorage,
  requestPersistenceOnce,
  type StorageApi,
} from '$lib/ui/storage';

function fakeApi(over: Partial<StorageApi> = {}) {
  const calls = { persist: 0 };
  const api: StorageApi = {
    estimate: async () => ({ usage: 2_000_000, quota: 10_000_000 }),
    persisted: async () => false,
    persist: async () => {
      calls.persist += 1;
      return true;
    },
    ...over,
  };
  return { api, calls };
}

function marks() {
  const map = new Map<string, string>();
  return {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    map,
  };
}

describe('storage figures', () => {
  it('says how full the quota is, bounded to 0..1', () => {
    expect(usedShare({ usage: 2, quota: 8 })).toBe(0.25);
    expect(usedShare({ usage: 9, quota: 8 })).toBe(1);
    expect(usedShare({ usage: 9, quota: 0 })).toBe(0);
  });

  it('puts the persistence state in words', () => {
    expect(persistenceWords(true)).toBe('Storage: kept by the browser');
    expect(persistenceWords(false)).toBe('Storage: may be cleared under pressure');
    expect(persistenceWords(null)).toMatch(/does not say/);
  });

  it('counts photos waiting for the server and full images that could be dropped', () => {
    expect(
      summarisePhotoSpace([
        { id: 'photo:a', fullBytes: 400, onServer: false },
        { id: 'photo:b', fullBytes: 300, onServer: true },
        { id: 'photo:c', fullBytes: null, onServer: true },
        { id: 'photo:d', fullBytes: 100, onServer: true },
      ]),
    ).toEqual({ waiting: 1, waitingBytes: 400, reclaimable: 2, reclaimableBytes: 400 });
  });

  it('reads a full image’s size from its attachment stub', () => {
    const stub = { content_type: 'image/jpeg', length: 1234, stub: true };
    expect(fullImageBytes({ _id: 'photo:a', _attachments: { full: stub, thumb: stub } })).toBe(
      1234,
    );
    expect(fullImageBytes({ _id: 'photo:a', _attachments: { thumb: stub } })).toBeNull();
    expect(fullImageBytes({ _id: 'note:a' })).toBeNull();
  });
});

describe('storage adapter', () => {
  it('is null without a complete StorageManager', () => {
    expect(browserStorage({})).toBeNull();
    expect(browserStorage({ storage: { estimate: async () => ({}) } })).toBeNull();
    expect(browserStorage({ storage: fakeApi().api })).not.toBeNull();
  });

  it('reads usage, quota and persistence; null when the browser cannot say', async () => {
    expect(await readStorage(fakeApi().api)).toEqual({
      usage: 2_000_000,
      quota: 10_000_000,
      persisted: false,
    });
    expect(await readStorage(null)).toBeNull();
    const failing = fakeApi({ estimate: () => Promise.reject(new Error('no')) }).api;
    expect(await readStorage(failing)).toBeNull();
  });

  it('asks the browser to persist once, then only reads the state', async () => {
    const { api, calls } = fakeApi();
    const store = marks();
    expect(await requestPersistenceOnce(api, store)).toBe(true);
    expect(store.map.get('outpost:persist-asked')).toBe('granted');
    expect(await requestPersistenceOnce(api, store)).toBe(false); // persisted() answers now
    expect(calls.persist).toBe(1);
    expect(await requestPersistenceOnce(null, store)).toBeNull();
  });
});
