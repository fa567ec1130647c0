// Orders in the browser (issue 6, part 4): a rep signs in, the catalogue reaches her device,
// she goes offline, takes an order at a stop (search, add lines, change quantities), reloads
// (the draft is kept), submits with a double click (still one order), and after reconnecting
// the submitted order reaches master exactly once.
import type { Page } from 'playwright-core';
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

interface OrderBody {
  _id: string;
  type: string;
  stopId: string;
  status: string;
  lines: Record<string, { sku: string; qty: number; removed?: boolean }>;
  totals: { net: number; tax: number; gross: number };
}

/** Saves a screenshot from the top of the page, without toasts. */
async function shoot(page: Page, name: string): Promise<void> {
  const dismiss = page.getByRole('button', { name: 'Dismiss message' });
  for (let i = 0; i < 10 && (await dismiss.count()) > 0; i++) await dismiss.first().click();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: screenshotPath(name), fullPage: true });
}

/** The gross total the totals list shows. */
async function shownTotal(page: Page): Promise<string> {
  const text = await page.getByLabel('Order totals').locator('.gross dd').textContent();
  return (text ?? '').trim();
}

describe('orders offline (full server, Chromium at 360x780)', () => {
  let server: FullServer;
  let ana: TestBrowser;
  const pageErrors: string[] = [];

  const master = () => server.couchAdmin.use<Record<string, unknown>>(server.masterDb);
  async function masterOrders(): Promise<OrderBody[]> {
    const res = await master().list({
      include_docs: true,
      startkey: 'order:',
      endkey: 'order:\uffff',
    });
    return res.rows.map((r) => r.doc as unknown as OrderBody);
  }

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

  it('takes an order offline, keeps the draft, submits once and syncs it once', async () => {
    const { page, context } = ana;

    // Sign in online once; her day and the catalogue arrive through her own db.
    await page.goto(`${server.url}/`);
    await page.getByRole('main').getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Name').fill('ana');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('main').getByRole('button', { name: 'Sign in' }).click();
    await page.waitForFunction(
      () => document.querySelectorAll('main ol.route > li').length === 20,
      undefined,
      {
        timeout: 30_000,
      },
    );
    await page
      .locator('header [data-sync-badge]')
      .getByText('All synced')
      .waitFor({ timeout: 30_000 });

    // Offline from here on.
    await waitForServiceWorker(page);
    await context.setOffline(true);
    const stopHref = await page.locator('main ol.route > li a').first().getAttribute('href');
    const reopened = await page.goto(`${server.url}${stopHref}`);
    expect(reopened?.fromServiceWorker()).toBe(true);
    await page.locator('header').getByText('Offline', { exact: true }).waitFor();

    // New order: a draft opens on its own screen.
    await page.getByRole('button', { name: 'New order' }).click();
    await page.getByRole('heading', { level: 1, name: /^Order/ }).waitFor();
    await page.getByText('Draft · saved on this device').waitFor();
    const orderUrl = page.url();
    expect(decodeURIComponent(orderUrl)).toMatch(/\/order\/order:[0-9a-f-]{36}$/);

    // Search ignores case and accents; Add puts the product on the order.
    const search = page.getByLabel('Add products');
    await search.fill('CAFE bustelo');
    await page.getByRole('button', { name: 'Add Café Bustelo Espresso Ground 10 oz' }).click();
    await page.locator('ul.lines li').first().waitFor();
    await search.fill('cln-500');
    await page.getByRole('button', { name: 'Add Glass Cleaner 32 oz' }).waitFor();
    await shoot(page, 'order-1-search');
    await page.getByRole('button', { name: 'Add Glass Cleaner 32 oz' }).click();
    await page.waitForFunction(() => document.querySelectorAll('ul.lines > li').length === 2);

    // Quantities: the stepper and typing; a refused quantity stays in the box with a message.
    await page.getByRole('button', { name: 'One more Glass Cleaner 32 oz' }).click();
    await page.getByRole('button', { name: 'One more Glass Cleaner 32 oz' }).click();
    const coffeeQty = page.getByRole('spinbutton', {
      name: 'Quantity of Café Bustelo Espresso Ground 10 oz',
    });
    await coffeeQty.fill('0');
    await coffeeQty.press('Enter');
    await page
      .getByRole('alert')
      .getByText('Quantity must be a whole number from 1 to 9,999.')
      .waitFor();
    expect(await coffeeQty.inputValue()).toBe('0');
    await coffeeQty.fill('2');
    await coffeeQty.press('Enter');
    // 2 x 53.88 (exempt) + 3 x 35.88 with 6 % tax (6.46) = 107.76 + 107.64 + 6.46
    await eventually('the totals', async () => (await shownTotal(page)) === '$221.86', 10_000);
    const cleanerQty = page.getByRole('spinbutton', { name: 'Quantity of Glass Cleaner 32 oz' });
    expect(await cleanerQty.inputValue()).toBe('3');
    await shoot(page, 'order-2-draft');

    // Reload offline: the draft is still there.
    const reloaded = await page.reload();
    expect(reloaded?.fromServiceWorker()).toBe(true);
    await page.getByText('Draft · saved on this device').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('ul.lines > li').length === 2);
    expect(await shownTotal(page)).toBe('$221.86');

    // Submit asks first; a double click on the confirmation still makes one submission.
    await page.getByRole('button', { name: 'Submit order' }).click();
    await page.getByRole('alertdialog').getByText('$221.86').waitFor();
    await shoot(page, 'order-3-confirm');
    await page.getByRole('button', { name: 'Yes, submit' }).dblclick();
    await page.getByText(/^Submitted at \d\d:\d\d · can no longer be changed$/).waitFor();
    expect(await page.getByLabel('Add products').count()).toBe(0);
    expect(await page.getByRole('spinbutton').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Submit order' }).count()).toBe(0);
    await shoot(page, 'order-4-submitted');

    // Back on the stop: one order, submitted.
    await page.getByRole('link', { name: '‹ Stop' }).click();
    const orders = page.getByRole('region', { name: 'Orders' }).locator('ul li');
    await orders
      .first()
      .getByText(/^Submitted/)
      .waitFor();
    expect(await orders.count()).toBe(1);
    await page.getByRole('heading', { name: 'Orders' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('order-5-stop') });

    // Reconnect: the submitted order reaches master exactly once.
    await context.setOffline(false);
    const orderId = decodeURIComponent(orderUrl.slice(orderUrl.lastIndexOf('/') + 1));
    await eventually('the order in master', async () => {
      const found = await masterOrders();
      return found.length === 1 && found[0].status === 'submitted';
    });
    const [inMaster] = await masterOrders();
    expect(inMaster._id).toBe(orderId);
    expect(inMaster.totals).toEqual({ net: 21540, tax: 646, gross: 22186 });
    expect(Object.values(inMaster.lines).map((l) => [l.sku, l.qty])).toEqual([
      ['BEV-1008', 2],
      ['CLN-5001', 3],
    ]);
    const conflicts = await master().get(orderId, { conflicts: true });
    expect(conflicts._conflicts ?? []).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
