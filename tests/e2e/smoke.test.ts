import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/lib/server/app';
import { launchBrowser, screenshotPath, startAppServer, type TestBrowser } from './harness';

/** Waits until SvelteKit has started and rendered into the app.html body marker. */
async function expectShellRendered(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const root = document.querySelector('#outpost-app');
    return !!root && [...root.children].some((child) => child.tagName !== 'SCRIPT');
  });
  expect(await page.title()).toContain('Outpost');
}

describe('app shell (built app, real server, headless Chromium)', () => {
  let server: RunningServer;
  let browser: TestBrowser;

  beforeAll(async () => {
    server = await startAppServer();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('GET / - serves the shell with title, manifest and icons', async () => {
    const { page } = browser;
    const response = await page.goto(`${server.url}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['cache-control']).toBe('no-cache');
    await expectShellRendered(page);

    const manifestHref = await page.getAttribute('link[rel="manifest"]', 'href');
    expect(manifestHref).toBe('/manifest.webmanifest');
    const manifest = await fetch(`${server.url}${manifestHref}`);
    expect(manifest.headers.get('cache-control')).toBe('no-cache');
    const body = (await manifest.json()) as { name: string; icons: { src: string }[] };
    expect(body.name).toBe('Outpost');
    for (const icon of body.icons) {
      const res = await fetch(`${server.url}${icon.src}`);
      expect(res.headers.get('content-type'), icon.src).toBe('image/png');
    }
  });

  it('GET /api/health - answers ok with the version', async () => {
    const res = await fetch(`${server.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, version: expect.any(String) });
    const missing = await fetch(`${server.url}/api/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
  });

  it('opens the shell and deep links offline once the service worker is active', async () => {
    const { page, context } = browser;
    // The app registers the worker from its layout; registering again is a no-op, and makes
    // this test independent of the pages being written.
    await page.evaluate(async () => {
      await navigator.serviceWorker.register('/service-worker.js');
      await navigator.serviceWorker.ready;
    });
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

    await context.setOffline(true);
    const reloaded = await page.reload();
    expect(reloaded?.fromServiceWorker()).toBe(true);
    await expectShellRendered(page);

    const deep = await page.goto(`${server.url}/stop/does-not-exist`);
    expect(deep?.fromServiceWorker()).toBe(true);
    await expectShellRendered(page);
    expect(new URL(page.url()).pathname).toBe('/stop/does-not-exist');
    await page.screenshot({ path: screenshotPath('smoke-offline-deep-link') });

    // /api/ is never answered from the cache: offline it fails like any network request.
    const apiOffline = await page.evaluate(() =>
      fetch('/api/health').then(
        (r) => `status ${r.status}`,
        () => 'network error',
      ),
    );
    expect(apiOffline).toBe('network error');
    await context.setOffline(false);
  });

  it('still opens deep links with the server gone', async () => {
    const { page } = browser;
    const origin = server.url;
    await server.close();
    const deep = await page.goto(`${origin}/stop/another-one?tab=notes`);
    expect(deep?.fromServiceWorker()).toBe(true);
    await expectShellRendered(page);
  });
});
