// Background Sync (DESIGN.md section 7) in the browser: a rep checks in offline and closes the
// app; when the browser fires the `sync` event, the service worker pushes the check-in from
// IndexedDB with the device credential, with no tab of the app open, and it reaches the server.
// The event is dispatched through the DevTools protocol (what Chromium does when connectivity
// returns), so the test does not depend on when the browser decides to fire it.
import type { CDPSession } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userDbName } from '../../src/lib/server/provision/names';
import {
  badgeSays,
  eventually,
  launchBrowser,
  signIn,
  startFullServer,
  waitForServiceWorker,
  type FullServer,
  type TestBrowser,
} from './harness';

/** The service worker registration id for `origin`, from the ServiceWorker domain. */
async function registrationId(cdp: CDPSession, origin: string): Promise<string> {
  const found = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const mine = registrations.find((r) => r.scopeURL.startsWith(origin) && !r.isDeleted);
      if (mine) resolve(mine.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  return found;
}

describe('Background Sync: the service worker pushes with the app closed (full server, Chromium)', () => {
  let server: FullServer;
  let browser: TestBrowser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startFullServer();
    browser = await launchBrowser();
    browser.page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('checks in offline, closes the app, and the sync event delivers the check-in', async () => {
    const page = browser.page;
    await signIn(page, server.url, 'ben');
    await badgeSays(page, 'All synced');
    await waitForServiceWorker(page);

    await browser.context.setOffline(true);
    await badgeSays(page, /^Offline/);
    const stopId = `stop:demo-${server.date}-ben-01`;
    await page.locator(`main ol.route > li a[href="/stop/${encodeURIComponent(stopId)}"]`).click();
    await page.getByRole('button', { name: 'Check in' }).click();
    await page
      .locator('main')
      .getByText(/^Checked in \d{2}:\d{2}$/)
      .waitFor();
    await badgeSays(page, /^Offline\s-\s\d+\swaiting$/);
    // The page asked the browser for a background sync.
    await eventually('the sync tag registered', () =>
      page.evaluate(async () => {
        const reg = (await navigator.serviceWorker.ready) as ServiceWorkerRegistration & {
          sync: { getTags(): Promise<string[]> };
        };
        return (await reg.sync.getTags()).includes('outpost-push');
      }),
    );

    // The rep closes the app; a blank tab of another origin keeps the browser open.
    const blank = await browser.context.newPage();
    await page.close();
    const cdp = await browser.context.newCDPSession(blank);
    const id = await registrationId(cdp, server.url);

    const benDb = server.couchAdmin.use<Record<string, unknown>>(userDbName('ben'));
    const checkIns = async () =>
      (await benDb.list({ include_docs: true })).rows.filter(
        (r) =>
          (r.doc as { type?: string; kind?: string; stopId?: string } | undefined)?.type ===
            'event' &&
          (r.doc as { kind?: string }).kind === 'check_in' &&
          (r.doc as { stopId?: string }).stopId === stopId,
      );
    expect(await checkIns()).toHaveLength(0); // nothing could leave while offline
    await browser.context.setOffline(false);
    await cdp.send('ServiceWorker.dispatchSyncEvent', {
      origin: server.url,
      registrationId: id,
      tag: 'outpost-push',
      lastChance: false,
    });
    await eventually('the check-in on the server, pushed by the worker', async () => {
      return (await checkIns()).length === 1;
    });
    const windows = browser.context.pages().filter((p) => p.url().startsWith(server.url));
    expect(windows).toHaveLength(0); // no tab of the app was open: the worker did it
    expect(pageErrors).toEqual([]);
  });
});
