/**
 * Every sentence the sync layer says to people, in one place: the UI shows them as they are.
 */
import type { SyncStatus } from './status';

const noun = (n: number) => (n === 1 ? 'change' : 'changes');
const changes = (n: number) => `${n} ${noun(n)}`;

/** The sentences, keyed by situation; `pending` is the count of changes not yet on the server. */
export const SYNC_MESSAGES = {
  /** 401: the credential was refused (wrong password, device revoked, user deleted). */
  unauthorized: (pending: number) =>
    pending > 0 ? `Sign in to sync ${pending} pending ${noun(pending)}` : 'Sign in to sync',
  /** 403: signed in, but not a member of this database. */
  forbidden: () => 'This device is not allowed to sync this database',
  /** The server could not be reached; retrying with back-off. */
  offline: (pending: number) =>
    pending > 0 ? `No connection - ${changes(pending)} waiting` : 'No connection',
  /** The server answered with an error; retrying with back-off. */
  serverError: (pending: number) =>
    pending > 0
      ? `The server had a problem - ${changes(pending)} waiting, retrying`
      : 'The server had a problem, retrying',
  /** Some pushed documents were refused by the server (validation). */
  denied: (count: number) =>
    `The server refused ${changes(count)} from this device; they stay on this device only`,
} as const;

/** One line saying what sync is doing, for the sync badge, the Sync screen and screen readers. */
export function describeStatus(status: SyncStatus): string {
  const { state, pending, lastError } = status;
  switch (state) {
    case 'offline':
    case 'error':
    case 'unauthorized':
      return lastError?.message ?? SYNC_MESSAGES.offline(pending);
    case 'connecting':
      return 'Connecting';
    case 'syncing':
      return pending > 0 ? `Syncing ${changes(pending)}` : 'Syncing';
    case 'idle':
      return lastError?.message ?? 'Up to date';
    case 'stopped':
      return 'Sync is off';
  }
}
