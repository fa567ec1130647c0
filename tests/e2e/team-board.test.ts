// Issue 14 in the browser: the supervisor's live team board against the full server. Ana (rep)
// and Sam (supervisor) sign in on two devices. Ana's device reports its status doc, which
// reaches Sam's board through master; her check-in appears on the board without a reload. Ana
// goes offline; Sam's board, offline too, keeps the last known data and says how old it is; a
// test clock (Playwright's, on Sam's browser only) moves 95 minutes on: her device's last seen
// ages and the stale flag shows (90 minutes), since her day is under way. Back online, her next check-in
// appears live and the flag is gone. Screenshots: the board at desktop and phone width, and
// the timeline.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  badgeSays,
  eventually,
  launchBrowsers,
  screenshotPath,
  signIn,
  startFullServer,
  type FullServer,
  type TestBrowser,
} from './harness';

const pad = (n: number) => String(n).padStart(2, '0');
/** "09:42" in this machine's time zone (the browsers run in the same one). */
const clockTime = (t: Date) => `${pad(t.getHours())}:${pad(t.getMinutes())}`;

/** Ana's card on the board. */
const anaCard = (page: Page) => page.locator('[data-rep="ana"]');

async function shoot(page: Page, name: string, fullPage = false): Promise<string> {
  const dismiss = page.getByRole('button', { name: 'Dismiss message' });
  while ((await dismiss.count()) > 0) await dismiss.first().click();
  await page.evaluate(() => window.scrollTo(0, 0));
  const path = screenshotPath(name);
  await page.screenshot({ path, fullPage });
  return path;
}

/** Checks in (or out) at the stop page of `stopId` and returns the time the button shows. */
async function tap(page: Page, url: string, stopId: string, button: string): Promise<string> {
  await page.goto(`${url}/stop/${encodeURIComponent(stopId)}`);
  await page.getByRole('button', { name: button, exact: true }).click();
  const done = button === 'Check in' ? 'Checked in' : 'Checked out';
  const shown = page.getByText(new RegExp(`${done} \\d{2}:\\d{2}`)).first();
  await shown.waitFor();
  return /\d{2}:\d{2}/.exec((await shown.textContent()) ?? '')![0];
}

describe('team board: live, offline, stale devices (full server, Chromium)', () => {
  let server: FullServer;
  let ana: TestBrowser;
  let sam: TestBrowser;
  let devices: Awaited<ReturnType<typeof launchBrowsers>> | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startFullServer();
    devices = await launchBrowsers(['ana', 'sam'], pageErrors);
    ({ ana, sam } = devices.browsers);
    // Sam's browser runs on a test clock (time flows as usual until the test moves it).
    await sam.page.clock.install();
  });

  afterAll(async () => {
    await devices?.close();
    await server?.close();
  });

  it("shows a rep's device and check-ins live, ages her device offline and flags it", async () => {
    const a = ana.page;
    const s = sam.page;
    const stop1 = `stop:demo-${server.date}-ana-01`;
    const stop2 = `stop:demo-${server.date}-ana-02`;

    await signIn(a, server.url, 'ana');
    await a.getByText('0 of 20 done').waitFor({ timeout: 30_000 });
    await badgeSays(a, 'All synced');
    await signIn(s, server.url, 'sam');
    await badgeSays(s, 'All synced');
    await s.goto(`${server.url}/team`);
    await s.getByRole('heading', { name: 'Team', level: 1 }).waitFor();
    await anaCard(s).getByRole('heading', { name: 'Ana Ortiz' }).waitFor();
    expect(await s.locator('[data-rep="ben"]').count()).toBe(1);

    // Ana's device reports itself; its status doc reaches Sam's board through master.
    const anaDevice = anaCard(s).locator('[data-device^="device:ana~"]');
    await anaDevice.waitFor({ timeout: 60_000 });
    expect(await anaDevice.locator('[data-last-seen]').textContent()).toMatch(
      /just now|\d+ min ago/,
    );
    expect(await anaDevice.locator('[data-pending]').textContent()).toBe('Nothing waiting');
    // Sam's own device reports too, named as this device.
    const samDevice = s.locator('[data-rep="sam"] [data-device^="device:sam~"]');
    await samDevice.waitFor({ timeout: 60_000 });
    expect(await samDevice.getByText('(this device)').count()).toBe(1);
    await s
      .locator('[data-board-age]')
      .getByText(/^Live:/)
      .waitFor();

    // Her check-in appears on the board live (no reload).
    const firstIn = await tap(a, server.url, stop1, 'Check in');
    await anaCard(s).locator('[data-last-checkin]').getByText(firstIn).waitFor();
    await anaCard(s).locator('[data-current]').waitFor();
    expect(await anaCard(s).locator('[data-timeline] [data-row="ongoing"]').count()).toBe(1);

    // Ana goes offline, then Sam: his board keeps what it had and says how old it is. (Sam is
    // offline while his clock moves: online, the session clock would learn the server's time
    // from the next response and correct the jump away, as it should.)
    await ana.context.setOffline(true);
    await badgeSays(a, /Offline/);
    await sam.context.setOffline(true);
    await badgeSays(s, /Offline/);
    await s
      .locator('[data-board-age]')
      .getByText(/^Offline: showing what this device last heard/)
      .waitFor();
    expect(await anaDevice.locator('[data-flag="stale"]').count()).toBe(0);

    // 95 minutes later on Sam's clock: her device's last seen has aged past the threshold (90
    // minutes) while her day is under way.
    await s.clock.fastForward('01:35:00');
    await anaDevice
      .locator('[data-last-seen]')
      .getByText(/^1 h 3\d min ago$/)
      .waitFor();
    const flag = anaDevice.locator('[data-flag="stale"]');
    await flag.waitFor();
    expect(await flag.textContent()).toMatch(/^Not synced for 1 h 3\d min$/);
    await anaCard(s).locator('[data-attention]').getByText('Needs a look').waitFor();
    await s
      .locator('[data-board-age]')
      .getByText(/1 h 3\d min ago\.$/)
      .waitFor();
    await s.getByText(/1 needs a look/).waitFor();

    // Screenshots: the board at phone width (the browsers' default), desktop, the timeline.
    const shots = [await shoot(s, 'team-board-phone', true)];
    await s.setViewportSize({ width: 1280, height: 900 });
    shots.push(await shoot(s, 'team-board-desktop', true));
    const timeline = anaCard(s).locator('[data-timeline]');
    await timeline.screenshot({ path: screenshotPath('team-board-timeline') });
    shots.push(screenshotPath('team-board-timeline'));
    await s.setViewportSize({ width: 390, height: 844 });
    expect(shots).toHaveLength(3);

    // Both back online: Sam's clock is corrected by the server's again, Ana's next check-in
    // (made offline, then synced) appears live and the flag is gone.
    await sam.context.setOffline(false);
    await ana.context.setOffline(false);
    await tap(a, server.url, stop1, 'Check out');
    const secondIn = await tap(a, server.url, stop2, 'Check in');
    await badgeSays(a, 'All synced');
    await anaCard(s)
      .locator('[data-last-checkin]')
      .getByText(secondIn)
      .waitFor({ timeout: 60_000 });
    await eventually('the stale flag to go', async () => (await flag.count()) === 0, 60_000);
    await s
      .locator('[data-board-age]')
      .getByText(/^Live:/)
      .waitFor({ timeout: 60_000 });
    expect(clockTime(new Date())).toMatch(/^\d{2}:\d{2}$/);
    expect(pageErrors).toEqual([]);
  });
});
