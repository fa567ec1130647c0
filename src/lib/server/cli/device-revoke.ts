// `npm run device:revoke -- --name ana~dev-1a2b3c` (or `--list` to see enrolled devices)
// Revoking deletes the device's CouchDB user: its next sync gets 401 and it shows
// "this device was signed out by an admin"; its local data stays on the device.
import { revokeDevice } from '../provision/users';
import { adminConnection } from './admin-connection';
import { parseArgs } from './args';

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
      console.log(
        `${doc.name}\towner ${doc.outpost?.owner}\t${doc.outpost?.label ?? ''}\tenrolled ${doc.outpost?.enrolledAt ?? '?'}`,
      );
    }
  }
} else if (args.name) {
  const revoked = await revokeDevice(couch, args.name);
  console.log(revoked ? `Revoked ${args.name}.` : `No device named ${args.name}.`);
  if (!revoked) process.exit(1);
} else {
  console.error('usage: npm run device:revoke -- --name <owner~deviceId> | --list');
  process.exit(2);
}
