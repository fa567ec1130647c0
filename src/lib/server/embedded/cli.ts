// Runs the embedded CouchDB-protocol server alone (no app): for admins who want only the
// database with Fauxton, and for tests that must kill the server process mid-write.
// usage: tsx src/lib/server/embedded/cli.ts --data <dir> --port <n> --admin <name> --password <pw>
import { parseArgs } from '../cli/args';
import { startEmbeddedCouch } from './server';

const args = parseArgs(process.argv.slice(2));
if (!args.data || !args.password) {
  console.error(
    'usage: embedded/cli.ts --data <dir> [--port 5985] [--admin admin] --password <pw>',
  );
  process.exit(2);
}
process.on('unhandledRejection', (reason) => {
  console.error(
    'Unhandled promise rejection (server keeps running):',
    (reason as Error)?.message ?? reason,
  );
});
const couch = await startEmbeddedCouch({
  dataDir: args.data,
  admin: { name: args.admin ?? 'admin', password: args.password },
  host: '127.0.0.1',
  port: Number(args.port ?? 5985),
  log: (m) => console.error(m),
});
console.log(`ready ${couch.url}`);
const stop = () => couch.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
