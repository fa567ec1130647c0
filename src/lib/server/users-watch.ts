/** Provisions people added or changed in `_users` (by the CLI or an admin in Fauxton), one at a time. */
import type { ServerScope } from 'nano';
import type { Provisioner } from './provision/provision';

/** Follows `_users` changes and provisions each batch of changed people; returns a stop function. */
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
