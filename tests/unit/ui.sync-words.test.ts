import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '$lib/sync';
import { badgeWords, changesLabel, sizeLabel } from '$lib/ui/sync-words';

const status = (patch: Partial<SyncStatus>): SyncStatus => ({
  state: 'idle',
  online: true,
  pending: 0,
  pushing: false,
  pulling: false,
  lastSuccessAt: null,
  lastError: null,
  docsPushed: 0,
  docsPulled: 0,
  ...patch,
});

describe('badgeWords - the header badge in a few words', () => {
  it.each([
    [{ state: 'syncing', pending: 5 }, 'Syncing 5…', 'busy'],
    [{ state: 'syncing', pending: 0 }, 'Syncing…', 'busy'],
    [{ state: 'connecting', pending: 2 }, 'Syncing 2…', 'busy'],
    [{ state: 'idle', pending: 0 }, 'All synced', 'ok'],
    [{ state: 'idle', pending: 1 }, 'Syncing 1…', 'busy'],
    [{ state: 'offline', pending: 3 }, 'Offline - 3 waiting', 'offline'],
    [{ state: 'offline', pending: 0 }, 'Offline', 'offline'],
    [{ state: 'error', pending: 4 }, 'Sync problem - 4 waiting', 'problem'],
    [{ state: 'unauthorized', pending: 7 }, 'Sign in to sync', 'problem'],
    [{ state: 'stopped' }, 'Sync is off', 'offline'],
  ] as const)('%o -> %s', (patch, text, tone) => {
    expect(badgeWords(status(patch))).toEqual({ text, tone });
  });

  it('says "Not all synced" when the server refused docs, instead of syncing for ever', () => {
    const lastError = { code: 'forbidden' as const, message: 'refused' };
    expect(badgeWords(status({ state: 'idle', pending: 2, lastError }))).toEqual({
      text: 'Not all synced - 2 waiting',
      tone: 'problem',
    });
  });
});

describe('changesLabel and sizeLabel', () => {
  it('counts changes in words', () => {
    expect(changesLabel(0)).toBe('No changes');
    expect(changesLabel(1)).toBe('1 change');
    expect(changesLabel(12)).toBe('12 changes');
  });

  it('shows sizes with one decimal below 10 units', () => {
    expect(sizeLabel(512)).toBe('512 bytes');
    expect(sizeLabel(840_000)).toBe('840 KB');
    expect(sizeLabel(2_140_000)).toBe('2.1 MB');
    expect(sizeLabel(1_200_000_000)).toBe('1.2 GB');
  });
});
