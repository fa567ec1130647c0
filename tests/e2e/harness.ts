// Helpers for the browser tests: a fresh headless Chromium profile and the real app server.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from '../helpers/chromium';
import { inject } from 'vitest';
import { startServer, type RunningServer } from '../../src/lib/server/app';
import { ensureDemoPeople, localDate, seedDemoDay } from '../../src/lib/server/demo-seed';
import { startOutpost, type RunningOutpost } from '../../src/lib/server/outpost';
import { userDbName } from '../../src/lib/server/provision/names';
import type { SignInLimiter } from '../../src/lib/server/sign-in-limiter';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The build directory served to the browser tests (written by global-setup.ts). */
export const buildDir = path.join(root, 'build');

export type { TestBrowser } from '../helpers/chromium';

/** Launches headless Chromium with a fresh profile (service workers allowed, setOffline works). */
export const launchBrowser = launchChromium;

/**
 * One browser per person (a device each), every page error pushed to `errors` as "who: message"
 * so a test can assert none happened; `close()` ends them all.
 */
export async function launchBrowsers<Who extends string>(
  people: readonly Who[],
  errors: string[],
): Promise<{ browsers: Record<Who, TestBrowser>; close(): Promise<void> }> {
  const browsers = {} as Record<Who, TestBrowser>;
  for (const who of people) {
    const b = (browsers[who] = await launchChromium());
    b.page.on('pageerror', (error) => errors.push(`${who}: ${error.message}`));
  }
  return {
    browsers,
    close: async () =>
      void (await Promise.all(Object.values<TestBrowser>(browsers).map((b) => b.close()))),
  };
}

/** Starts the app's own server on 127.0.0.1 with a free port, serving the built app. */
export function startAppServer(): Promise<RunningServer> {
  const buildError = inject('e2eBuildError');
  if (buildError) return Promise.reject(new Error(`no current build to test: ${buildError}`));
  return startServer({ port: 0, host: '127.0.0.1', buildDir });
}

/** Polls `check` every 250 ms until it returns true; throws with the last error after `timeoutMs`. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Where to write a screenshot named `name` (test-results/screenshots/<name>.png). */
export function screenshotPath(name: string): string {
  const dir = path.join(root, 'test-results', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
}

/** The demo people's password on the full server (as `npm start` without OUTPOST_DEMO_PASSWORD). */
export const DEMO_PASSWORD = 'outpost-demo';

/** The whole Outpost server as `npm start` runs it, on free 127.0.0.1 ports and a temp data dir. */
export interface FullServer extends RunningOutpost {
  /** The demo day's date in master (the server's local date). */
  date: string;
}

/**
 * Waits until the provisioner (following `_users`) has set up every demo person: their db, and
 * the supervisor's db accepting the team's docs. Signing in while it
 * still writes the same docs can fail (see the report on enrolment racing the provisioner).
 */
async function provisioned(running: RunningOutpost): Promise<void> {
  const deadline = Date.now() + 30_000;
  const supervisorDb = running.couchAdmin.use<Record<string, unknown>>(userDbName('sam'));
  for (;;) {
    const dbs = new Set(await running.couchAdmin.db.list().catch(() => [] as string[]));
    const replications = ['ana', 'ben', 'sam'].every((p) => dbs.has(userDbName(p)));
    const design = await supervisorDb.get('_design/outpost').catch(() => null);
    const team = String(design?.validate_doc_update ?? '').includes('var TEAM = ["ana","ben"]');
    if (replications && team) return;
    if (Date.now() > deadline) throw new Error('the demo team was not provisioned in 30 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Starts the full server in-process (app + /couch on the embedded CouchDB-protocol server +
 * /api/enrol + provisioner) serving the e2e build, with the demo team (ana, ben: reps; sam:
 * supervisor; password DEMO_PASSWORD) and today's demo day in master. `close()` also removes
 * the data dir.
 */
export async function startFullServer(
  opts: { signInLimiter?: SignInLimiter } = {},
): Promise<FullServer> {
  const buildError = inject('e2eBuildError');
  if (buildError) throw new Error(`no current build to test: ${buildError}`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'outpost-e2e-data-'));
  const admin = { name: 'admin', password: `pw-${Math.random().toString(36).slice(2)}` };
  let running: RunningOutpost;
  try {
    running = await startOutpost({
      buildDir,
      port: 0,
      host: '127.0.0.1',
      embedded: { dataDir, admin, port: 0 },
      log: () => undefined,
      signInLimiter: opts.signInLimiter,
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const date = localDate();
  await ensureDemoPeople(running.couchAdmin, DEMO_PASSWORD);
  await seedDemoDay(running.couchAdmin, running.masterDb, date);
  await provisioned(running);
  const close = running.close;
  return Object.assign(running, {
    date,
    async close() {
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** Waits until the service worker controls the page (reloading once if it installed without). */
export async function waitForServiceWorker(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  const controlled = await page
    .waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
      timeout: 5000,
    })
    .then(
      () => true,
      () => false,
    );
  if (!controlled) {
    await page.reload();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  }
}

/** Waits until the header's sync badge says `text` (substring, or a pattern). */
export async function badgeSays(
  page: Page,
  text: string | RegExp,
  timeout = 30_000,
): Promise<void> {
  await page.locator('header [data-sync-badge]').getByText(text).waitFor({ timeout });
}

/** Signs in from the welcome screen with the demo password. */
export async function signIn(page: Page, url: string, name: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByRole('heading', { name: 'Welcome to Outpost' }).waitFor();
  await page.getByRole('main').getByRole('link', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('main').getByRole('button', { name: 'Sign in' }).click();
}
