// Issue 6 (inspections + signatures) in the browser: a signed-in rep starts an inspection offline,
// the app is killed mid-form and reopened offline with the draft intact; she signs with mouse and
// touch pointer sequences, submit first names what is missing, then submits; after reconnecting
// the submitted inspection with its signature PNG reaches master.
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  DEMO_PASSWORD,
  launchBrowser,
  screenshotPath,
  startFullServer,
  waitForServiceWorker,
  type FullServer,
  type TestBrowser,
} from './harness';

/** A small phone: the form must work at 360 px wide. */
const SMALL = { width: 360, height: 760 };

/** Saves a screenshot from the top of the page, without toasts. */
async function shoot(page: Page, name: string, fullPage = true): Promise<void> {
  const dismiss = page.getByRole('button', { name: 'Dismiss message' });
  for (let i = 0; i < 10 && (await dismiss.count()) > 0; i++) await dismiss.first().click();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: screenshotPath(name), fullPage });
}

/** Waits for the form's save indicator to say the draft is stored. */
async function saved(page: Page): Promise<void> {
  await page.getByText('Saved on this device', { exact: true }).waitFor();
}

/** Draws a zig-zag with the mouse (pointerType "mouse"). */
async function signWithMouse(page: Page, pad: Locator): Promise<void> {
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  await page.mouse.move(box.x + 20, box.y + box.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) {
    await page.mouse.move(box.x + 20 + i * 30, box.y + box.height / 2 + (i % 2 ? -40 : 40), {
      steps: 3,
    });
  }
  await page.mouse.up();
}

/** Draws a stroke with a finger (touch input, so the pad sees pointerType "touch"). */
async function signWithTouch(page: Page, pad: Locator): Promise<void> {
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  const cdp = await page.context().newCDPSession(page);
  const at = (i: number) => ({ x: box.x + 30 + i * 25, y: box.y + 60 + (i % 3) * 25 });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at(0)] });
  for (let i = 1; i <= 10; i++) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [at(i)] });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

describe('inspection offline: kill mid-form, reopen, sign, submit (full server, Chromium at 360 px)', () => {
  let server: FullServer;
  let browser: TestBrowser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startFullServer();
    browser = await launchBrowser();
    await browser.page.setViewportSize(SMALL);
    browser.page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('keeps the draft across an app kill offline, validates, signs and syncs the submission', async () => {
    const { context } = browser;
    let page = browser.page;

    // Ana signs in; her day and the templates arrive by sync.
    await page.goto(`${server.url}/`);
    await page.getByRole('main').getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Name').fill('ana');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('main').getByRole('button', { name: 'Sign in' }).click();
    await page.waitForFunction(() => document.querySelectorAll('main ol.route > li').length === 20);
    await page.locator('header [data-sync-badge]').getByText('All synced').waitFor();
    await waitForServiceWorker(page);
    const stopHref = await page.locator('main ol.route > li a').first().getAttribute('href');

    // Offline from here on.
    await context.setOffline(true);
    await page.goto(`${server.url}${stopHref}`);
    const start = page.getByRole('button', { name: 'Fridge / cold-chain check' });
    await start.waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Store safety walk' }).waitFor();
    await page.locator('#inspections-title').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('inspection-0-stop-start') });
    await start.click();
    await page.getByRole('heading', { name: 'Fridge / cold-chain check', level: 1 }).waitFor();
    await page.getByText('Step 1 of 3').waitFor();
    const formUrl = page.url();
    expect(formUrl).toMatch(/\/inspection\/inspection%3A/);

    // Answer part of step 1 (an out-of-range temperature is kept as typed).
    await page.getByLabel('Display fridge temperature').fill('40');
    await page.getByRole('radio', { name: 'Yes' }).check();
    await saved(page);
    await shoot(page, 'inspection-1-form', false);

    // App kill: the page goes away without a goodbye; a new one opens the form offline.
    await page.close({ runBeforeUnload: false });
    page = await context.newPage();
    await page.setViewportSize(SMALL);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const reopened = await page.goto(formUrl);
    expect(reopened?.fromServiceWorker()).toBe(true);
    await page.getByText('Step 1 of 3').waitFor();
    expect(await page.getByLabel('Display fridge temperature').inputValue()).toBe('40');
    expect(await page.getByRole('radio', { name: 'Yes' }).isChecked()).toBe(true);

    // Straight to the last step and submit: every missing or wrong answer is named, and the
    // form goes to the first step with a problem.
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Step 2 of 3').waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Step 3 of 3').waitFor();
    await page.getByLabel('Remarks for the store').fill('Door seal on the left starts to wear.');
    await page.getByRole('button', { name: 'Submit' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'answers need attention' });
    await alert.getByText('3 answers need attention.').waitFor();
    await page.getByText('Step 1 of 3').waitFor();
    await page.getByText('Enter a number between -5 and 12 °C.').waitFor();
    expect(await page.getByLabel('Display fridge temperature').getAttribute('aria-invalid')).toBe(
      'true',
    );
    await shoot(page, 'inspection-2-errors', false);

    // Fix step 1 and 2.
    await page.getByLabel('Display fridge temperature').fill('4');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Choose an answer.').waitFor();
    await page.getByRole('radio', { name: 'Good' }).check();
    // A photo for the photo question, through the photos pipeline (compressed on the device).
    await page
      .getByRole('group', { name: 'Photo of the display' })
      .locator('input[type=file]')
      .setInputFiles(path.join(import.meta.dirname, '..', 'fixtures', 'photo-shelf-4000x3000.jpg'));
    await page
      .getByRole('img', { name: 'Photo for Photo of the display' })
      .waitFor({ timeout: 30_000 });
    await saved(page);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('A signature is required.').waitFor();
    expect(await page.getByLabel('Remarks for the store').inputValue()).toBe(
      'Door seal on the left starts to wear.',
    );

    // Sign with the mouse, save; then sign again with a finger.
    const pad = page.getByLabel(/Signature pad/);
    await page.getByRole('button', { name: 'Save signature' }).click();
    await page.getByText('Sign in the box first.').waitFor();
    await signWithMouse(page, pad);
    await page.getByRole('button', { name: 'Save signature' }).click();
    const image = page.getByRole('img', { name: /Saved signature/ });
    await image.waitFor();
    await page.getByRole('button', { name: 'Sign again' }).click();
    await pad.waitFor();
    await signWithTouch(page, pad);
    await page.getByRole('button', { name: 'Save signature' }).scrollIntoViewIfNeeded();
    await page.evaluate(() => window.scrollBy(0, 120));
    await page.screenshot({ path: screenshotPath('inspection-3-signature-pad') });
    await page.getByRole('button', { name: 'Save signature' }).click();
    await image.waitFor();
    const natural = await image.evaluate((img: HTMLImageElement) => img.naturalWidth);
    expect(natural).toBeGreaterThan(0);
    await saved(page);

    // Submit: the read-only view, nothing editable any more.
    await page.getByRole('button', { name: 'Submit' }).click();
    const banner = page.getByRole('status').filter({ hasText: 'It can no longer be changed.' });
    await banner.waitFor();
    expect(((await banner.textContent()) ?? '').replace(/\s+/g, ' ').trim()).toMatch(
      /^Submitted at \d{2}:\d{2}\. It can no longer be changed\.$/,
    );
    await page.getByText('Inspection submitted', { exact: false }).first().waitFor();
    expect(await page.getByRole('button', { name: 'Submit' }).count()).toBe(0);
    expect(await page.getByRole('textbox').count()).toBe(0);
    await page.getByText('4 °C').waitFor();
    await page.getByRole('img', { name: /Saved signature/ }).waitFor();
    await shoot(page, 'inspection-4-submitted');

    // The stop lists it as submitted.
    await page.getByRole('link', { name: '‹ Stop' }).click();
    await page
      .locator('section', { hasText: 'Inspections' })
      .getByText(/^Submitted/)
      .waitFor();
    await page.locator('#inspections-title').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('inspection-5-stop-list') });

    // Back online: the submission and its signature PNG reach master.
    await context.setOffline(false);
    const inspectionId = decodeURIComponent(formUrl.split('/inspection/')[1]);
    const master = server.couchAdmin.use<Record<string, unknown>>(server.masterDb);
    await eventually(
      'the submitted inspection in master',
      async () => {
        const doc = (await master.get(inspectionId)) as Record<string, unknown>;
        return doc.status === 'submitted';
      },
      60_000,
    );
    const doc = (await master.get(inspectionId)) as Record<string, unknown>;
    expect(doc).toMatchObject({
      type: 'inspection',
      owner: 'ana',
      status: 'submitted',
      answers: {
        fridge_temp: 4,
        fridge_photo: [expect.stringMatching(/^photo:/)],
        log_kept: true,
        seals: 'Good',
        remarks: 'Door seal on the left starts to wear.',
        store_signature: { attachment: 'signature-store_signature.png' },
      },
    });
    const stub = (doc._attachments as Record<string, { content_type: string; length: number }>)[
      'signature-store_signature.png'
    ];
    expect(stub.content_type).toBe('image/png');
    const png = (await master.attachment.get(
      inspectionId,
      'signature-store_signature.png',
    )) as Buffer;
    expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(png.length).toBe(stub.length);
    const photoId = (doc.answers as { fridge_photo: string[] }).fridge_photo[0];
    await eventually('the inspection photo in master', async () => {
      const photo = (await master.get(photoId)) as Record<string, unknown>;
      return photo.inspectionId === inspectionId && photo.questionId === 'fridge_photo';
    });
    expect(pageErrors).toEqual([]);
  });
});
