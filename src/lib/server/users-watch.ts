/** Provisions people added or changed in `_users` (by the CLI or an admin in Fauxton), one at a time. */
import type { ServerScope } from 'nano';
import type { Provisioner } from './provision/provision';

/**
 * Follows `_users` changes: hands each change to `onChange` first (revocations), then provisions
 * each batch of changed people in turn. Returns a stop function.
 */
export function watchUsers(
  couch: ServerScope,
  provisioner: Provisioner,
  log: (m: string) => void,
  onChange?: (change: { id: string; deleted?: boolean }) => void,
): () => void {
  let queue: Promise<void> = Promise.resolve();
  const reader = couch.use('_users').changesReader;
  reader
    .start({ since: 'now', includeDocs: true })
    .on('batch', (batch: { id: string; deleted?: boolean; doc?: Record<string, unknown> }[]) => {
      for (const change of batch) onChange?.(change);
      const changes = batch.map((c) => ({ id: c.id, doc: c.deleted ? null : (c.doc ?? null) }));
      queue = queue.then(() =>
        provisioner
          .usersChanged(changes)
          .then(() => undefined)
          .catch((err: unknown) => log(`provisioning failed: ${(err as Error).message}`)),
      );
    })
    .on('error', (err: unknown) => log(`_users watch error: ${(err as Error).message}`));
  return () => reader.stop();
}
