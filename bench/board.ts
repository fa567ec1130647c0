/**
 * Bench: the team board with 50 reps and 100 devices in Chromium (issue 14, target p95 < 16 ms
 * per change). bench/browser/board.entry.ts fills IndexedDB, renders the board as /team does
 * and writes one change at a time; this file bundles it with Vite (Svelte components compiled
 * as the app compiles them), serves it and reports the percentiles.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { build } from 'vite';
import { launchChromium } from '../tests/helpers/chromium';
import type { BoardRun } from './browser/board.entry';
import { percentile, round } from './stats';

const root = fileURLToPath(new URL('../', import.meta.url));

export interface BoardBenchResult {
  name: string;
  reps: number;
  devices: number;
  docs: number;
  changes: number;
  /** The app's three indexes, built once per device over its data (not the board's doing). */
  appIndexMs: number;
  /** The board's own events-by-time index and its first read, once per device. */
  indexMs: number;
  /** Opening the board: reading the day from IndexedDB and the first render. */
  firstBoardMs: number;
  firstRenderMs: number;
  /** Per change: the board's own work (model.apply to the DOM updated). */
  p50Ms: number;
  p95Ms: number;
  /** Per change: to the next animation frame (style, layout). */
  frameP95Ms: number;
  /** Per change: from the IndexedDB write to the DOM. */
  writeP95Ms: number;
  domNodes: number;
}

/** Builds the entry into a folder of its own; returns the folder. */
async function bundle(): Promise<string> {
  const out = mkdtempSync(path.join(tmpdir(), 'outpost-bench-board-'));
  await build({
    configFile: false,
    logLevel: 'warn',
    root,
    plugins: [svelte()],
    resolve: {
      alias: {
        $lib: path.join(root, 'src/lib'),
        '$app/paths': path.join(root, 'bench/browser/app-paths.stub.ts'),
      },
    },
    build: {
      outDir: out,
      emptyOutDir: true,
      lib: {
        entry: path.join(root, 'bench/browser/board.entry.ts'),
        formats: ['es'],
        fileName: () => 'board.js',
      },
    },
  });
  const styles = readdirSync(out).filter((f) => f.endsWith('.css'));
  writeFileSync(
    path.join(out, 'index.html'),
    '<!doctype html><meta charset="utf-8">' +
      styles.map((f) => `<link rel="stylesheet" href="/${f}">`).join('') +
      '<script type="module" src="/board.js"></script>',
  );
  return out;
}

/** Renders the board of `reps` reps and times `changes` changes. */
export async function benchBoard(reps = 50, changes = 300): Promise<BoardBenchResult> {
  const out = await bundle();
  const server = createServer((req, res) => {
    const file = path.basename(new URL(req.url ?? '/', 'http://x').pathname) || 'index.html';
    const full = path.join(out, file);
    const type = file.endsWith('.js')
      ? 'text/javascript'
      : file.endsWith('.css')
        ? 'text/css'
        : 'text/html';
    try {
      const body = readFileSync(full);
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    } catch {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(readFileSync(path.join(out, 'index.html')));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const browser = await launchChromium();
  try {
    await browser.page.setViewportSize({ width: 1280, height: 900 });
    await browser.page.goto(url);
    await browser.page.waitForFunction(() => 'outpostBench' in window);
    const date = new Date().toISOString().slice(0, 10);
    const r = await browser.page.evaluate(
      ([n, c, d]) =>
        (
          window as unknown as {
            outpostBench: { run(n: number, c: number, d: string): Promise<BoardRun> };
          }
        ).outpostBench.run(n, c, d),
      [reps, changes, date] as [number, number, string],
    );
    if (process.env.OUTPOST_BENCH_DEBUG) console.log(r.boardMs.map((x) => round(x)));
    return {
      name: 'team board: one change to the DOM (Chromium, IndexedDB)',
      reps: r.reps,
      devices: r.devices,
      docs: r.docs,
      changes: r.boardMs.length,
      appIndexMs: round(r.appIndexMs),
      indexMs: round(r.indexMs),
      firstBoardMs: round(r.firstBoardMs),
      firstRenderMs: round(r.firstRenderMs),
      p50Ms: round(percentile(r.boardMs, 50)),
      p95Ms: round(percentile(r.boardMs, 95)),
      frameP95Ms: round(percentile(r.frameMs, 95)),
      writeP95Ms: round(percentile(r.writeMs, 95)),
      domNodes: r.domNodes,
    };
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] && process.argv[1].endsWith('board.ts')) {
  benchBoard().then(
    (r) => console.log(r),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

/** The PERFORMANCE.md row. */
export function boardRow(r: BoardBenchResult): string {
  return `| ${r.name} | ${r.reps} reps x 20 stops, ${r.devices} devices, ${r.docs} docs in IndexedDB; the board as /team renders it (1280 px); ${r.changes} changes one at a time (device status, check-in, stop done) | per change, model.apply to the DOM updated p50 ${r.p50Ms} ms, **p95 ${r.p95Ms} ms**; to the next frame p95 ${r.frameP95Ms} ms; write to the DOM p95 ${r.writeP95Ms} ms. Opening: read and first render ${r.firstBoardMs} ms (render ${r.firstRenderMs} ms, ${r.domNodes} DOM nodes); once per device, the app's indexes ${r.appIndexMs} ms and the board's events index ${r.indexMs} ms | p95 < 16 ms per change: ${r.p95Ms < 16 ? 'met' : 'NOT MET'} |`;
}
