/**
 * Stopping the embedded server releases what it opened: a process that starts and stops it many
 * times on one data folder (the chaos harness, test suites) keeps a flat file-descriptor count,
 * no stopped server writes to its closed dbs, and the data is there at the next start; a live
 * `_changes` request whose client went away leaves no timer or feed behind.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startEmbeddedCouch } from '../../src/lib/server/embedded/server';

const admin = { name: 'admin', password: 'close-test-pw' };
const headers = {
  authorization: 'Basic ' + Buffer.from(`${admin.name}:${admin.password}`).toString('base64'),
  'content-type': 'application/json',
};
const openFds = () => readdirSync('/proc/self/fd').length;
const dataDir = mkdtempSync(join(tmpdir(), 'outpost-close-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** One server lifetime: creates a shared and a new db, writes and reads, then stops. */
async function cycle(i: number): Promise<string[]> {
  const couch = await startEmbeddedCouch({ dataDir, admin });
  try {
    for (const db of ['shared', `db-${i}`]) {
      await fetch(`${couch.url}/${db}`, { method: 'PUT', headers });
      const put = await fetch(`${couch.url}/${db}/doc-${i}`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ i }),
      });
      expect(put.status).toBe(201);
    }
    const res = await fetch(`${couch.url}/shared/_all_docs`, { headers });
    const body = (await res.json()) as { rows: { id: string }[] };
    return body.rows.map((r) => r.id);
  } finally {
    await couch.close();
  }
}

// Open descriptors are counted in /proc/self/fd, which only Linux has (CI and these machines run
// Linux; the `_changes` test below runs everywhere).
describe.skipIf(!process.platform.startsWith('linux'))('embedded server close', () => {
  it('leaves no file open and no write behind after each stop', async () => {
    const errors = vi.spyOn(console, 'error');
    await cycle(0); // first start loads modules and opens process-wide handles once
    const before = openFds();
    let ids: string[] = [];
    for (let i = 1; i <= 6; i++) ids = await cycle(i);
    expect(openFds()).toBeLessThanOrEqual(before + 2);
    expect(ids).toEqual(['doc-0', 'doc-1', 'doc-2', 'doc-3', 'doc-4', 'doc-5', 'doc-6']);
    const res = await cycleAllDbs();
    expect(res).toEqual(expect.arrayContaining(['shared', 'db-0', 'db-6']));
    expect(errors.mock.calls.map((c) => String(c[0]))).not.toContainEqual(
      expect.stringContaining('database is closed'),
    );
    errors.mockRestore();
  });
});

/** The heartbeat timers (`heartbeat=HEARTBEAT_MS`) started and not yet cleared. */
function watchHeartbeats() {
  const live = new Set<unknown>();
  const set = vi.spyOn(globalThis, 'setInterval');
  const clear = vi.spyOn(globalThis, 'clearInterval');
  set.mockImplementation(((fn: () => void, ms?: number) => {
    const timer = setTimeout(function tick() {
      fn();
      timer.refresh();
    }, ms);
    if (ms === HEARTBEAT_MS) live.add(timer);
    return timer;
  }) as typeof setInterval);
  clear.mockImplementation(((timer: ReturnType<typeof setTimeout>) => {
    live.delete(timer);
    clearTimeout(timer);
  }) as typeof clearInterval);
  return {
    get running() {
      return live.size;
    },
    stop() {
      set.mockRestore();
      clear.mockRestore();
    },
  };
}
const HEARTBEAT_MS = 9_876;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a `_changes` request and drops the connection after `afterMs`, or once the response
 * has started when `afterMs` is 'headers'.
 */
async function drop(url: string, afterMs: number | 'headers'): Promise<void> {
  const abort = new AbortController();
  const timer = typeof afterMs === 'number' ? setTimeout(() => abort.abort(), afterMs) : null;
  try {
    const res = await fetch(url, { headers, signal: abort.signal });
    if (afterMs === 'headers') abort.abort();
    await res.text();
  } catch {
    // the abort: the client is gone
  } finally {
    if (timer) clearTimeout(timer);
  }
}

describe('dropped _changes clients', () => {
  it('end their heartbeat and feed, whether the client left before, during or after the first read', async () => {
    const couch = await startEmbeddedCouch({ dataDir, admin });
    try {
      await fetch(`${couch.url}/feeds`, { method: 'PUT', headers });
      const docs = Array.from({ length: 300 }, (_, i) => ({ _id: `d${i}`, i }));
      await fetch(`${couch.url}/feeds/_bulk_docs`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ docs }),
      });
      const info = await (await fetch(`${couch.url}/feeds`, { headers })).json();
      const changes = `${couch.url}/feeds/_changes?heartbeat=${HEARTBEAT_MS}`;
      const heartbeats = watchHeartbeats();
      const times = Array.from({ length: 12 }, (_, i) => i);
      // longpoll waiting for a change (the response has started) when the client goes
      await Promise.all(
        times.map(() => drop(`${changes}&feed=longpoll&since=${info.update_seq}`, 'headers')),
      );
      // continuous, streaming the changes so far when the client goes
      await Promise.all(times.map(() => drop(`${changes}&feed=continuous`, 'headers')));
      // longpoll gone before or during its first read
      await Promise.all(times.map((ms) => drop(`${changes}&feed=longpoll`, ms)));
      await pause(300);
      const running = heartbeats.running;
      heartbeats.stop();
      expect(running).toBe(0);
    } finally {
      await couch.close();
    }
  });
});

/** `_all_dbs` from a fresh start: the all-dbs bookkeeping of every earlier run was kept. */
async function cycleAllDbs(): Promise<string[]> {
  const couch = await startEmbeddedCouch({ dataDir, admin });
  try {
    const res = await fetch(`${couch.url}/_all_dbs`, { headers });
    return (await res.json()) as string[];
  } finally {
    await couch.close();
  }
}
