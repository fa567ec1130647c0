// Issue 3 acceptance in the browser: a rep (ana) and a supervisor (sam) sign in on two devices
// against the full server (app + /couch on the embedded CouchDB-protocol server + enrolment +
// provisioner, demo team seeded). Ana works offline while sam reassigns one of her stops; when
// she reconnects her check-ins reach master with their offline times and the reassignment
// reaches her screen without a reload. Then an admin revokes her device.
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeDevice } from '../../src/lib/server/revoke';
import {
  eventually,
  DEMO_PASSWORD,
  launchBrowsers,
  screenshotPath,
  startFullServer,
  waitForServiceWorker,
  type FullServer,
  type TestBrowser,
} from './harness';

interface EventDoc {
  _id: string;
  type: 'event';
  kind: string;
  stopId: string;
  occurredAt: string;
  deviceTime: string;
  owner: string;
}

const pad = (n: number) => String(n).padStart(2, '0');
/** "09:42" in this machine's time zone (the browser runs in the same one). */
const clockTime = (iso: string) => {
  const t = new Date(iso);
  return `${pad(t.getHours())}:${pad(t.getMinutes())}`;
};

/** The sync badge in the header. */
const badge = (page: Page) => page.locator('header [data-sync-badge]');

/** Waits until the badge says `text` (substring, or a pattern). */
async function badgeSays(page: Page, text: string | RegExp, timeout = 30_000): Promise<void> {
  await badge(page).getByText(text).waitFor({ timeout });
}

/** Waits until Today lists `count` stops. */
async function routeHas(page: Page, count: number, timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    (n) => document.querySelectorAll('main ol.route > li').length === n,
    count,
    { timeout },
  );
}

/** Saves a screenshot from the top of the page (the header is sticky), without toasts. */
async function shoot(page: Page, name: string, fullPage = false): Promise<void> {
  const dismiss = page.getByRole('button', { name: 'Dismiss message' });
  while ((await dismiss.count()) > 0) await dismiss.first().click();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: screenshotPath(name), fullPage });
}

/** Opens the sign-in form from the welcome screen. */
async function openSignIn(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByRole('heading', { name: 'Welcome to Outpost' }).waitFor();
  await page.getByRole('main').getByRole('link', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
}

/** Fills in and sends the sign-in form. */
async function submitSignIn(page: Page, name: string, password: string): Promise<void> {
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('main').getByRole('button', { name: 'Sign in' }).click();
}

describe('two devices: rep offline, supervisor reassigns, live sync (full server, Chromium 390x844)', () => {
  let server: FullServer;
  let ana: TestBrowser;
  let sam: TestBrowser;
  let devices: Awaited<ReturnType<typeof launchBrowsers>> | undefined;
  const pageErrors: string[] = [];
  /** Ana's first three stops (checked in offline) and the one sam reassigns. */
  let anaStops: string[] = [];
  let reassigned = '';
  const shownTimes = new Map<string, string>();

  const master = () => server.couchAdmin.use<Record<string, unknown>>(server.masterDb);
  async function masterEvents(kind: string, stopIds: string[]): Promise<EventDoc[]> {
    const res = await master().list({ include_docs: true });
    return res.rows
      .map((r) => r.doc as unknown as EventDoc)
      .filter((d) => d?.type === 'event' && d.kind === kind && stopIds.includes(d.stopId));
  }

  beforeAll(async () => {
    server = await startFullServer();
    devices = await launchBrowsers(['ana', 'sam'], pageErrors);
    ({ ana, sam } = devices.browsers);
  });

  afterAll(async () => {
    await devices?.close();
    await server?.close();
  });

  it('syncs both devices, carries offline check-ins and a reassignment both ways', async () => {
    const a = ana.page;
    const s = sam.page;

    // Ana signs in; a wrong password is refused next to the field, keeping her name.
    await openSignIn(a, server.url);
    await submitSignIn(a, 'ana', 'not-her-password');
    await a.locator('.field-error').getByText('Name or password is incorrect.').waitFor();
    expect(await a.getByLabel('Name').inputValue()).toBe('ana');
    expect(await a.getByLabel('Password').getAttribute('aria-invalid')).toBe('true');
    expect(await a.getByLabel('Name').getAttribute('autocomplete')).toBe('username');
    expect(await a.getByLabel('Password').getAttribute('autocomplete')).toBe('current-password');
    await shoot(a, 'sync-1-signin');
    await submitSignIn(a, 'ana', DEMO_PASSWORD);

    // Her day arrives from master through her own db.
    await routeHas(a, 20);
    await badgeSays(a, 'All synced');
    await a.getByText('0 of 20 done').waitFor();
    await shoot(a, 'sync-2-today');
    const hrefs = await a
      .locator('main ol.route > li a')
      .evaluateAll((links) => links.map((l) => l.getAttribute('href') ?? ''));
    const idOf = (href: string) => decodeURIComponent(href.replace(/^\/stop\//, ''));
    anaStops = hrefs.slice(0, 3).map(idOf);
    reassigned = idOf(hrefs[9]);
    expect(anaStops[0]).toBe(`stop:demo-${server.date}-ana-01`);
    expect(reassigned).toBe(`stop:demo-${server.date}-ana-10`);

    // Sam (supervisor) signs in: offline first, which says the network is needed once.
    await openSignIn(s, server.url);
    await sam.context.setOffline(true);
    await submitSignIn(s, 'sam', DEMO_PASSWORD);
    await s.getByRole('alert').getByText('Signing in needs the network once').waitFor();
    expect(await s.getByLabel('Name').inputValue()).toBe('sam');
    await sam.context.setOffline(false);
    await s.getByRole('main').getByRole('button', { name: 'Sign in' }).click();
    // His Today is the team's day.
    await s.locator('[data-rep="ana"]').getByText('0 of 20 done').waitFor({ timeout: 30_000 });
    await s.locator('[data-rep="ben"]').getByText('0 of 20 done').waitFor({ timeout: 30_000 });
    await badgeSays(s, 'All synced');
    await shoot(s, 'sync-3-supervisor-today');

    // Ana goes offline. Reopening the app offline opens her db from the device, no network.
    await waitForServiceWorker(a);
    await badgeSays(a, 'All synced');
    const offlineAt = Date.now();
    await ana.context.setOffline(true);
    await badgeSays(a, /^Offline/);
    const reopened = await a.reload();
    expect(reopened?.fromServiceWorker()).toBe(true);
    await routeHas(a, 20);
    await badgeSays(a, /^Offline/);

    // From here on, every text the badge shows on ana's page is recorded, and a reload would
    // lose the marker.
    await a.evaluate(() => {
      const seen: string[] = [];
      const w = window as unknown as { badgeTexts: string[]; sameDocument: boolean };
      w.badgeTexts = seen;
      w.sameDocument = true;
      const read = () => {
        const badge = document.querySelector('[data-sync-badge] .text');
        const text = (badge?.textContent ?? '').replace(/\s+/g, ' ').trim();
        if (text && seen[seen.length - 1] !== text) seen.push(text);
      };
      read();
      new MutationObserver(read).observe(document.querySelector('header')!, {
        subtree: true,
        childList: true,
        characterData: true,
      });
    });

    // She checks in at her first three stops.
    for (const stopId of anaStops) {
      await a.locator(`main ol.route > li a[href="/stop/${encodeURIComponent(stopId)}"]`).click();
      await a.getByRole('button', { name: 'Check in' }).click();
      const recorded = a.locator('main').getByText(/^Checked in \d{2}:\d{2}$/);
      await recorded.waitFor();
      shownTimes.set(stopId, ((await recorded.textContent()) ?? '').replace('Checked in ', ''));
      await a.getByRole('link', { name: '‹ Today' }).click();
      await routeHas(a, 20);
    }
    await badgeSays(a, /^Offline\s-\s\d+\swaiting$/);
    const waiting = Number(/(\d+)\s+waiting/.exec((await badge(a).textContent()) ?? '')?.[1]);
    expect(waiting).toBeGreaterThanOrEqual(3);
    await shoot(a, 'sync-2-today-offline');

    // Meanwhile sam gives ana's stop #10 to ben on the Team page.
    await s.getByRole('link', { name: 'Open Team' }).click();
    await s.getByRole('heading', { name: 'Team', level: 1 }).waitFor();
    await s.locator('[data-rep="ana"] summary').click();
    const row = s.locator(`li[data-stop="${reassigned}"]`);
    await row.getByRole('button', { name: 'Reassign' }).click();
    await row.getByLabel('Give stop 10 to').selectOption('ben');
    await row.scrollIntoViewIfNeeded();
    await s.screenshot({ path: screenshotPath('sync-4-team-reassign') });
    await row.getByRole('button', { name: 'Reassign' }).click();
    await s.getByText('Stop #10 moved to Ben Okafor').waitFor();
    // Ben's stops (drawn when opened) now list it.
    await s.locator('[data-rep="ben"] summary').click();
    await s
      .locator(`[data-rep="ben"] li[data-stop="${reassigned}"]`)
      .waitFor({ state: 'attached' });
    await s.locator('[data-rep="ana"]').getByText('0 of 19 done').waitFor();
    // And moves ben's last stop to tomorrow: it leaves today's team view.
    const benLast = s.locator(`li[data-stop="stop:demo-${server.date}-ben-20"]`);
    await benLast.getByRole('button', { name: 'Reschedule' }).click();
    const dateField = benLast.getByLabel('Move stop 20 to');
    expect(await dateField.getAttribute('min')).toBe(server.date);
    const tomorrow = await dateField.inputValue();
    expect(tomorrow > server.date).toBe(true);
    await benLast.getByRole('button', { name: 'Reschedule' }).click();
    await s.getByText(/^Stop #20 moved to \w{3} \d+ \w{3}$/).waitFor();
    await s.locator('[data-rep="ben"]').getByText('0 of 20 done').waitFor();
    expect(await benLast.count()).toBe(0);
    await badgeSays(s, 'All synced');
    await shoot(s, 'sync-5-team', true);
    await eventually(
      "sam's reassignment (an update of a stop master already has) in master",
      async () => {
        const stop = await master().get(reassigned);
        return stop.assignee === 'ben';
      },
    );
    // Ana, offline, cannot know yet.
    await routeHas(a, 20);

    // Ana reconnects: the badge goes "Syncing…" then "All synced".
    const reconnectAt = Date.now();
    await ana.context.setOffline(false);
    await badgeSays(a, 'All synced', 60_000);
    const seen = await a.evaluate(() => (window as unknown as { badgeTexts: string[] }).badgeTexts);
    const offlineIndex = seen.findIndex((t) => t.startsWith('Offline'));
    const syncingIndex = seen.findIndex((t, i) => i > offlineIndex && t.startsWith('Syncing'));
    expect(offlineIndex, seen.join(' | ')).toBeGreaterThanOrEqual(0);
    expect(syncingIndex, seen.join(' | ')).toBeGreaterThan(offlineIndex);
    expect(seen.lastIndexOf('All synced'), seen.join(' | ')).toBeGreaterThan(syncingIndex);

    // The reassigned stop leaves her route, without a reload.
    await routeHas(a, 19);
    expect(await a.locator(`a[href="/stop/${encodeURIComponent(reassigned)}"]`).count()).toBe(0);
    expect(
      await a.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument),
    ).toBe(true);
    await a.getByText('0 of 19 done').waitFor();

    // Master holds the three check-ins, timed when they happened offline, not when they synced.
    await eventually('3 check-ins in master', async () => {
      return (await masterEvents('check_in', anaStops)).length === 3;
    });
    const events = await masterEvents('check_in', anaStops);
    for (const event of events) {
      const occurred = Date.parse(event.occurredAt);
      expect(occurred, event._id).toBeLessThan(reconnectAt);
      expect(occurred, event._id).toBeGreaterThanOrEqual(offlineAt - 2000);
      expect(clockTime(event.occurredAt), event._id).toBe(shownTimes.get(event.stopId));
      expect(event.owner).toBe('ana');
    }
    expect(new Set(events.map((e) => e.stopId))).toEqual(new Set(anaStops));
    // The stops' new status (an update of docs the server already had) reached master too...
    await eventually('the checked-in stops in master', async () => {
      const stops = await Promise.all(anaStops.map((id) => master().get(id)));
      return stops.every((stop) => stop.status === 'arrived');
    });
    // ...and, from there, the supervisor's screen.
    await s.getByRole('link', { name: '‹ Today' }).click();
    await s
      .locator('[data-rep="ana"] .counts')
      .getByText('3 checked in')
      .waitFor({ timeout: 30_000 });

    // The badge opens the Sync page.
    await badge(a).click();
    await a.getByRole('heading', { name: 'Sync', level: 1 }).waitFor();
    await a.getByText('Up to date').waitFor();
    await a.locator('dd', { hasText: /^Nothing$/ }).waitFor();
    await a.getByText('Ana Ortiz (ana), rep').waitFor();
    expect(await a.locator('[data-device-user]').textContent()).toMatch(/^ana~/);
    await shoot(a, 'sync-6-sync-page', true);
    expect(pageErrors).toEqual([]);
  }, 240_000);

  it('shows a revoked device as signed out by an admin; data stays usable and exportable', async () => {
    // Starts from wherever the first test left ana: online, signed in, her route on Today.
    const a = ana.page;
    await ana.context.setOffline(false);
    await badgeSays(a, 'All synced', 60_000);
    await badge(a).click();
    await a.getByRole('heading', { name: 'Sync', level: 1 }).waitFor();
    await a.getByRole('link', { name: '‹ Today' }).click();
    await a.locator('main ol.route > li').first().waitFor();
    const stops = await a.locator('main ol.route > li').count();
    await badge(a).click();
    const username = ((await a.locator('[data-device-user]').textContent()) ?? '').trim();
    expect(await revokeDevice(server.couchAdmin, username)).toBe(true);

    // Ana keeps working: she checks out of her first stop; the server refuses the push.
    await a.getByRole('link', { name: '‹ Today' }).click();
    await a
      .locator(`main ol.route > li a[href="/stop/${encodeURIComponent(anaStops[0])}"]`)
      .click();
    await a.getByRole('button', { name: 'Check out' }).click();
    await a
      .locator('main')
      .getByText(/^Checked out \d{2}:\d{2}$/)
      .waitFor();
    const notice = a.locator('section.revoked');
    await notice
      .getByRole('heading', { name: 'This device was signed out by an admin' })
      .waitFor({ timeout: 30_000 });
    await badgeSays(a, 'Sign in to sync');
    await notice.getByText(/^\d+ changes? ha(s|ve) not reached the server\.$/).waitFor();
    await shoot(a, 'sync-7-revoked');

    // "Export my data" downloads everything on the device as JSON, check-ins included.
    const [download] = await Promise.all([
      a.waitForEvent('download'),
      notice.getByRole('button', { name: 'Export my data' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^outpost-ana-\d{4}-\d{2}-\d{2}-\d{4}\.json$/);
    const exported = JSON.parse(readFileSync(await download.path(), 'utf8')) as {
      user: string;
      count: number;
      docs: EventDoc[];
    };
    expect(exported.user).toBe('ana');
    expect(exported.count).toBe(exported.docs.length);
    const checkIns = exported.docs.filter((d) => d.type === 'event' && d.kind === 'check_in');
    expect(new Set(checkIns.map((d) => d.stopId))).toEqual(new Set(anaStops));
    expect(exported.docs.some((d) => d.type === 'event' && d.kind === 'check_out')).toBe(true);

    // Her data is still here and usable.
    await a.getByRole('link', { name: '‹ Today' }).click();
    await routeHas(a, stops);
    await a.getByText(`1 of ${stops} done`).waitFor();
    await notice.waitFor();

    // Signing in again enrols the device anew and the waiting check-out goes out.
    await notice.getByRole('link', { name: 'Sign in again' }).click();
    await a.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    expect(await a.getByLabel('Name').inputValue()).toBe('ana');
    await a.getByLabel('Password').fill(DEMO_PASSWORD);
    await a.getByRole('main').getByRole('button', { name: 'Sign in' }).click();
    await badgeSays(a, 'All synced', 60_000);
    expect(await notice.count()).toBe(0);
    await eventually('the check-out in master', async () => {
      return (await masterEvents('check_out', [anaStops[0]])).length === 1;
    });

    // Signing out (after a confirmation) forgets the credential but keeps her data.
    await badge(a).click();
    await a.getByRole('button', { name: 'Sign out of this device' }).click();
    await a.getByText('Sign out of this device?').waitFor();
    await a.getByRole('button', { name: 'Sign out', exact: true }).click();
    await a.getByRole('heading', { name: 'Welcome to Outpost' }).waitFor();
    expect(await badge(a).count()).toBe(0);
    await a.getByRole('main').getByRole('link', { name: 'Sign in' }).click();
    await submitSignIn(a, 'ana', DEMO_PASSWORD);
    await routeHas(a, stops);
    await a.getByText(`1 of ${stops} done`).waitFor();
    await badgeSays(a, 'All synced');
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
