/** Provisions people added or changed in `_users` (by the CLI or an admin in Fauxton). */
import type { ServerScope } from 'nano';
import type { Provisioner } from './provision/provision';

/**
 * Follows `_users` changes and runs the provisioner (one run at a time); hands each change to
 * `onChange` first (revocations). Returns a stop function.
 */
export function watchUsers(
  couch: ServerScope,
  provisioner: Provisioner,
  log: (m: string) => void,
  onChange?: (change: { id: string; deleted?: boolean }) => void,
): () => void {
  let running: Promise<void> | null = null;
  let again = false;
  const run = () => {
    if (running) {
      again = true;
      return;
    }
    running = provisioner
      .provisionAll()
      .then(
        () => undefined,
        (err: unknown) => log(`provisioning failed: ${(err as Error).message}`),
      )
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          run();
        }
      });
  };
  const reader = couch.use('_users').changesReader;
  reader
    .start({ since: 'now', includeDocs: false })
    .on('batch', (changes: { id: string; deleted?: boolean }[]) => {
      for (const change of changes) onChange?.(change);
      run();
    })
    .on('error', (err: unknown) => log(`_users watch error: ${(err as Error).message}`));
  return () => reader.stop();
}
