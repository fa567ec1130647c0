// Helpers for the browser tests: a fresh headless Chromium profile and the real app server.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { inject } from 'vitest';
import { startServer, type RunningServer } from '../../src/lib/server/app';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The build directory served to the browser tests (written by global-setup.ts). */
export const buildDir = path.join(root, 'build');

/** A browser profile of its own: its context, the page it opened, and a close that cleans up. */
export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh profile (service workers allowed, setOffline works). */
export async function launchBrowser(): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'outpost-e2e-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    serviceWorkers: 'allow',
    viewport: { width: 390, height: 844 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Starts the app's own server on 127.0.0.1 with a free port, serving the built app. */
export function startAppServer(): Promise<RunningServer> {
  const buildError = inject('e2eBuildError');
  if (buildError) return Promise.reject(new Error(`no current build to test: ${buildError}`));
  return startServer({ port: 0, host: '127.0.0.1', buildDir });
}

/** Where to write a screenshot named `name` (test-results/screenshots/<name>.png). */
export function screenshotPath(name: string): string {
  const dir = path.join(root, 'test-results', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
}
