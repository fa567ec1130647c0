// Issue 6 (photos) in the browser: the shipped compression worker on the camera-size fixtures,
// then a rep (ana) on the full server takes a photo offline from a file, sees its thumbnail at
// once, checks in, and reconnects: the check-in reaches master before the photo, and the photo
// reaches master intact (byte length and SHA-256 of the full image as the device stored it).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userDbName } from '../../src/lib/server/provision/names';
import { SAMPLE_PHOTOS } from '../fixtures/make-photos';
import { sha256Hex } from '../helpers/photos';
import {
  eventually,
  DEMO_PASSWORD,
  buildDir,
  launchBrowser,
  screenshotPath,
  startFullServer,
  waitForServiceWorker,
  type FullServer,
  type TestBrowser,
} from './harness';

const fixture = (file: string) => path.join(import.meta.dirname, '..', 'fixtures', file);

/** The compression worker as the build ships it (path under the site root). */
function workerAsset(): string {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/^compress\.worker.*\.js$/.test(entry.name)) found.push(full);
    }
  };
  walk(buildDir);
  expect(found).toHaveLength(1);
  return `/${path.relative(buildDir, found[0]).split(path.sep).join('/')}`;
}

const badge = (page: Page) => page.locator('header [data-sync-badge]');

async function shoot(page: Page, name: string, fullPage = false): Promise<void> {
  const dismiss = page.getByRole('button', { name: 'Dismiss message' });
  while ((await dismiss.count()) > 0) await dismiss.first().click();
  await page.screenshot({ path: screenshotPath(name), fullPage });
}

describe('photos (full server, Chromium 390x844)', () => {
  let server: FullServer;
  let ana: TestBrowser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startFullServer();
    ana = await launchBrowser();
    ana.page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await ana?.close();
    await server?.close();
  });

  it('the shipped worker compresses 4000x3000 camera photos to <= 1600 px, <= 500 KB, with a 200 px thumbnail', async () => {
    const page = ana.page;
    await page.goto(`${server.url}/`);
    const asset = workerAsset();
    for (const { file } of SAMPLE_PHOTOS) {
      const original = readFileSync(fixture(file));
      const result = await page.evaluate(
        async ({ asset, base64 }) => {
          const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
          const worker = new Worker(asset, { type: 'module' });
          const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
            worker.onmessage = (e) => resolve(e.data);
            worker.onerror = (e) => reject(new Error(e.message));
            worker.postMessage({ file: new Blob([bytes], { type: 'image/jpeg' }) });
          });
          worker.terminate();
          if (!reply.ok) throw new Error(String(reply.message));
          const full = await createImageBitmap(reply.full as Blob);
          const thumb = await createImageBitmap(reply.thumb as Blob);
          return {
            fullBytes: (reply.full as Blob).size,
            fullType: (reply.full as Blob).type,
            full: [full.width, full.height, reply.width, reply.height],
            thumbBytes: (reply.thumb as Blob).size,
            thumbType: (reply.thumb as Blob).type,
            thumb: [thumb.width, thumb.height],
            ms: reply.ms as number,
          };
        },
        { asset, base64: original.toString('base64') },
      );
      expect(original.byteLength, file).toBeGreaterThan(2.8 * 1024 * 1024);
      expect(result.full, file).toEqual([1600, 1200, 1600, 1200]);
      expect(result.fullType).toBe('image/jpeg');
      expect(result.fullBytes, file).toBeLessThanOrEqual(500 * 1024);
      expect(result.fullBytes, file).toBeGreaterThan(50 * 1024); // a photo, not a smudge
      expect(result.thumb, file).toEqual([200, 150]);
      expect(result.thumbType).toBe('image/jpeg');
      expect(result.thumbBytes, file).toBeLessThan(64 * 1024);
    }
  });

  it('takes a photo offline, shows it at once, and sends the check-in before the photo', async () => {
    const page = ana.page;
    await page.goto(`${server.url}/`);
    await page.getByRole('main').getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Name').fill('ana');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('main').getByRole('button', { name: 'Sign in' }).click();
    await page.waitForFunction(() => document.querySelectorAll('main ol.route > li').length === 20);
    await badge(page).getByText('All synced').waitFor({ timeout: 30_000 });
    await waitForServiceWorker(page);
    await badge(page).getByText('All synced').waitFor({ timeout: 30_000 });

    // Offline: open the first stop, take a photo (a file standing in for the camera).
    await ana.context.setOffline(true);
    await badge(page)
      .getByText(/^Offline/)
      .waitFor();
    const stopId = `stop:demo-${server.date}-ana-01`;
    await page.locator(`main ol.route > li a[href="/stop/${encodeURIComponent(stopId)}"]`).click();
    await page.getByRole('heading', { name: 'Photos' }).waitFor();
    await page.getByText('No photos yet.').waitFor();
    await page.locator('[data-photo-input]').setInputFiles(fixture(SAMPLE_PHOTOS[0].file));
    const thumb = page.locator('[data-photo-thumb] img');
    await thumb.waitFor({ timeout: 20_000 });
    expect(await thumb.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(200);
    await page.getByText('Photo saved (offline)').waitFor();
    // Then the check-in, written after the photo.
    await page.getByRole('button', { name: 'Check in' }).click();
    await page.getByText(/^Checked in \d{2}:\d{2}$/).waitFor();
    await page.locator('[data-photos]').scrollIntoViewIfNeeded();
    await shoot(page, 'photos-1-stop-offline-thumbnail');

    // The full image opens from the device, offline; its bytes are what master must get.
    await page.locator('[data-photo-thumb]').click();
    const full = page.locator('[data-photo-full]');
    await full.waitFor();
    const local = await full.evaluate(async (img: HTMLImageElement) => {
      const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      return {
        length: bytes.byteLength,
        sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''),
        width: img.naturalWidth,
      };
    });
    expect(local.width).toBe(1600);
    await shoot(page, 'photos-2-full-image');
    await page.getByRole('button', { name: 'Close' }).click();

    // Back online: watch master and the rep's db for the event and the photo.
    const master = server.couchAdmin.use<Record<string, unknown>>(server.masterDb);
    const userDb = server.couchAdmin.use<Record<string, unknown>>(userDbName('ana'));
    const firstSeen = new Map<string, number>();
    let seq = 0;
    const track = async () => {
      const changes = await master.changes({ since: String(seq) } as never);
      seq = changes.last_seq as unknown as number;
      for (const row of changes.results) {
        const kind = row.id.split(':')[0];
        if ((kind === 'event' || kind === 'photo') && !firstSeen.has(kind)) {
          firstSeen.set(kind, Date.now());
        }
      }
      return firstSeen.has('photo') && firstSeen.has('event');
    };
    await track(); // from here on only new changes count
    firstSeen.clear();
    // The Sync screen (same document: the sync status lives on) says what waits, offline.
    await badge(page).click();
    await page.getByRole('heading', { name: 'Sync', level: 1 }).waitFor();
    await page
      .locator('[data-photo-uploads]')
      .getByText('1 photo waiting to be sent')
      .waitFor({ timeout: 10_000 });
    await shoot(page, 'photos-3-sync-offline', true);
    await ana.context.setOffline(false);
    await eventually('the check-in and the photo in master', track, 60_000);
    expect(firstSeen.get('event')!).toBeLessThanOrEqual(firstSeen.get('photo')!);

    // In the rep's db the check-in was stored before the photo (the critical lane went first).
    const arrived = await userDb.changes({ since: '0' } as never);
    const order = arrived.results
      .map((r) => r.id.split(':')[0])
      .filter((kind) => kind === 'event' || kind === 'photo');
    expect(order).toEqual(['event', 'photo']);

    // The photo in master is the one taken: same bytes, same digest.
    const photos = await master.list({
      include_docs: true,
      startkey: 'photo:',
      endkey: 'photo:\uffff',
    });
    expect(photos.rows).toHaveLength(1);
    const photoDoc = photos.rows[0].doc as unknown as Record<string, unknown>;
    expect(photoDoc).toMatchObject({
      type: 'photo',
      stopId,
      owner: 'ana',
      width: 1600,
      height: 1200,
    });
    expect(photoDoc).not.toHaveProperty('evictedAt');
    const onMaster = new Uint8Array(await master.attachment.get(photoDoc._id as string, 'full'));
    expect(onMaster.byteLength).toBe(local.length);
    expect(sha256Hex(onMaster)).toBe(local.sha256);

    // The Sync screen shows the photo sent, with its bar full.
    await page
      .locator('[data-photo-uploads]')
      .getByText('1 photo sent')
      .waitFor({ timeout: 30_000 });
    expect(
      await page.locator('[data-photo-uploads] [role="progressbar"]').getAttribute('aria-valuenow'),
    ).toBe('100');
    await badge(page).getByText('All synced').waitFor({ timeout: 30_000 });
    await shoot(page, 'photos-4-sync-sent', true);
    expect(pageErrors).toEqual([]);
  });
});
