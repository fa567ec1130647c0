/**
 * The embedded CouchDB-protocol server in a child process (src/lib/server/embedded/cli.ts), so a
 * test can kill it with SIGKILL mid-write and start it again on the same data folder and port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/lib/server/embedded/cli.ts', import.meta.url));

export interface ServerProcess {
  url: string;
  /** SIGKILL: no shutdown, no flush; resolves when the process is gone. */
  kill(): Promise<void>;
}

/** Starts the server process and resolves when it prints `ready <url>` (bounded wait). */
export function startServerProcess(opts: {
  dataDir: string;
  port: number;
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
      String(opts.port),
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
        resolve({
          url: m[1],
          kill: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGKILL');
            }),
        });
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
