// `npm run device:revoke -- --name ana~dev-1a2b3c` (or `--list` to see enrolled devices)
// Revoking re-keys, then deletes, the device's CouchDB user and says "Revoked" only once
// CouchDB refuses its credential (src/lib/server/revoke.ts): its next sync gets 401 and it
// shows "this device was signed out by an admin"; its local data stays on the device.
import { OutpostError } from '../../errors';
import { isRevokedUserDoc, revokeDevice } from '../revoke';
import { adminConnection } from './admin-connection';
import { parseArgs } from './args';

/** How long CouchDB may take to confirm a revocation before the command gives up. */
const CONFIRM_TIMEOUT_MS = 30_000;

const args = parseArgs(process.argv.slice(2));
const couch = await adminConnection();
if (args.list) {
  const users = await couch.use<Record<string, unknown>>('_users').list({ include_docs: true });
  for (const row of users.rows) {
    const doc = row.doc as {
      name?: string;
      outpost?: { owner?: string; label?: string; enrolledAt?: string };
    };
    if (doc?.name?.includes('~')) {
      const unfinished = isRevokedUserDoc(doc as Record<string, unknown>)
        ? '\trevocation unfinished: revoke it again'
        : '';
      console.log(
        `${doc.name}\towner ${doc.outpost?.owner}\t${doc.outpost?.label ?? ''}\tenrolled ${doc.outpost?.enrolledAt ?? '?'}${unfinished}`,
      );
    }
  }
} else if (args.name) {
  const started = Date.now();
  try {
    const revoked = await revokeDevice(couch, args.name, { timeoutMs: CONFIRM_TIMEOUT_MS });
    if (!revoked) {
      console.log(`No device named ${args.name}.`);
      process.exit(1);
    }
    console.log(
      `Revoked ${args.name}: CouchDB refuses its credential (confirmed in ${Date.now() - started} ms).`,
    );
  } catch (err) {
    const slow = err instanceof OutpostError && err.code === 'network';
    console.error(slow ? `Not confirmed: ${(err as Error).message}` : (err as Error).message);
    process.exit(slow ? 3 : 2);
  }
} else {
  console.error('usage: npm run device:revoke -- --name <owner~deviceId> | --list');
  process.exit(2);
}
