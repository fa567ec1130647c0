// Issue 4 acceptance in the browser: the conflict inbox. A rep (ana) and her supervisor (sam)
// sign in on two devices against the full server (app + /couch on the embedded
// CouchDB-protocol server + enrolment + provisioner + resolver worker, demo team seeded). Ana
// writes a note at a stop; offline she edits it while sam edits the same note on the stop page
// (reached from Team). When she reconnects, both devices and master converge on one text (sam's,
// written last), her inbox badge says 1, the inbox shows both texts side by side with the
// changed field marked, and "Restore other" makes her text current everywhere.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  badgeSays,
  eventually,
  launchBrowsers,
  signIn,
  screenshotPath,
  startFullServer,
  type FullServer,
  type TestBrowser,
} from './harness';

const FIRST = 'Gate code 1234';
const ANA_TEXT = 'Gate code 1234 - ask for Maria at the loading dock';
const SAM_TEXT = 'Gate code changed to 9876 since Monday';

/** The sync badge in the header. */
const syncBadge = (page: Page) => page.locator('header [data-sync-badge]');

/** The inbox badge in the header (present only while something needs review). */
const inboxBadge = (page: Page) => page.locator('header [data-inbox-badge]');

/** Removes toasts, scrolls to the top and saves a screenshot. */
async function shoot(page: Page, name: string, fullPage = true): Promise<void> {
  const dismiss = page.getByRole('button', { name: 'Dismiss message' });
  while ((await dismiss.count()) > 0) await dismiss.first().click();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: screenshotPath(name), fullPage });
}

/** Asserts the header's badges and menu fit a screen `width` px wide, the sync badge whole. */
async function headerFits(page: Page, width: number): Promise<void> {
  const boxes = await page.evaluate(() =>
    [...document.querySelectorAll('header .brand, header .right > *')].map((el) => {
      const box = el.getBoundingClientRect();
      return { what: el.className.toString(), right: box.right };
    }),
  );
  // Within the bar's own padding (0.6rem), not just the screen.
  for (const box of boxes) expect(box.right, box.what).toBeLessThanOrEqual(width - 8);
  expect(
    await syncBadge(page).evaluate(
      (el) => el.scrollWidth <= el.clientWidth && el.clientHeight < 50,
    ),
  ).toBe(true);
}

/** The texts of the notes the stop page shows. */
function noteTexts(page: Page): Promise<string[]> {
  return page
    .locator('main li p.text')
    .evaluateAll((ps) => ps.map((p) => (p.textContent ?? '').trim()));
}

/** Waits until the stop page shows exactly these note texts. */
async function notesAre(page: Page, texts: string[], timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    (want) => {
      const got = [...document.querySelectorAll('main li p.text')].map((p) =>
        (p.textContent ?? '').trim(),
      );
      return JSON.stringify(got) === JSON.stringify(want);
    },
    texts,
    { timeout },
  );
}

/** Edits the (only) note on the stop page. */
async function editNote(page: Page, text: string): Promise<void> {
  await page.getByRole('button', { name: /^Edit note/ }).click();
  const form = page.locator('form', { has: page.getByLabel('Edit note') });
  await form.getByLabel('Edit note').fill(text);
  await form.getByRole('button', { name: 'Save' }).click();
}

describe('conflict inbox: concurrent note edits on two devices (full server, Chromium 390x844)', () => {
  let server: FullServer;
  let ana: TestBrowser;
  let sam: TestBrowser;
  let devices: Awaited<ReturnType<typeof launchBrowsers>> | undefined;
  const pageErrors: string[] = [];

  const master = () => server.couchAdmin.use<Record<string, unknown>>(server.masterDb);

  beforeAll(async () => {
    server = await startFullServer();
    devices = await launchBrowsers(['ana', 'sam'], pageErrors);
    ({ ana, sam } = devices.browsers);
  });

  afterAll(async () => {
    await devices?.close();
    await server?.close();
  });

  it('converges, lists the note side by side in the inbox, and restores the other text everywhere', async () => {
    const a = ana.page;
    const s = sam.page;
    const stopId = `stop:demo-${server.date}-ana-01`;
    const stopLink = `a[href="/stop/${encodeURIComponent(stopId)}"]`;

    // Both sign in and are up to date.
    await signIn(a, server.url, 'ana');
    await a.locator('main ol.route > li').nth(19).waitFor({ timeout: 30_000 });
    await badgeSays(a, 'All synced');
    await signIn(s, server.url, 'sam');
    await s.locator('[data-rep="ana"]').getByText('0 of 20 done').waitFor({ timeout: 30_000 });
    await badgeSays(s, 'All synced');
    // Nothing to review: no inbox badge; the menu still leads to the (empty) inbox.
    expect(await inboxBadge(a).count()).toBe(0);

    // Ana writes a note at her first stop.
    await a.locator(`main ol.route > li ${stopLink}`).click();
    const newNote = a.locator('form', { has: a.getByLabel('New note') });
    await newNote.getByLabel('New note').fill(FIRST);
    await newNote.getByRole('button', { name: 'Save' }).click();
    await a.getByText('Note saved').waitFor();
    await notesAre(a, [FIRST]);
    let noteId = '';
    await eventually('the note in master', async () => {
      const res = await master().list({ include_docs: true });
      const note = res.rows.find((r) => r.doc?.type === 'note' && r.doc.stopId === stopId);
      noteId = note?.id ?? '';
      return note?.doc?.text === FIRST;
    });
    await badgeSays(a, 'All synced');

    // Sam opens that stop from Team and sees the note.
    await s.getByRole('link', { name: 'Open Team' }).click();
    await s.getByRole('heading', { name: 'Team', level: 1 }).waitFor();
    await s.locator('[data-rep="ana"] summary').click();
    await s.locator(`li[data-stop="${stopId}"] ${stopLink}`).click();
    await notesAre(s, [FIRST]);
    await badgeSays(s, 'All synced');

    // Ana goes offline and edits the note; sam edits the same note meanwhile (later).
    await ana.context.setOffline(true);
    await badgeSays(a, /^Offline/);
    await editNote(a, ANA_TEXT);
    await a.getByText('Note updated (offline)').waitFor();
    await notesAre(a, [ANA_TEXT]);
    await editNote(s, SAM_TEXT);
    await s.getByText('Note updated').waitFor();
    await notesAre(s, [SAM_TEXT]);
    await badgeSays(s, 'All synced');
    await eventually("sam's text in master", async () => {
      return (await master().get(noteId)).text === SAM_TEXT;
    });

    // Ana reconnects: the two edits meet; every replica resolves them the same way.
    await ana.context.setOffline(false);
    await badgeSays(a, 'All synced', 60_000);
    await notesAre(a, [SAM_TEXT]);
    await notesAre(s, [SAM_TEXT]);
    await eventually('one merged note in master, no conflict', async () => {
      const doc = await master().get(noteId, { conflicts: true });
      return doc.text === SAM_TEXT && !doc._conflicts;
    });
    await badgeSays(a, 'All synced');
    await badgeSays(s, 'All synced');

    // Ana's badge: one item to review (sam's too: it is his team's note).
    const anaBadge = a.getByRole('link', { name: 'Inbox, 1 to review' });
    await anaBadge.waitFor({ timeout: 30_000 });
    expect((await inboxBadge(a).textContent())?.trim()).toBe('1');
    // The header still fits at 390 px: every badge whole (nothing squeezed) and on screen.
    await headerFits(a, 390);
    expect((await inboxBadge(a).boundingBox())?.width).toBeGreaterThanOrEqual(44);
    expect((await a.locator('header [data-inbox-badge] svg').boundingBox())?.width).toBeGreaterThan(
      20,
    );
    await shoot(a, 'inbox-0-badge', false);

    // Sam's inbox lists it too, as his team's (ana's) note; he leaves it to her.
    await s.getByRole('link', { name: 'Inbox, 1 to review' }).click({ timeout: 30_000 });
    const samItem = s.locator(`[data-inbox-item="${noteId}"]`);
    await samItem.getByText('Note · Ana Ortiz').waitFor();
    await samItem.getByRole('region', { name: 'Other version' }).getByText(ANA_TEXT).waitFor();
    await shoot(s, 'inbox-supervisor');
    await s.goBack();
    await notesAre(s, [SAM_TEXT]);

    // The inbox lists the note under "Needs review": both texts side by side, text marked.
    await anaBadge.click();
    await a.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor();
    const needs = a.getByRole('region', { name: /^Needs review/ });
    await needs.getByRole('heading', { name: 'Needs review (1)' }).waitFor();
    expect(await a.getByRole('heading', { name: /^Resolved for you/ }).count()).toBe(0);
    const item = needs.locator(`[data-inbox-item="${noteId}"]`);
    await item.waitFor();
    await item
      .getByRole('heading', { name: `“${SAM_TEXT.split(' ').slice(0, 6).join(' ')}…”` })
      .waitFor();
    // Stored in UTC with the user name; worded in this device's local time, by display name.
    await item
      .getByText(
        /^Kept the text written last \(\d{2}:\d{2} by Sam Lindqvist\); the other text is in the inbox\.$/,
      )
      .waitFor();
    const kept = item.getByRole('region', { name: /^Kept/ });
    const other = item.getByRole('region', { name: 'Other version' });
    await kept.locator('dd', { hasText: SAM_TEXT }).waitFor();
    await other.locator('dd', { hasText: ANA_TEXT }).waitFor();
    for (const side of [kept, other]) {
      expect(await side.locator('dt').allTextContents()).toEqual(['Text Changed']);
    }
    await kept.getByText('by Sam Lindqvist', { exact: false }).waitFor();
    await other.getByText(/^by you, \d{2}:\d{2}$/).waitFor();
    // At 390 px the versions stack: "Kept" above "Other version", both full width.
    const [k, o] = [await kept.boundingBox(), await other.boundingBox()];
    expect(k && o && k.y + k.height <= o.y && Math.abs(k.x - o.x) < 1).toBe(true);
    expect(k!.width).toBeGreaterThan(280);
    const overflow = await a.evaluate(
      () => document.documentElement.scrollWidth > document.documentElement.clientWidth,
    );
    expect(overflow).toBe(false);
    await shoot(a, 'inbox-side-by-side');

    // Still readable at 360 px: nothing wider than the screen.
    await a.setViewportSize({ width: 360, height: 800 });
    expect(
      await a.evaluate(
        () => document.documentElement.scrollWidth <= document.documentElement.clientWidth,
      ),
    ).toBe(true);
    await shoot(a, 'inbox-side-by-side-360');
    await headerFits(a, 360);

    // Where there is room they stand side by side.
    await a.setViewportSize({ width: 900, height: 900 });
    const [kw, ow] = [await kept.boundingBox(), await other.boundingBox()];
    expect(kw && ow && Math.abs(kw.y - ow.y) < 1 && kw.x + kw.width <= ow.x).toBe(true);
    await shoot(a, 'inbox-side-by-side-wide');
    await a.setViewportSize({ width: 390, height: 844 });

    // "Restore other" asks first, then makes ana's text current and empties the inbox.
    await other.getByRole('button', { name: 'Restore other' }).click();
    const question = other.getByRole('group', {
      name: 'Restore the other version? Its text replaces the current one on every device.',
    });
    await question.waitFor();
    await question.scrollIntoViewIfNeeded();
    await a.screenshot({ path: screenshotPath('inbox-restore-confirm') });
    await question.getByRole('button', { name: 'Restore' }).click();
    await a.getByText('Restored the other version').waitFor();
    await a
      .getByText('Nothing to review. Conflicts Outpost resolves for you show up here too.')
      .waitFor();
    expect(await inboxBadge(a).count()).toBe(0);
    await badgeSays(a, 'All synced');
    await shoot(a, 'inbox-empty');

    // The other text is current on ana's stop page...
    await a.getByRole('link', { name: '‹ Today' }).click();
    await a.locator(`main ol.route > li ${stopLink}`).click();
    await notesAre(a, [ANA_TEXT]);
    // ...and, after sync, in master and on sam's device, whose inbox empties too.
    await notesAre(s, [ANA_TEXT], 60_000);
    await eventually('the restored text in master, no conflict', async () => {
      const doc = await master().get(noteId, { conflicts: true });
      return doc.text === ANA_TEXT && !doc._conflicts;
    });
    await inboxBadge(s).waitFor({ state: 'detached', timeout: 30_000 });
    await badgeSays(a, 'All synced');
    await badgeSays(s, 'All synced');
    expect(await noteTexts(s)).toEqual([ANA_TEXT]);
    await s.locator('header .menu summary').click();
    await s.getByRole('link', { name: 'Inbox', exact: true }).click();
    await s
      .getByText('Nothing to review. Conflicts Outpost resolves for you show up here too.')
      .waitFor();
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
