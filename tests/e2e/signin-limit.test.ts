import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignInLimiter } from '../../src/lib/server/sign-in-limiter';
import {
  DEMO_PASSWORD,
  launchBrowser,
  screenshotPath,
  startFullServer,
  type FullServer,
  type TestBrowser,
} from './harness';

/**
 * Too many failed sign-ins (the server answers 429 with Retry-After): the sign-in page says when
 * to try again, counts the wait down on its button, keeps what was typed, and signs in with the
 * right password once the wait is over. The server's limiter runs on a clock the test moves.
 */
describe('sign-in page after too many failed sign-ins', () => {
  let server: FullServer;
  let browser: TestBrowser;
  let now = Date.parse('2026-11-22T08:00:00.000Z');

  beforeAll(async () => {
    server = await startFullServer({ signInLimiter: createSignInLimiter({ now: () => now }) });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('says when to try again, keeps the input, and the right password works after the wait', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/signin?name=ana`);
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    const main = page.getByRole('main');
    const button = main.getByRole('button', { name: /Sign in|Try again/ });
    for (let i = 0; i < 5; i++) {
      await page.getByLabel('Password').fill(`wrong-${i}`);
      await button.click();
      await main.getByText('Name or password is incorrect.').waitFor();
      await main.getByRole('button', { name: 'Sign in' }).waitFor();
    }
    await page.getByLabel('Password').fill('wrong-5');
    await button.click();
    await main
      .getByRole('alert')
      .getByText('Too many failed sign-ins. Try again in 1 second.')
      .waitFor();
    await main.getByRole('button', { name: 'Try again in 1 s' }).waitFor();
    expect(await main.getByRole('button', { name: 'Try again in 1 s' }).isDisabled()).toBe(true);
    expect(await page.getByLabel('Name').inputValue()).toBe('ana');
    expect(await page.getByLabel('Password').inputValue()).toBe('wrong-5');
    await page.screenshot({ path: screenshotPath('signin-too-many'), fullPage: true });

    now += 1000; // the server's wait is over; the page's own countdown ends by itself
    await main.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await main.getByRole('alert').count()).toBe(0);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await main.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(/Signed in as/).waitFor();
  });
});
