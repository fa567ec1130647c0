// Node entry (`npm start`): builds the app when build/ is missing or stale, then serves it. It
// prints a short banner; the build's own output goes to a file, named only when the build fails.
import { spawn } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appVersion } from './app';
import { readConfig } from './config';
import { ensureDemoPeople, localDate, seedDemoDay } from './demo-seed';
import { createLogger, type Logger } from './log';
import { startOutpost } from './outpost';

/** The server's JSON log, once the configuration is read. */
let logger: Logger | null = null;

const root = fileURLToPath(new URL('../../../', import.meta.url));
const buildDir = path.join(root, 'build');
const sources = ['src', 'static', 'svelte.config.js', 'vite.config.ts', 'package.json'];

/** Newest modification time (ms) of a file or of any file below a directory. */
function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(target)) {
    newest = Math.max(newest, newestMtime(path.join(target, entry)));
  }
  return newest;
}

function buildIsStale(): boolean {
  const shell = path.join(buildDir, 'index.html');
  if (!existsSync(shell)) return true;
  const builtAt = statSync(shell).mtimeMs;
  return sources.some((source) => newestMtime(path.join(root, source)) > builtAt);
}

/** The last `lines` lines of a file (the end of a failed build's output). */
function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Runs `vite build` with its output in `logFile`; a failure says why and where the log is. */
function runViteBuild(logFile: string): Promise<void> {
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  mkdirSync(path.dirname(logFile), { recursive: true });
  const out = createWriteStream(logFile);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      out.end(() => {
        if (code === 0) return resolve();
        const why = tail(logFile, 20);
        reject(
          new Error(
            `The app build failed (vite ${signal ?? `exit ${code}`}):\n${why}\nFull build log: ${logFile}`,
          ),
        );
      });
    });
  });
}

async function main(): Promise<void> {
  const config = readConfig(root);
  if (buildIsStale()) {
    console.log('Building the app (build/ is missing or older than the sources)...');
    const started = Date.now();
    await runViteBuild(path.join(config.dataDir, 'build.log'));
    console.log(`Built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  }
  logger = createLogger({ level: config.logLevel });
  const server = await startOutpost({
    buildDir,
    port: config.port,
    host: config.host,
    couchUrl: config.couchUrl,
    embedded: { dataDir: config.dataDir, admin: config.admin, port: config.couchPort },
    logger,
    metricsToken: config.metricsToken,
  });
  const lines = [
    '',
    `Outpost ${appVersion} is running at http://localhost:${new URL(server.url).port}`,
    `  app          http://localhost:${new URL(server.url).port}/  (installable PWA, works offline once opened)`,
    `  CouchDB      ${config.couchUrl ? server.couchUrl : `embedded, data in ${config.dataDir}`}`,
    `  Fauxton      ${server.fauxtonUrl}`,
    `  metrics      http://localhost:${new URL(server.url).port}/metrics  (admin name and password${config.metricsToken ? ', or the OUTPOST_METRICS_TOKEN bearer token' : ''})`,
    `  log          JSON lines on stdout (OUTPOST_LOG_LEVEL=${config.logLevel})`,
  ];
  if (!config.couchUrl) {
    lines.push(
      `  admin        ${config.admin.name} / ${config.admin.password}  (Fauxton; set OUTPOST_ADMIN_PASSWORD to choose)`,
    );
  }
  if (config.demo) {
    const date = localDate();
    await ensureDemoPeople(server.couchAdmin, config.demoPassword);
    const written = await seedDemoDay(server.couchAdmin, server.masterDb, date);
    lines.push(
      `  demo logins  ana / ${config.demoPassword}, ben / ${config.demoPassword} (reps), sam / ${config.demoPassword} (supervisor)`,
      `  demo day     ${date}: ${written} new documents (master "${server.masterDb}" and the demo team's reference db)`,
    );
  }
  lines.push('  stop         Ctrl+C', '');
  console.log(lines.join('\n'));

  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) process.exit(1); // second signal: stop waiting
    closing = true;
    console.log(`\n${signal} received, shutting down...`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

// One failing request must never take the whole server down (see DESIGN.md section 10).
process.on('unhandledRejection', (reason) => {
  const err = reason instanceof Error ? reason.message : String(reason);
  if (logger) logger.error({ err }, 'unhandled promise rejection (server keeps running)');
  else console.error('Unhandled promise rejection (server keeps running):', err);
});

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
