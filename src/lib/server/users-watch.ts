/** Provisions people added or changed in `_users` (by the CLI or an admin in Fauxton), one at a time. */
import type { ServerScope } from 'nano';
import type { Provisioner } from './provision/provision';

/** Follows `_users` changes and provisions each changed person in turn; returns a stop function. */
export function watchUsers(
  couch: ServerScope,
  provisioner: Provisioner,
  log: (m: string) => void,
): () => void {
  let queue: Promise<void> = Promise.resolve();
  const reader = couch.use('_users').changesReader;
  reader
    .start({ since: 'now', includeDocs: true })
    .on('batch', (batch: { id: string; deleted?: boolean; doc?: Record<string, unknown> }[]) => {
      for (const change of batch) {
        queue = queue.then(() =>
          provisioner
            .userChanged(change.id, change.deleted ? null : (change.doc ?? null))
            .catch((err: unknown) =>
              log(`provisioning ${change.id} failed: ${(err as Error).message}`),
            ),
        );
      }
    })
    .on('error', (err: unknown) => log(`_users watch error: ${(err as Error).message}`));
  return () => reader.stop();
}
