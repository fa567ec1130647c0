// `npm run user:add -- --name ana --role rep [--team north] [--password ...] [--display "Ana Ortiz"]`
// Creates (or updates) a person in _users; the running server provisions their database.
import { randomBytes } from 'node:crypto';
import { OutpostError } from '../../errors';
import { addPerson } from '../provision/users';
import { adminConnection } from './admin-connection';
import { parseArgs } from './args';

const args = parseArgs(process.argv.slice(2));
if (!args.name || !['rep', 'supervisor'].includes(args.role ?? '')) {
  console.error(
    'usage: npm run user:add -- --name <name> --role rep|supervisor [--team <team>] [--password <pw>] [--display <name>]',
  );
  process.exit(2);
}
const password = args.password ?? randomBytes(9).toString('base64url');
const couch = await adminConnection();
try {
  const { created } = await addPerson(couch, {
    name: args.name,
    password,
    role: args.role as 'rep' | 'supervisor',
    team: args.team,
    displayName: args.display,
  });
  console.log(
    `${created ? 'Created' : 'Updated'} ${args.role} "${args.name}" (team ${args.team ?? 'default'}).`,
  );
  if (!args.password) console.log(`Password: ${password}`);
  console.log('The running Outpost server provisions their database within seconds.');
} catch (err) {
  console.error(err instanceof OutpostError ? err.message : (err as Error).message);
  process.exit(1);
}
