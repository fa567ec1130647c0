// Builds the app once before the browser tests, so they always exercise the current code.
// A failed build fails every e2e test (via startAppServer) instead of aborting the whole run,
// so the unit and integration results still count. OUTPOST_E2E_SKIP_BUILD=1 reuses an
// existing build/ while iterating on a test. Concurrent e2e runs in one checkout would
// rebuild build/ under each other's feet, so a run waits for the previous one to finish.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Why `vite build` failed before the e2e run, or null when build/ is current. */
    e2eBuildError: string | null;
  }
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const lockFile = `${root}test-results/e2e.lock`;
const LOCK_WAIT_MS = 15 * 60_000;

export default async function setup(project: TestProject): Promise<() => void> {
  await acquireLock();
  project.provide('e2eBuildError', buildApp());
  return releaseLock;
}

function buildApp(): string | null {
  if (process.env.OUTPOST_E2E_SKIP_BUILD === '1' && existsSync(`${root}build/index.html`)) {
    return null;
  }
  const vite = fileURLToPath(new URL('../../node_modules/vite/bin/vite.js', import.meta.url));
  const started = Date.now();
  const result = spawnSync(process.execPath, [vite, 'build'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim();
    console.error(`e2e: vite build failed:\n${output}`);
    return `vite build failed (${result.error?.message ?? `exit ${result.status}`}):\n${output.slice(-4000)}`;
  }
  console.log(`e2e: built the app in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return null;
}

async function acquireLock(): Promise<void> {
  mkdirSync(`${root}test-results`, { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      process.once('exit', releaseLock);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(readLock() ?? '');
    if (holder === 0) {
      await sleep(100); // just released, or being written: look again
      continue;
    }
    if (!isAlive(holder)) {
      rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`e2e: another run (pid ${holder}) holds ${lockFile}`);
    if (!announced) console.log(`e2e: waiting for another e2e run (pid ${holder}) to finish...`);
    announced = true;
    await sleep(500);
  }
}

function releaseLock(): void {
  if (readLock() === String(process.pid)) rmSync(lockFile, { force: true });
}

function readLock(): string | undefined {
  try {
    return readFileSync(lockFile, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
