/**
 * Benchmarks in headless Chromium (Debian's /usr/bin/chromium through playwright-core):
 * - the app shell's JavaScript, gzipped, as the first visit loads it from a production build;
 * - check-in tap to UI update in the built app (demo day, 20 stops, check-in and check-out);
 * - today's-route query over 100k docs in IndexedDB (the repo's own dayRoute, bundled by Vite).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { launchChromium } from '../tests/helpers/chromium';
import { build } from 'vite';
import { startServer } from '../src/lib/server/app';
import type { RouteQueryRun } from './browser/route-query.entry';
import { percentile, round } from './stats';

const root = fileURLToPath(new URL('../', import.meta.url));
const buildDir = path.join(root, 'build');

export interface ShellSizeResult {
  name: string;
  files: number;
  rawKb: number;
  gzipKb: number;
}

export interface TapResult {
  name: string;
  taps: number;
  /** Tap (the click event's timestamp) to the recorded time in the DOM. */
  domP50Ms: number;
  domP95Ms: number;
  /** Tap to the next animation frame after that DOM change (the frame that shows it). */
  frameP50Ms: number;
  frameP95Ms: number;
}

export interface BrowserRouteQueryResult {
  name: string;
  docs: number;
  runs: number;
  fillMs: number;
  firstQueryMs: number;
  p50Ms: number;
  p95Ms: number;
}

/** Builds the app (production) into build/, as `npm start` serves it. */
export function buildApp(): void {
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const res = spawnSync(process.execPath, [vite, 'build'], { cwd: root, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`vite build failed:\n${res.stdout}\n${res.stderr}`);
}

/** Gzipped size of the JavaScript a first visit of `/` loads (fresh profile, built app). */
export async function benchShellSize(): Promise<ShellSizeResult> {
  const server = await startServer({ port: 0, host: '127.0.0.1', buildDir });
  const browser = await launchChromium();
  try {
    const scripts = new Set<string>();
    browser.page.on('response', (res) => {
      const url = new URL(res.url());
      if (url.origin === server.url && /\.m?js$/.test(url.pathname)) scripts.add(url.pathname);
    });
    await browser.page.goto(`${server.url}/`, { waitUntil: 'networkidle' });
    await browser.page.getByRole('heading', { name: 'Welcome to Outpost' }).waitFor();
    let raw = 0;
    let gzip = 0;
    for (const file of scripts) {
      if (file === '/service-worker.js') continue; // runs in its own thread, not the shell
      const body = readFileSync(path.join(buildDir, decodeURIComponent(file)));
      raw += body.length;
      gzip += gzipSync(new Uint8Array(body), { level: 9 }).length;
    }
    return {
      name: 'app shell JS (first visit of /, gzip -9)',
      files: [...scripts].filter((f) => f !== '/service-worker.js').length,
      rawKb: round(raw / 1024),
      gzipKb: round(gzip / 1024),
    };
  } finally {
    await browser.close();
    await server.close();
  }
}

/** In the page: resolves with the delay from the next click to the text showing up. */
function armTapProbe(page: Page, text: string): Promise<void> {
  return page.evaluate((wanted) => {
    const w = window as unknown as { tapProbe: Promise<{ dom: number; frame: number }> };
    w.tapProbe = new Promise((resolve) => {
      let tapAt = 0;
      document.addEventListener('click', (e) => (tapAt = e.timeStamp), {
        capture: true,
        once: true,
      });
      const observer = new MutationObserver(() => {
        if (!tapAt || !document.querySelector('main')?.textContent?.includes(wanted)) return;
        const dom = performance.now() - tapAt;
        observer.disconnect();
        requestAnimationFrame(() => resolve({ dom, frame: performance.now() - tapAt }));
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    });
  }, text);
}

/** Check-in and check-out taps on the built app's stop page, 20 stops of a demo day. */
export async function benchCheckInTap(): Promise<TapResult> {
  const server = await startServer({ port: 0, host: '127.0.0.1', buildDir });
  const browser = await launchChromium();
  const { page } = browser;
  try {
    await page.goto(`${server.url}/`);
    await page.getByLabel('Ana Ortiz').check();
    await page.getByRole('button', { name: 'Load demo day' }).click();
    await page.waitForFunction(() => document.querySelectorAll('main ol.route > li').length === 20);
    const hrefs = await page
      .locator('main ol.route > li a')
      .evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
    const dom: number[] = [];
    const frame: number[] = [];
    for (const href of hrefs.slice(0, 20)) {
      await page.goto(`${server.url}${href}`);
      for (const [button, shown] of [
        ['Check in', 'Checked in'],
        ['Check out', 'Checked out'],
      ]) {
        const target = page.getByRole('button', { name: button, exact: true });
        await target.waitFor();
        await page.waitForTimeout(300); // a rep looks at the screen before tapping
        await armTapProbe(page, shown);
        await target.click();
        const t = await page.evaluate(
          () =>
            (window as unknown as { tapProbe: Promise<{ dom: number; frame: number }> }).tapProbe,
        );
        dom.push(t.dom);
        frame.push(t.frame);
      }
    }
    if (process.env.OUTPOST_BENCH_DEBUG) console.log({ dom: dom.map((x) => round(x)) });
    return {
      name: 'check-in tap to UI update (Chromium, built app)',
      taps: dom.length,
      domP50Ms: round(percentile(dom, 50)),
      domP95Ms: round(percentile(dom, 95)),
      frameP50Ms: round(percentile(frame, 50)),
      frameP95Ms: round(percentile(frame, 95)),
    };
  } finally {
    await browser.close();
    await server.close();
  }
}

/** Today's route over `total` docs in IndexedDB in Chromium; the repo's code bundled by Vite. */
export async function benchBrowserRouteQuery(
  total = 100_000,
  runs = 50,
): Promise<BrowserRouteQueryResult> {
  const out = mkdtempSync(path.join(tmpdir(), 'outpost-bench-bundle-'));
  await build({
    configFile: false,
    logLevel: 'warn',
    root,
    resolve: { alias: { $lib: path.join(root, 'src/lib') } },
    build: {
      outDir: out,
      emptyOutDir: true,
      lib: {
        entry: path.join(root, 'bench/browser/route-query.entry.ts'),
        formats: ['es'],
        fileName: () => 'route-query.js',
      },
    },
  });
  writeFileSync(
    path.join(out, 'index.html'),
    '<!doctype html><meta charset="utf-8"><script type="module" src="/route-query.js"></script>',
  );
  const server = createServer((req, res) => {
    const file = req.url === '/route-query.js' ? 'route-query.js' : 'index.html';
    const type = file.endsWith('.js') ? 'text/javascript' : 'text/html';
    res.writeHead(200, { 'content-type': type });
    res.end(readFileSync(path.join(out, file)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const browser = await launchChromium();
  try {
    await browser.page.goto(url);
    await browser.page.waitForFunction(() => 'outpostBench' in window);
    const today = new Date().toISOString().slice(0, 10);
    const result = await browser.page.evaluate(
      ([n, r, d]) =>
        (
          window as unknown as {
            outpostBench: { run(n: number, r: number, d: string): Promise<RouteQueryRun> };
          }
        ).outpostBench.run(n, r, d),
      [total, runs, today] as [number, number, string],
    );
    return {
      name: "today's route query (Chromium, IndexedDB)",
      docs: result.docs,
      runs,
      fillMs: round(result.fillMs),
      firstQueryMs: round(result.firstQueryMs),
      p50Ms: round(percentile(result.times, 50)),
      p95Ms: round(percentile(result.times, 95)),
    };
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(out, { recursive: true, force: true });
  }
}
