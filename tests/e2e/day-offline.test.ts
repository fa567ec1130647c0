// Foundation acceptance: a rep loads a demo day, goes offline, works a stop by deep link, and
// finds everything still there after reloading offline.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/lib/server/app';
import {
  launchBrowser,
  screenshotPath,
  startAppServer,
  waitForServiceWorker,
  type TestBrowser,
} from './harness';

const NOTE = 'Gate code 4711. Ask for Maria at the counter.';

/** Saves a full-page screenshot from the top (the header is sticky). */
async function shoot(page: Page, name: string, fullPage = true): Promise<void> {
  if (fullPage) await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: screenshotPath(name), fullPage });
}

/** The text of the polite live region (toasts). */
function toasts(page: Page) {
  return page.locator('[aria-live="polite"]');
}

describe('a day offline (built app, real server, headless Chromium at 390x844)', () => {
  let server: RunningServer;
  let browser: TestBrowser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startAppServer();
    browser = await launchBrowser();
    await browser.page.setViewportSize({ width: 390, height: 844 });
    browser.page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads the demo day, then checks in, notes and ticks a task offline, and keeps it all', async () => {
    const { page, context } = browser;

    // First run: the welcome screen offers the demo day.
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Welcome to Outpost' }).waitFor();
    await shoot(page, 'day-offline-1-welcome');
    await page.getByLabel('Ana Ortiz').check();
    await page.getByRole('button', { name: 'Load demo day' }).click();

    // Today shows Ana's 20 stops.
    const routeItems = page.locator('main ol.route > li');
    await page.waitForFunction(() => document.querySelectorAll('main ol.route > li').length === 20);
    expect(await routeItems.count()).toBe(20);
    await page.getByText('0 of 20 done').waitFor();
    const bar = page.getByRole('progressbar');
    expect(await bar.getAttribute('aria-valuenow')).toBe('0');
    expect(await bar.getAttribute('aria-valuemax')).toBe('20');
    await page.getByText('Online', { exact: true }).waitFor();

    // The app shell works offline once the service worker controls the page.
    await waitForServiceWorker(page);
    await context.setOffline(true);
    const reloaded = await page.reload();
    expect(reloaded?.fromServiceWorker()).toBe(true);
    await page.locator('header').getByText('Offline', { exact: true }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('main ol.route > li').length === 20);

    // Open the first stop by deep link while offline.
    const href = await routeItems.first().locator('a').getAttribute('href');
    expect(href).toMatch(/^\/stop\/stop%3Ademo-\d{4}-\d{2}-\d{2}-ana-01$/);
    const deep = await page.goto(`${server.url}${href}`);
    expect(deep?.fromServiceWorker()).toBe(true);
    await page.locator('header').getByText('Offline', { exact: true }).waitFor();
    const accountName = (await page.getByRole('heading', { level: 1 }).textContent())?.trim() ?? '';
    expect(accountName).toMatch(/#1$/);

    // Check in: the toast says it was recorded offline, the button shows the time.
    await page.getByRole('button', { name: 'Check in' }).click();
    await toasts(page).getByText('(offline)').waitFor();
    const toast = (await toasts(page).textContent()) ?? '';
    const time = /Checked in (\d{2}:\d{2}) \(offline\)/.exec(toast)?.[1];
    expect(time, toast).toBeTruthy();
    await page.getByText(`Checked in ${time}`, { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Check out' }).waitFor();

    // A note: an empty one is refused next to the field, keeping what was typed.
    const noteField = page.getByLabel('New note');
    await noteField.fill('   ');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('.field-error').getByText('Note is required.').waitFor();
    expect(await noteField.inputValue()).toBe('   ');
    expect(await noteField.getAttribute('aria-invalid')).toBe('true');
    await noteField.fill(NOTE);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('.notes li').getByText(NOTE).waitFor();
    expect(await noteField.inputValue()).toBe('');
    await toasts(page).getByText('Note saved (offline)').waitFor();

    // Tick the first task; the stored state re-renders it as done.
    const firstTask = page.locator('ul.tasks li label').first();
    const taskTitle = (await firstTask.textContent())?.trim() ?? '';
    await firstTask.getByRole('checkbox').check();
    await page.locator('ul.tasks li label.done').first().waitFor();
    await shoot(page, 'day-offline-2-stop');

    // Reload, still offline: everything came from the local database.
    const again = await page.reload();
    expect(again?.fromServiceWorker()).toBe(true);
    await page.getByText(`Checked in ${time}`, { exact: true }).waitFor();
    await page.locator('.notes li').getByText(NOTE).waitFor();
    const reloadedTask = page.locator('ul.tasks li label', { hasText: taskTitle }).first();
    expect(await reloadedTask.getByRole('checkbox').isChecked()).toBe(true);
    await shoot(page, 'day-offline-3-stop-reloaded');

    // The account page has the stop's note and links back to the visit.
    await page.getByRole('link', { name: accountName, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: accountName }).waitFor();
    await page.locator('.notes li').getByText(NOTE).waitFor();
    const visit = page.locator('section', {
      has: page.getByRole('heading', { name: 'Recent visits' }),
    });
    expect(await visit.locator('a').first().getAttribute('href')).toBe(href);
    await shoot(page, 'day-offline-4-account');

    // Today reflects the check-in: the stop is checked in and still the next one.
    await page.getByRole('link', { name: '‹ Today' }).click();
    await page.getByText('0 of 20 done').waitFor();
    const firstItem = routeItems.first();
    await firstItem.getByText('Checked in', { exact: true }).waitFor();
    expect(await firstItem.textContent()).toContain(accountName);
    const card = page.locator('article', { has: page.getByText('Next stop') });
    expect(await card.getByRole('heading').textContent()).toContain(accountName);
    await shoot(page, 'day-offline-5-today');

    // Checking out from Today's card finishes the stop and moves the progress on.
    await card.getByRole('button', { name: 'Check out' }).click();
    await toasts(page)
      .getByText(/Checked out \d{2}:\d{2} \(offline\)/)
      .waitFor();
    await page.getByText('1 of 20 done').waitFor();
    expect(await bar.getAttribute('aria-valuenow')).toBe('1');
    const done = page.locator('section', { has: page.getByRole('heading', { name: /^Done/ }) });
    expect(await done.locator('li').count()).toBe(1);
    expect(await done.textContent()).toContain(accountName);
    expect(await page.locator('article').getByRole('heading').textContent()).toMatch(/#6$/);
    await shoot(page, 'day-offline-6-today-after', false);

    // Reloading the demo day from the menu is safe: nothing is reset.
    await page.getByText('Menu', { exact: true }).click();
    await page.getByRole('button', { name: 'Reload demo day' }).waitFor();
    await shoot(page, 'day-offline-7-menu', false);
    await page.getByRole('button', { name: 'Reload demo day' }).click();
    await toasts(page).getByText('nothing was reset').waitFor();
    await page.getByText('1 of 20 done').waitFor();
    expect(await routeItems.count()).toBe(20);

    await context.setOffline(false);
    await page.locator('header').getByText('Online', { exact: true }).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('switches to the other demo rep from the menu, and stays switched after a reload', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/`);
    await page.getByText(/of 20 done/).waitFor();
    await page.getByText('Menu', { exact: true }).click();
    await page.getByRole('button', { name: 'Switch to Ben Okafor' }).click();
    await toasts(page).getByText('Demo day loaded for Ben Okafor').waitFor();
    await page.getByText('0 of 20 done').waitFor();
    const first = page.locator('main ol.route > li a').first();
    expect(await first.getAttribute('href')).toMatch(/-ben-01$/);

    await page.reload();
    await page.getByText('0 of 20 done').waitFor();
    expect(await first.getAttribute('href')).toMatch(/-ben-01$/);
    await page.getByText('Menu', { exact: true }).click();
    await page.getByRole('button', { name: 'Switch to Ana Ortiz' }).click();
    // Ana's day is still on the device, with her finished stop.
    await page.getByText('1 of 20 done').waitFor();
  });

  it('shows a friendly message for a stop this device does not hold', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/stop/${encodeURIComponent('stop:not-here')}`);
    await page.getByRole('heading', { name: 'This stop is not on this device' }).waitFor();
    await page.getByRole('link', { name: 'Back to Today' }).click();
    await page.getByText(/of 20 done/).waitFor();
  });
});
