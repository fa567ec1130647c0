import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROFILES, startFaultProxy, type FaultProfile, type FaultProxy } from './fault-proxy';
import { createRng } from './prng';

/** A quiet profile; each test turns on the one fault it looks at. */
const calm: FaultProfile = {
  ...PROFILES['warehouse-wifi'],
  latencyMs: 0,
  latencyJitterMs: 0,
  loss: 0,
  resetMidBody: 0,
  stall: 0,
  offline: null,
};

describe('fault proxy', () => {
  let upstream: Server;
  let target = '';
  let hits = 0;
  const proxies: FaultProxy[] = [];

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      hits += 1;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.stringify({
          method: req.method,
          url: req.url,
          body: Buffer.concat(chunks as Uint8Array[]).toString(),
          pad: 'x'.repeat(2000),
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()));
    target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    upstream.closeAllConnections();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  async function proxy(profile: Partial<FaultProfile>, seed = 1, timeScale = 1) {
    const p = await startFaultProxy({
      target,
      profile: { ...calm, ...profile },
      rng: createRng(seed),
      timeScale,
    });
    proxies.push(p);
    return p;
  }

  const get = (p: FaultProxy, path = '/db') =>
    fetch(`${p.url}${path}`, { signal: AbortSignal.timeout(10_000) });

  it('listens on 127.0.0.1 only and refuses a non-loopback target', async () => {
    const p = await proxy({});
    expect(new URL(p.url).hostname).toBe('127.0.0.1');
    await expect(
      startFaultProxy({ target: 'http://example.com', profile: calm, rng: createRng(1) }),
    ).rejects.toThrow(/loopback/);
  });

  it('passes requests and bodies through unchanged', async () => {
    const p = await proxy({});
    const res = await fetch(`${p.url}/db/_bulk_docs?x=1`, {
      method: 'POST',
      body: '{"docs":[]}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      method: 'POST',
      url: '/db/_bulk_docs?x=1',
      body: '{"docs":[]}',
    });
    expect(p.stats.passed).toBe(1);
  });

  it('adds latency', async () => {
    const p = await proxy({ latencyMs: 300, latencyJitterMs: 0 });
    const t0 = Date.now();
    await (await get(p)).text();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
  });

  it('drops connections before the server sees the request', async () => {
    const p = await proxy({ loss: 1, lossAfterShare: 0 });
    const before = hits;
    await expect(get(p)).rejects.toThrow();
    expect(hits).toBe(before);
    expect(p.stats.faults['drop-before']).toBe(1);
  });

  it('drops the answer after the server handled the request', async () => {
    const p = await proxy({ loss: 1, lossAfterShare: 1 });
    const before = hits;
    await expect(get(p)).rejects.toThrow();
    expect(hits).toBe(before + 1);
    expect(p.stats.faults['drop-after']).toBe(1);
  });

  it('cuts a response off mid-body', async () => {
    const p = await proxy({ resetMidBody: 1 });
    const res = await get(p);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(p.stats.faults['reset-mid-body']).toBe(1);
  });

  it('answers 5xx, before or after the server handled the request', async () => {
    const p = await proxy({ serverError: 1, serverErrorAfterShare: 0 }, 3);
    const before = hits;
    const res = await get(p);
    expect([500, 502, 503]).toContain(res.status);
    expect(await res.json()).toMatchObject({ reason: expect.stringContaining('fault proxy') });
    expect(hits).toBe(before);
    const after = await proxy({ serverError: 1, serverErrorAfterShare: 1 }, 3);
    expect([500, 502, 503]).toContain((await get(after)).status);
    expect(hits).toBe(before + 1);
  });

  it('answers 429 with a Retry-After in the profile range', async () => {
    const p = await proxy({ tooManyRequests: 1, retryAfterS: [2, 4] });
    const res = await get(p);
    expect(res.status).toBe(429);
    const s = Number(res.headers.get('retry-after'));
    expect(s).toBeGreaterThanOrEqual(2);
    expect(s).toBeLessThanOrEqual(4);
  });

  it('fails every request during a 5xx burst', async () => {
    const p = await proxy({ errorBursts: { meanGapMs: 1, lengthMs: [60_000, 60_000] } });
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 3; i++) expect([500, 502, 503]).toContain((await get(p)).status);
    expect(p.stats.faults['burst-5xx']).toBe(3);
  });

  it('hangs a stalled request until its bound, then drops it', async () => {
    const p = await proxy({ stall: 1, stallMs: 300 });
    const t0 = Date.now();
    await expect(get(p)).rejects.toThrow();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('goes offline (cutting open connections, refusing new ones) and comes back', async () => {
    const p = await proxy({});
    expect((await get(p)).status).toBe(200);
    p.goOffline(300);
    expect(p.mode).toBe('offline');
    await expect(get(p)).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 400));
    expect(p.mode).toBe('faulty');
    expect((await get(p)).status).toBe(200);
    expect(p.stats.offlineWindows).toBe(1);
  });

  it('follows the profile offline windows, scaled in time', async () => {
    const p = await proxy({ offline: { meanGapMs: 1000, lengthMs: [2000, 2000] } }, 5, 0.05);
    const seen = new Set<string>();
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      seen.add(p.mode);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(seen).toEqual(new Set(['faulty', 'offline']));
    expect(p.stats.offlineWindows).toBeGreaterThan(1);
  });

  it('heal() ends every fault: stalls end, offline windows stop, requests pass', async () => {
    const p = await proxy({ stall: 1, stallMs: 60_000 });
    const t0 = Date.now();
    const stalled = get(p).then(
      () => 'answered',
      () => 'dropped',
    );
    await new Promise((r) => setTimeout(r, 100));
    p.heal();
    expect(await stalled).toBe('dropped');
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect((await get(p)).status).toBe(200);
    expect(p.mode).toBe('healed');
  });

  it('draws the same faults for the same seed, request by request', async () => {
    const kinds = async (seed: number) => {
      const p = await proxy(
        { loss: 0.2, lossAfterShare: 0.5, serverError: 0.2, tooManyRequests: 0.2 },
        seed,
      );
      const out: string[] = [];
      for (let i = 0; i < 20; i++) {
        out.push(
          await get(p).then(
            (r) => String(r.status),
            () => 'dropped',
          ),
        );
      }
      return out;
    };
    const a = await kinds(42);
    expect(await kinds(42)).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(2);
    expect(await kinds(43)).not.toEqual(a);
  });

  it('closes cleanly with requests in flight', async () => {
    const p = await proxy({ stall: 1, stallMs: 60_000 });
    const inflight = get(p).catch(() => 'dropped');
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await p.close();
    expect(await inflight).toBe('dropped');
    expect(Date.now() - t0).toBeLessThan(2_000);
    proxies.splice(proxies.indexOf(p), 1);
  });
});
