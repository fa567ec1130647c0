/**
 * The sync status in the header's few words ("Syncing 5…", "All synced", "Offline - 3 waiting",
 * "Sign in to sync"). The Sync page says the long form with describeStatus from $lib/sync.
 */
import type { SyncStatus } from '$lib/sync';

/** How the badge looks: the tone only repeats what the words say. */
export type BadgeTone = 'ok' | 'busy' | 'offline' | 'problem';

export interface BadgeWords {
  text: string;
  tone: BadgeTone;
}

const syncing = (pending: number) => (pending > 0 ? `Syncing ${pending}…` : 'Syncing…');
const waiting = (prefix: string, pending: number) =>
  pending > 0 ? `${prefix} - ${pending} waiting` : prefix;

/** The header badge's words for a sync status. */
export function badgeWords(status: SyncStatus): BadgeWords {
  const { state, pending, lastError } = status;
  switch (state) {
    case 'unauthorized':
      return { text: 'Sign in to sync', tone: 'problem' };
    case 'offline':
      return { text: waiting('Offline', pending), tone: 'offline' };
    case 'error':
      return { text: waiting('Sync problem', pending), tone: 'problem' };
    case 'connecting':
    case 'syncing':
      return { text: syncing(pending), tone: 'busy' };
    case 'stopped':
      return { text: 'Sync is off', tone: 'offline' };
    case 'idle':
      // Refused docs stay pending for good: say so instead of "syncing" forever.
      if (lastError) return { text: waiting('Not all synced', pending), tone: 'problem' };
      // Caught up, with the push lane's checkpoint for the last writes still on its way.
      if (pending > 0) return { text: syncing(pending), tone: 'busy' };
      return { text: 'All synced', tone: 'ok' };
  }
}

/** "3 changes" / "1 change" / "No changes". */
export function changesLabel(count: number): string {
  if (count === 0) return 'No changes';
  return `${count} ${count === 1 ? 'change' : 'changes'}`;
}

/** A byte count for people: "840 KB", "2.1 MB", "1.2 GB". */
export function sizeLabel(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const shown = unit === 0 || value >= 10 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${shown} ${units[unit]}`;
}
