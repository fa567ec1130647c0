/** The admin nano client for CLI commands: COUCHDB_URL, or the embedded server of a running `npm start`. */
import { fileURLToPath } from 'node:url';
import Nano from 'nano';
import { readConfig } from '../config';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** Connects as admin and checks the server answers; exits with a clear message when it does not. */
export async function adminConnection(): Promise<Nano.ServerScope> {
  const config = readConfig(root);
  const url = config.couchUrl
    ? config.couchUrl
    : `http://${encodeURIComponent(config.admin.name)}:${encodeURIComponent(config.admin.password)}@127.0.0.1:${config.couchPort}`;
  const couch = Nano({ url });
  try {
    await couch.session();
  } catch (err) {
    const where = config.couchUrl
      ? 'COUCHDB_URL'
      : `the embedded server on 127.0.0.1:${config.couchPort}`;
    console.error(
      `Cannot reach ${where} as admin (${(err as Error).message}). ` +
        (config.couchUrl
          ? 'Check the URL and admin password.'
          : 'Start it first with `npm start`.'),
    );
    process.exit(2);
  }
  return couch;
}
