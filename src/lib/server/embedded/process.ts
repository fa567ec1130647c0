/**
 * The embedded CouchDB-protocol server in a child process (./cli.ts): for tests that kill it
 * with SIGKILL mid-write and restart it on the same data folder, and for benchmarks where the
 * client must not share the server's event loop (as a device never does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));

export interface ServerProcess {
  url: string;
  /** SIGKILL: no shutdown, no flush; resolves when the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM: a clean shutdown; resolves when the process is gone. */
  close(): Promise<void>;
}

/** Starts the server process and resolves when it prints `ready <url>` (bounded wait). */
export function startServerProcess(opts: {
  dataDir: string;
  /** 0 (default) picks a free port; the URL it got is in `url`. */
  port?: number;
  admin: { name: string; password: string };
  timeoutMs?: number;
}): Promise<ServerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CLI,
      '--data',
      opts.dataDir,
      '--port',
      String(opts.port ?? 0),
      '--admin',
      opts.admin.name,
      '--password',
      opts.admin.password,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server process not ready in time: ${out}`));
    }, opts.timeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /ready (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        const stop = (signal: NodeJS.Signals) =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill(signal);
          });
        resolve({ url: m[1], kill: () => stop('SIGKILL'), close: () => stop('SIGTERM') });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server process exited (${code}) before it was ready: ${out}`));
    });
  });
}
