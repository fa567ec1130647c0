// Issue 6: the end-of-day report is made on the device with no network: a rep works a stop
// offline, opens the Day report from Today, and downloads it as PDF and CSV with that work in it.
import { readFileSync } from 'node:fs';
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/lib/server/app';
import { pdfImageCount, pdfPageCount, pdfText, xrefProblems } from '../helpers/pdf-text';
import {
  launchBrowser,
  screenshotPath,
  startAppServer,
  waitForServiceWorker,
  type TestBrowser,
} from './harness';

const NOTE = 'Señora Núñez wants the Crème brûlée display moved, "today".';

/** Clicks a button and returns the file it downloads. */
async function downloadFrom(page: Page, button: string): Promise<{ name: string; bytes: Buffer }> {
  const [download] = (await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: button }).click(),
  ])) as [Download, void];
  const path = await download.path();
  return { name: download.suggestedFilename(), bytes: readFileSync(path) };
}

describe('day report offline (built app, headless Chromium)', () => {
  let server: RunningServer;
  let browser: TestBrowser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startAppServer();
    browser = await launchBrowser();
    browser.page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('downloads the day as PDF and CSV with the check-in/out and the note, all offline', async () => {
    const { page, context } = browser;
    await page.goto(`${server.url}/`);
    await page.getByLabel('Ana Ortiz').check();
    await page.getByRole('button', { name: 'Load demo day' }).click();
    await page.waitForFunction(() => document.querySelectorAll('main ol.route > li').length === 20);
    await waitForServiceWorker(page);
    await context.setOffline(true);
    await page.reload();
    await page.locator('header').getByText('Offline', { exact: true }).waitFor();

    // Work the first stop offline: check in, a note with accents and quotes, check out.
    await page.locator('main ol.route > li a').first().click();
    await page.waitForURL(/\/stop\//); // the stop page, not Today's date heading
    await page.getByRole('button', { name: 'Check in' }).waitFor();
    const account = (await page.getByRole('heading', { level: 1 }).textContent())?.trim() ?? '';
    await page.getByRole('button', { name: 'Check in' }).click();
    const checkedIn = page.getByText(/^Checked in \d{2}:\d{2}$/);
    await checkedIn.waitFor();
    const inTime = /(\d{2}:\d{2})/.exec((await checkedIn.textContent()) ?? '')?.[1] ?? '';
    await page.getByLabel('New note').fill(NOTE);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('.notes li').getByText(NOTE).waitFor();
    await page.getByRole('button', { name: 'Check out' }).click();
    await page.getByText(/^Checked out \d{2}:\d{2}$/).waitFor();

    // The Day report, linked from Today, made on the device.
    await page.getByRole('link', { name: '‹ Today' }).click();
    await page.getByRole('link', { name: 'Day report' }).click();
    await page.getByRole('heading', { level: 1, name: 'Day report' }).waitFor();
    const first = page.locator('article.stop').first();
    await first.getByText(NOTE).waitFor();
    expect(await first.getByRole('heading').textContent()).toBe(`1. ${account}`);
    expect(await first.textContent()).toContain(`Check-in ${inTime}`);
    expect(await page.locator('article.stop').count()).toBe(20);
    await page.getByText('1 of 20 stops done, 1 checked in').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: screenshotPath('report-page'), fullPage: false });

    // PDF: a valid file with the day in its text.
    const pdf = await downloadFrom(page, 'Download PDF');
    expect(pdf.name).toMatch(/^outpost-report-ana-\d{4}-\d{2}-\d{2}\.pdf$/);
    const bytes = new Uint8Array(pdf.bytes);
    expect(xrefProblems(bytes)).toEqual([]);
    expect(pdfPageCount(bytes).pages).toBeGreaterThan(1);
    expect(pdfImageCount(bytes)).toBe(0);
    const text = pdfText(bytes);
    expect(text).toContain('Day report — Ana Ortiz');
    expect(text).toContain(`1. ${account}`);
    expect(text).toMatch(new RegExp(`Check-in ${inTime} · Check-out \\d{2}:\\d{2}`));
    expect(text).toContain(NOTE);
    expect(text).toContain('1 of 20 stops done, 1 checked in');

    // CSV: UTF-8 with BOM, the stop's rows with the note quoted as RFC 4180 wants.
    const csv = await downloadFrom(page, 'Download CSV');
    expect(csv.name).toMatch(/^outpost-report-ana-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(Array.from(csv.bytes.subarray(0, 3))).toEqual([0xef, 0xbb, 0xbf]);
    const rows = csv.bytes.toString('utf8').slice(1).split('\r\n');
    expect(rows[0]).toMatch(/^Date,Stop,Account,Address,Window,Stop status,Item,"?Time \(/);
    expect(rows.some((r) => r.includes(`,Check-in,${inTime},`))).toBe(true);
    const quoted = `"${NOTE.replace(/"/g, '""')}"`;
    expect(rows.some((r) => r.includes(',Note,') && r.endsWith(`,${quoted},,`))).toBe(true);
    expect(rows.filter((r) => r.includes(',Visit,')).length).toBe(20);

    await context.setOffline(false);
    expect(pageErrors).toEqual([]);
  });
});
