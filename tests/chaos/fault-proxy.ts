/**
 * A fault-injecting HTTP proxy between one device and the server, on 127.0.0.1 only. It follows
 * a seeded schedule (tests/chaos/prng.ts): added latency, dropped connections (before the server
 * saw the request, or after it answered: the write happened, the answer is lost), responses cut
 * off mid-body, requests that hang and then die, 500/502/503 answers alone and in bursts, 429
 * with Retry-After, and offline windows during which every connection is cut and refused.
 *
 * Determinism: three independent streams come from the proxy's seed. The offline windows and 5xx
 * bursts are a timeline (times from the proxy's start); per-request faults are drawn in request
 * order (a fixed number of draws per request). Which request meets which fault still depends on
 * timing, so a replay meets the same kinds of trouble at the same moments, not byte for byte.
 *
 * Everything is bounded: timers are tracked and cleared on heal()/close(), stalls end after
 * `stallMs` (or at heal), and close() cuts every connection and resolves.
 */
import { createServer, request, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Rng } from './prng';

/** The named network conditions the simulation uses. */
export const PROFILE_NAMES = ['warehouse-wifi', 'moving-vehicle', 'rural', 'flaky-server'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/**
 * A network condition. Durations are nominal (real-world) milliseconds; a proxy multiplies them
 * by its `timeScale` so a test can live through "30 s between drops" in 1.5 s.
 */
export interface FaultProfile {
  name: ProfileName;
  summary: string;
  /** Round-trip latency added to every request (half before forwarding, half before answering). */
  latencyMs: number;
  latencyJitterMs: number;
  /** Probability that a request's connection is dropped. */
  loss: number;
  /** Of those drops, the share that happen after the server answered (the answer is lost). */
  lossAfterShare: number;
  /** Probability that the answer is cut off mid-body (headers and part of the body, then reset). */
  resetMidBody: number;
  /** Probability that a request hangs for `stallMs` and then its connection dies. */
  stall: number;
  stallMs: number;
  /** Probability of a single 500/502/503 answer. */
  serverError: number;
  /** Of those, the share given after the server handled the request (a gateway error on a write that happened). */
  serverErrorAfterShare: number;
  /** 5xx bursts: every request in a burst gets a 500/502/503. */
  errorBursts: { meanGapMs: number; lengthMs: readonly [number, number] } | null;
  /** Probability of a 429 answer with a Retry-After header (seconds). */
  tooManyRequests: number;
  retryAfterS: readonly [number, number];
  /** Offline windows: exponential gaps with this mean, lengths uniform in the range. */
  offline: { meanGapMs: number; lengthMs: readonly [number, number] } | null;
}

const none = {
  loss: 0,
  lossAfterShare: 0,
  resetMidBody: 0,
  stall: 0,
  stallMs: 0,
  serverError: 0,
  serverErrorAfterShare: 0,
  errorBursts: null,
  tooManyRequests: 0,
  retryAfterS: [1, 1] as const,
  offline: null,
};

/** The four profiles of issue 5. */
export const PROFILES: Record<ProfileName, FaultProfile> = {
  'warehouse-wifi': {
    ...none,
    name: 'warehouse-wifi',
    summary: '100 ms, 5% loss, rare short drop-outs between access points',
    latencyMs: 100,
    latencyJitterMs: 40,
    loss: 0.05,
    lossAfterShare: 0.4,
    resetMidBody: 0.01,
    stall: 0.005,
    stallMs: 5_000,
    offline: { meanGapMs: 60_000, lengthMs: [500, 3_000] },
  },
  'moving-vehicle': {
    ...none,
    name: 'moving-vehicle',
    summary: '500 ms, a drop (tunnel, cell hand-over) every ~30 s lasting 2-10 s',
    latencyMs: 500,
    latencyJitterMs: 250,
    loss: 0.02,
    lossAfterShare: 0.5,
    resetMidBody: 0.03,
    stall: 0.01,
    stallMs: 8_000,
    offline: { meanGapMs: 30_000, lengthMs: [2_000, 10_000] },
  },
  rural: {
    ...none,
    name: 'rural',
    summary: '300 ms, 3% loss, long offline windows (30 s - 2 min, ~20 s apart)',
    latencyMs: 300,
    latencyJitterMs: 200,
    loss: 0.03,
    lossAfterShare: 0.5,
    resetMidBody: 0.01,
    stall: 0.01,
    stallMs: 10_000,
    offline: { meanGapMs: 20_000, lengthMs: [30_000, 120_000] },
  },
  'flaky-server': {
    ...none,
    name: 'flaky-server',
    summary: '20 ms, 5xx bursts every ~15 s, single 5xx, 429 with Retry-After, cut bodies',
    latencyMs: 20,
    latencyJitterMs: 10,
    loss: 0.01,
    lossAfterShare: 0.5,
    resetMidBody: 0.02,
    serverError: 0.05,
    serverErrorAfterShare: 0.3,
    errorBursts: { meanGapMs: 15_000, lengthMs: [1_000, 5_000] },
    tooManyRequests: 0.04,
    retryAfterS: [1, 5],
  },
};

/** What happened to a request (or a connection). */
export const FAULT_KINDS = [
  'drop-before',
  'drop-after',
  'reset-mid-body',
  'stall',
  'status-5xx',
  'status-5xx-after',
  'burst-5xx',
  'status-429',
  'offline-refused',
  'offline-cut',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultStats {
  /** Requests that reached the proxy (refused connections carry none). */
  requests: number;
  /** Requests answered with the server's answer, unchanged (latency aside). */
  passed: number;
  faults: Record<FaultKind, number>;
  offlineWindows: number;
  errorBursts: number;
}

/** `faulty`: following the profile; `offline`: in an offline window; `healed`: pass-through. */
export type ProxyMode = 'faulty' | 'offline' | 'healed';

export interface FaultProxyOptions {
  /** The server's base URL; must be a loopback address. */
  target: string;
  profile: FaultProfile;
  rng: Rng;
  /** Multiplies every profile duration (default 1). */
  timeScale?: number;
  /** For logs. */
  name?: string;
  /** Starts healed (pass-through) instead of faulty. */
  healed?: boolean;
  /** Cap on offline windows and bursts scheduled (default 10 000): a bound on the timer chains. */
  maxWindows?: number;
}

export interface FaultProxy {
  /** Base URL of the proxy (http://127.0.0.1:<port>). */
  readonly url: string;
  readonly name: string;
  readonly mode: ProxyMode;
  readonly stats: FaultStats;
  /** The last fault events (newest last), for failure reports. */
  recent(): string[];
  /** Cuts every connection now and refuses new ones for `ms` (real ms, not scaled), or until heal(). */
  goOffline(ms: number): void;
  /** From now on every request passes unchanged; stalled requests end now. */
  heal(): void;
  /** Starts following the profile again (after heal). */
  unheal(): void;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'transfer-encoding',
  'proxy-connection',
  'upgrade',
  'content-length',
];
const RECENT_MAX = 200;

interface Upstream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

type Decision =
  | { kind: 'pass'; latencyMs: number }
  | { kind: FaultKind; latencyMs: number; status?: number; retryAfter?: number; cut?: number };

/** Exponentially distributed gap with the given mean. */
const expo = (rng: Rng, mean: number) => -Math.log(1 - rng.next()) * mean;

/** Starts a proxy on 127.0.0.1 (free port) in front of `target`. */
export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(opts.target);
  if (!LOOPBACK.has(target.hostname)) {
    throw new Error(`fault proxy: target must be a loopback address, not ${target.hostname}`);
  }
  const { profile } = opts;
  const scale = opts.timeScale ?? 1;
  const name = opts.name ?? 'proxy';
  const maxWindows = opts.maxWindows ?? 10_000;
  const requestRng = opts.rng.fork('requests');
  const offlineRng = opts.rng.fork('offline');
  const burstRng = opts.rng.fork('bursts');
  const startedAt = Date.now();
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const wakers = new Set<() => void>();
  const stalls = new Set<() => void>();
  const log: string[] = [];
  const stats: FaultStats = {
    requests: 0,
    passed: 0,
    faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    offlineWindows: 0,
    errorBursts: 0,
  };
  let mode: ProxyMode = opts.healed ? 'healed' : 'faulty';
  let closed = false;
  let offlineUntil = 0;
  let offlineTimer: ReturnType<typeof setTimeout> | null = null;
  let burstUntil = 0;
  let windows = 0;

  const note = (text: string) => {
    log.push(`+${Date.now() - startedAt}ms ${text}`);
    if (log.length > RECENT_MAX) log.shift();
  };
  const count = (kind: FaultKind, what: string) => {
    stats.faults[kind] += 1;
    note(`${kind} ${what}`);
  };

  function later(ms: number, fn: () => void) {
    const t = setTimeout(
      () => {
        timers.delete(t);
        fn();
      },
      Math.max(0, ms),
    );
    timers.add(t);
    return t;
  }

  /** Resolves after `ms`, or at once when the proxy closes. */
  function delay(ms: number): Promise<void> {
    if (ms <= 0 || closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        wakers.delete(done);
        clearTimeout(t);
        timers.delete(t);
        resolve();
      };
      const t = setTimeout(done, ms);
      timers.add(t);
      wakers.add(done);
    });
  }

  function cutAll(kind: FaultKind | null) {
    for (const s of [...sockets]) {
      if (kind && !s.destroyed) count(kind, 'open connection');
      s.destroy();
    }
  }

  function goOffline(ms: number) {
    if (closed || mode === 'healed') return;
    mode = 'offline';
    stats.offlineWindows += 1;
    offlineUntil = Math.max(offlineUntil, Date.now() + ms);
    note(`offline for ${Math.round(ms)} ms`);
    cutAll('offline-cut');
    if (offlineTimer) {
      clearTimeout(offlineTimer);
      timers.delete(offlineTimer);
    }
    offlineTimer = later(offlineUntil - Date.now(), () => {
      offlineTimer = null;
      if (mode !== 'offline') return;
      mode = 'faulty';
      note('back online');
      scheduleOffline();
    });
  }

  function scheduleOffline() {
    const o = profile.offline;
    if (!o || closed || mode === 'healed' || windows >= maxWindows) return;
    windows += 1;
    const gap = expo(offlineRng, o.meanGapMs) * scale;
    const length = offlineRng.between(o.lengthMs[0], o.lengthMs[1]) * scale;
    later(gap, () => {
      if (mode === 'faulty') goOffline(length);
      else scheduleOffline();
    });
  }

  function scheduleBurst() {
    const b = profile.errorBursts;
    if (!b || closed || mode === 'healed' || windows >= maxWindows) return;
    windows += 1;
    const gap = expo(burstRng, b.meanGapMs) * scale;
    const length = burstRng.between(b.lengthMs[0], b.lengthMs[1]) * scale;
    later(gap, () => {
      if (closed || mode === 'healed') return;
      stats.errorBursts += 1;
      burstUntil = Date.now() + length;
      note(`5xx burst for ${Math.round(length)} ms`);
      later(length, scheduleBurst);
    });
  }

  /** The fault for the next request: always 5 draws, so the stream depends on request order only. */
  function decide(): Decision {
    const [uLatency, uKind, uStatus, uExtra, uCut] = Array.from({ length: 5 }, requestRng.next);
    const latencyMs =
      Math.max(0, profile.latencyMs + (uLatency * 2 - 1) * profile.latencyJitterMs) * scale;
    const status = [500, 502, 503][Math.floor(uStatus * 3)];
    if (Date.now() < burstUntil) return { kind: 'burst-5xx', latencyMs, status };
    let x = uKind;
    const take = (p: number) => {
      x -= p;
      return x < 0;
    };
    if (take(profile.loss)) {
      return {
        kind: uExtra < profile.lossAfterShare ? 'drop-after' : 'drop-before',
        latencyMs,
      };
    }
    if (take(profile.resetMidBody)) return { kind: 'reset-mid-body', latencyMs, cut: uCut };
    if (take(profile.stall)) return { kind: 'stall', latencyMs };
    if (take(profile.serverError)) {
      const after = uExtra < profile.serverErrorAfterShare;
      return { kind: after ? 'status-5xx-after' : 'status-5xx', latencyMs, status };
    }
    if (take(profile.tooManyRequests)) {
      const [lo, hi] = profile.retryAfterS;
      return { kind: 'status-429', latencyMs, retryAfter: lo + Math.floor(uExtra * (hi - lo + 1)) };
    }
    return { kind: 'pass', latencyMs };
  }

  function readBody(req: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks as Uint8Array[])));
      req.on('error', reject);
      req.on('close', () => {
        if (!req.complete) reject(new Error('client went away'));
      });
    });
  }

  function forward(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<Upstream> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | string[] | undefined> = { ...req.headers };
      for (const h of HOP_BY_HOP) delete headers[h];
      headers.host = target.host;
      if (body.length > 0 || !['GET', 'HEAD', 'DELETE'].includes(req.method ?? 'GET')) {
        headers['content-length'] = String(body.length);
      }
      const up = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers,
          agent,
        },
        (ur) => {
          const chunks: Buffer[] = [];
          ur.on('data', (c: Buffer) => chunks.push(c));
          ur.on('end', () =>
            resolve({
              status: ur.statusCode ?? 502,
              headers: ur.headers,
              body: Buffer.concat(chunks as Uint8Array[]),
            }),
          );
          ur.on('error', reject);
          ur.on('aborted', () => reject(new Error('upstream aborted')));
        },
      );
      up.on('error', reject);
      // The client went away (its socket cut, or it cancelled): stop asking the server.
      res.once('close', () => {
        if (!res.writableFinished) up.destroy(new Error('client went away'));
      });
      up.end(body);
    });
  }

  function reply(res: ServerResponse, up: Upstream, cutAt?: number) {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(up.headers)) {
      if (v !== undefined && !HOP_BY_HOP.includes(k)) headers[k] = v;
    }
    headers['content-length'] = String(up.body.length);
    res.writeHead(up.status, headers);
    if (cutAt === undefined) {
      res.end(up.body);
      return;
    }
    res.write(up.body.subarray(0, cutAt), () => setImmediate(() => res.socket?.destroy()));
  }

  function sendError(res: ServerResponse, status: number, retryAfter?: number) {
    const error =
      status === 429
        ? 'too_many_requests'
        : status === 503
          ? 'service_unavailable'
          : 'unknown_error';
    const body = Buffer.from(JSON.stringify({ error, reason: `fault proxy: ${status}` }) + '\n');
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(body.length),
    };
    if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
    res.writeHead(status, headers);
    res.end(body);
  }

  function stall(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        stalls.delete(done);
        resolve();
      };
      stalls.add(done);
      void delay(ms).then(done);
    });
  }

  /** The mode now (a function, so checks after an await are not narrowed by earlier ones). */
  function isOffline(): boolean {
    return mode === 'offline';
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    stats.requests += 1;
    const what = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    if (mode === 'offline') {
      count('offline-refused', what);
      req.socket.destroy();
      return;
    }
    const body = await readBody(req);
    const d: Decision = mode === 'faulty' ? decide() : { kind: 'pass', latencyMs: 0 };
    await delay(d.latencyMs / 2);
    const gone = () => closed || req.socket.destroyed;
    if (gone()) return;
    if (isOffline()) {
      count('offline-refused', what);
      req.socket.destroy();
      return;
    }
    switch (d.kind) {
      case 'drop-before':
        count(d.kind, what);
        req.socket.destroy();
        return;
      case 'stall':
        count(d.kind, what);
        await stall(profile.stallMs * scale);
        req.socket.destroy();
        return;
      case 'status-5xx':
      case 'burst-5xx':
      case 'status-429':
        count(d.kind, what);
        sendError(res, d.kind === 'status-429' ? 429 : (d.status ?? 500), d.retryAfter);
        return;
    }
    let up: Upstream;
    try {
      up = await forward(req, res, body);
    } catch {
      if (!gone()) {
        note(`upstream failed ${what}`);
        sendError(res, 502);
      }
      return;
    }
    await delay(d.latencyMs / 2);
    if (gone()) return;
    if (isOffline()) {
      count('offline-cut', `${what} (answer lost)`);
      req.socket.destroy();
      return;
    }
    switch (d.kind) {
      case 'drop-after':
        count(d.kind, what);
        req.socket.destroy();
        return;
      case 'status-5xx-after':
        count(d.kind, what);
        sendError(res, d.status ?? 502);
        return;
      case 'reset-mid-body':
        if (up.body.length < 2) break;
        count(
          d.kind,
          `${what} at ${Math.floor((d.cut ?? 0.5) * up.body.length)}/${up.body.length}`,
        );
        reply(res, up, Math.max(1, Math.floor((d.cut ?? 0.5) * (up.body.length - 1))));
        return;
    }
    stats.passed += 1;
    reply(res, up);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    if (mode === 'offline' || closed) {
      count('offline-refused', 'connection');
      socket.destroy();
    }
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  scheduleOffline();
  scheduleBurst();

  function heal() {
    if (closed) return;
    mode = 'healed';
    burstUntil = 0;
    offlineUntil = 0;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    for (const wake of [...wakers]) wake();
    for (const end of [...stalls]) end();
    note('healed');
  }

  return {
    url: `http://127.0.0.1:${port}`,
    name,
    get mode() {
      return mode;
    },
    stats,
    recent: () => [...log],
    goOffline,
    heal,
    unheal() {
      if (closed || mode !== 'healed') return;
      mode = 'faulty';
      windows = 0;
      scheduleOffline();
      scheduleBurst();
    },
    async close() {
      if (closed) return;
      heal();
      closed = true;
      cutAll(null);
      agent.destroy();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
