/** Server configuration from the environment; the only place that reads process.env. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ServerConfig {
  port: number;
  host: string;
  /** Admin URL of a real CouchDB, or undefined for the embedded server. */
  couchUrl?: string;
  dataDir: string;
  couchPort: number;
  admin: { name: string; password: string };
  /** Whether to create the demo team and today's demo day in master. */
  demo: boolean;
  demoPassword: string;
  /** Bearer token a Prometheus scraper may use for `/metrics` (unset: admins' credentials only). */
  metricsToken?: string;
  /** Least level of the JSON log lines: trace, debug, info (default), warn, error, fatal, silent. */
  logLevel: string;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** OUTPOST_METRICS_TOKEN: long enough to resist guessing, or an error in words. */
function metricsToken(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (value.length < 24) {
    throw new Error(
      'OUTPOST_METRICS_TOKEN must be at least 24 characters (try: openssl rand -base64 32).',
    );
  }
  return value;
}

/** The embedded server's admin password: OUTPOST_ADMIN_PASSWORD, or one generated once and kept in the data folder. */
function adminPassword(env: NodeJS.ProcessEnv, dataDir: string): string {
  if (env.OUTPOST_ADMIN_PASSWORD) return env.OUTPOST_ADMIN_PASSWORD;
  const file = path.join(dataDir, 'admin-password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const password = randomBytes(12).toString('base64url');
  writeFileSync(file, password + '\n', { mode: 0o600 });
  return password;
}

/** Reads the server configuration (see README "Configuration"). */
export function readConfig(root: string, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const dataDir = path.resolve(root, env.OUTPOST_DATA_DIR ?? 'data');
  const couchUrl = env.COUCHDB_URL || undefined;
  return {
    port: Number(env.PORT ?? 3000),
    host: env.HOST ?? '0.0.0.0',
    couchUrl,
    dataDir,
    couchPort: Number(env.OUTPOST_COUCH_PORT ?? 5985),
    admin: {
      name: env.OUTPOST_ADMIN_NAME ?? 'admin',
      password: couchUrl ? '' : adminPassword(env, dataDir),
    },
    demo: env.OUTPOST_DEMO ? env.OUTPOST_DEMO !== '0' : !couchUrl,
    demoPassword: env.OUTPOST_DEMO_PASSWORD ?? 'outpost-demo',
    metricsToken: metricsToken(env.OUTPOST_METRICS_TOKEN),
    logLevel: LOG_LEVELS.includes(env.OUTPOST_LOG_LEVEL ?? '') ? env.OUTPOST_LOG_LEVEL! : 'info',
  };
}
