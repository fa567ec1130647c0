// Reference data in the browser (the scale issue): the catalogue is stored once per team in the
// team's reference db and reaches a rep's device through its pull-only lane, never through her
// own db. A supervisor's price change reaches the device on the next sync, and the catalogue
// stays usable offline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceDbName, userDbName } from '../../src/lib/server/provision/names';
import { DEMO_TEAM } from '../../src/lib/server/demo-seed';
import {
  badgeSays,
  launchBrowser,
  screenshotPath,
  signIn,
  startFullServer,
  waitForServiceWorker,
  type FullServer,
  type TestBrowser,
} from './harness';

const PRODUCT = 'product:BEV-1008';
const NAME = 'Café Bustelo Espresso Ground 10 oz';

describe('catalogue through the team reference db (full server, Chromium)', () => {
  let server: FullServer;
  let ana: TestBrowser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startFullServer();
    ana = await launchBrowser();
    await ana.page.setViewportSize({ width: 360, height: 780 });
    ana.page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  afterAll(async () => {
    await ana?.close();
    await server?.close();
  });

  /** The price the order screen's search shows for the product. */
  async function shownPrice(): Promise<string> {
    const search = ana.page.getByLabel('Add products');
    await search.fill('bustelo');
    const row = ana.page.getByRole('listitem').filter({ hasText: NAME });
    await row.waitFor();
    return ((await row.locator('.price').textContent()) ?? '').trim();
  }

  it('a price change reaches the device through the reference db, and works offline', async () => {
    const { page, context } = ana;
    await signIn(page, server.url, 'ana');
    await page.waitForFunction(() => document.querySelectorAll('main ol.route > li').length === 20);
    await badgeSays(page, 'All synced');
    await waitForServiceWorker(page);

    // The catalogue is in the reference db, not in ana's own db.
    const refDb = server.couchAdmin.use<Record<string, unknown>>(referenceDbName(DEMO_TEAM));
    const own = server.couchAdmin.use<Record<string, unknown>>(userDbName('ana'));
    expect((await refDb.get(PRODUCT)).price).toBe(5388);
    expect(
      await own.get(PRODUCT).then(
        () => 200,
        (e: { statusCode: number }) => e.statusCode,
      ),
    ).toBe(404);

    const stopHref = await page.locator('main ol.route > li a').first().getAttribute('href');
    await page.goto(`${server.url}${stopHref}`);
    await page.getByRole('button', { name: 'New order' }).click();
    await page.getByRole('heading', { level: 1, name: /^Order/ }).waitFor();
    const orderUrl = page.url();
    expect(await shownPrice()).toBe('$53.88');

    // A supervisor changes the price in the team's reference db.
    const current = await refDb.get(PRODUCT);
    await refDb.insert({ ...current, price: 4990, updatedBy: 'sam' });

    // "Sync now" on the Sync page pulls it; the order screen then shows it.
    await page.goto(`${server.url}/sync`);
    await page.getByRole('button', { name: 'Sync now' }).click();
    await badgeSays(page, 'All synced');
    await page.goto(orderUrl);
    await page.getByRole('heading', { level: 1, name: /^Order/ }).waitFor();
    expect(await shownPrice()).toBe('$49.90');
    await page.screenshot({ path: screenshotPath('catalogue-1-new-price') });

    // Offline, after a reload, the catalogue is still on the device.
    await context.setOffline(true);
    const reloaded = await page.reload();
    expect(reloaded?.fromServiceWorker()).toBe(true);
    await page.getByRole('heading', { level: 1, name: /^Order/ }).waitFor();
    expect(await shownPrice()).toBe('$49.90');
    await context.setOffline(false);
    expect(pageErrors).toEqual([]);
  });
});
