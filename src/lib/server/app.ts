import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import type { ErrorRequestHandler, Express, Request, Response } from 'express';
import type { ServerScope } from 'nano';
import { createCouchProxy } from './couch/proxy';
import { sessionOf } from './couch/session';
import { OutpostError } from '../errors';
import { enrolDevice, enrolErrorResponse, parseEnrolRequest } from './enrol';
import { requestIdOf, requestLog, silentLogger, type Logger } from './log';
import type { EnrolmentResult, OutpostMetrics } from './ops/metrics';
import { metricsRoute } from './ops/metrics-route';
import { isDeviceUser } from './provision/names';
import type { Provisioner } from './provision/provision';
import type { Revocations } from './revocations';
import {
  basicAuthName,
  createSignInLimiter,
  sessionName,
  tooManySignIns,
  type SignInLimiter,
} from './sign-in-limiter';

/** Options for {@link createApp}. */
export interface AppOptions {
  /** Directory holding the SvelteKit static build (adapter-static output, with index.html). */
  buildDir: string;
  /** The CouchDB behind `/couch` and enrolment; without it `/couch` answers 404. */
  couch?: {
    /** Base URL of CouchDB (no credentials). */
    target: () => string;
    /** nano with admin credentials, for enrolment only. */
    admin: ServerScope;
    provisioner: Provisioner;
    /** Revoked device names `/couch` refuses; an enrolment clears its device's name. */
    revocations?: Pick<Revocations, 'isRevoked' | 'clear'>;
    /** `/metrics` (admins, or the operator's bearer token); without it `/metrics` is 404. */
    metrics?: { metrics: OutpostMetrics; token?: string };
  };
  /** Limits failed sign-ins on `/api/enrol` and `/couch/_session` (default: a fresh one). */
  signInLimiter?: SignInLimiter;
  /** Where request lines and server errors go (JSON lines; default: nowhere). */
  logger?: Logger;
}

/** Options for {@link startServer}. */
export interface ServerOptions extends AppOptions {
  port: number;
  host: string;
}

/** A running server: its browsable URL and a way to stop it (safe to call twice). */
export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const NO_CACHE = 'no-cache';
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Always revalidated, so a new deployment (and a new service worker) is seen at once. */
const REVALIDATED = new Set(['/service-worker.js', '/manifest.webmanifest', '/index.html']);
/** Largest `POST /couch/_session` body (a name and a password). */
const SESSION_BODY_BYTES = 64 * 1024;
/** Paths that look like files: a miss is a 404, never the SPA shell. */
const FILE_LIKE = /\.(?:js|mjs|css|map|json|webmanifest|png|jpe?g|gif|svg|ico|webp|woff2?|txt)$/i;

/** The app's version, as in package.json. */
export const appVersion: string = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Builds the express app that serves the static SPA build, its offline shell and /api. */
export function createApp({
  buildDir,
  couch,
  signInLimiter,
  logger = silentLogger(),
}: AppOptions): Express {
  const root = path.resolve(buildDir);
  const limiter = signInLimiter ?? createSignInLimiter();
  const app = express();
  app.disable('x-powered-by');
  // A reverse proxy on the same host passes the client's address in X-Forwarded-For; from any
  // other peer the header is ignored (it could be forged).
  app.set('trust proxy', 'loopback');
  app.use(requestLog(logger));
  const metrics = couch?.metrics?.metrics;

  app.get('/api/health', (_req, res) => {
    res.set('Cache-Control', NO_CACHE);
    if (!couch) {
      res.json({ ok: true, version: appVersion });
      return;
    }
    // The app is healthy only when its database answers (CouchDB's own /_up).
    fetch(`${couch.target()}/_up`, { signal: AbortSignal.timeout(3000) }).then(
      (up) =>
        res
          .status(up.ok ? 200 : 503)
          .json({ ok: up.ok, version: appVersion, couch: up.ok ? 'up' : `status ${up.status}` }),
      () => res.status(503).json({ ok: false, version: appVersion, couch: 'unreachable' }),
    );
  });
  if (couch) {
    const enrolDeps = () => ({
      couch: couch.admin,
      couchUrl: couch.target(),
      provisioner: couch.provisioner,
    });
    app.post('/api/enrol', express.json({ limit: '16kb' }), async (req, res) => {
      res.set('Cache-Control', NO_CACHE);
      const address = clientAddress(req);
      let name = '';
      try {
        const request = parseEnrolRequest(req.body);
        name = request.name;
        const wait = limiter.waitMs(name, address);
        if (wait > 0) {
          metrics?.signInRefused('enrol');
          return sendTooMany(res, wait);
        }
        const result = await enrolDevice(enrolDeps(), request);
        limiter.succeeded(name, address);
        couch.revocations?.clear(result.credentials.username); // enrolled again: a new secret
        metrics?.enrolment('enrolled');
        res.status(201).json(result);
      } catch (error) {
        if (error instanceof OutpostError && error.code === 'unauthorized') {
          limiter.failed(name, address);
        }
        const { status, body } = enrolErrorResponse(error);
        metrics?.enrolment(enrolmentResult(status));
        if (status === 401 || status === 403) metrics?.signInRefused('enrol');
        // Server-side failures are logged with their cause (never the request body: it holds a password).
        if (status >= 500) {
          logger.error(
            { reqId: requestIdOf(res), cause: describeCause(error) },
            'enrolment failed',
          );
        }
        res.status(status).json(body);
      }
    });
  }
  app.use('/api', (req, res) => notFound(res, `no API route ${req.method} ${req.originalUrl}`));
  if (couch?.metrics) {
    app.get(
      '/metrics',
      (req, res, next) => {
        // A scraper's admin password or token is checked like a sign-in: guesses are slowed.
        const name = basicAuthName(req.get('authorization')) ?? '';
        const address = clientAddress(req);
        const wait = limiter.waitMs(name, address);
        if (wait > 0) return sendTooMany(res, wait);
        res.on('finish', () => countSignIn(limiter, name, address)(res.statusCode));
        next();
      },
      metricsRoute({
        metrics: couch.metrics.metrics,
        token: couch.metrics.token,
        couchTarget: couch.target,
        logger,
      }),
    );
  }
  app.use('/metrics', (_req, res) => notFound(res, 'Metrics are not served here.'));
  if (couch) {
    const revocations = couch.revocations;
    const proxy = createCouchProxy(couch.target, {
      isRevoked: revocations && ((name) => revocations.isRevoked(name)),
    });
    // `POST /_session` is read first: its name is what failed sign-ins are counted by.
    const readSession = express.raw({ type: () => true, limit: SESSION_BODY_BYTES });
    app.use('/couch', (req, res, next) => {
      if (metrics) {
        res.on('finish', () => {
          if (res.statusCode === 401 || res.statusCode === 429) metrics.signInRefused('couch');
        });
      }
      if (req.method !== 'POST' || req.path !== '/_session') {
        const name = basicAuthName(req.get('authorization'));
        // A device credential's secret is 24 random bytes (enrolment): there is nothing to
        // guess, so it is not limited, and a refused one stays CouchDB's 401 (a revoked device
        // learns it was signed out, instead of being told to wait and try again).
        if (name === null || isDeviceUser(name)) return proxy(req, res);
        // A Basic credential is a password check too: limited like a sign-in.
        const address = clientAddress(req);
        const wait = limiter.waitMs(name, address);
        if (wait > 0) return sendTooMany(res, wait);
        const authorization = req.get('authorization') ?? '';
        proxy(req, res, {
          onStatus(status) {
            // CouchDB's 401 also means "not a server admin" to a right password: only a
            // credential CouchDB does not know is a failed sign-in.
            if (status !== 401) return countSignIn(limiter, name, address)(status);
            // The 401 waits for the check, so the next guess already finds it counted.
            return sessionOf(couch.target(), authorization).then((session) => {
              if (session && !session.name) limiter.failed(name, address);
            });
          },
        });
        return;
      }
      if (Number(req.headers['content-length'] ?? 0) > SESSION_BODY_BYTES) {
        // Refused before reading (a declared 700 MB would otherwise be read off first).
        res.status(413).set('Connection', 'close').json(clientError(413, 'entity.too.large'));
        return;
      }
      readSession(req, res, (error?: unknown) => {
        if (error) return next(error);
        const body = req.body instanceof Uint8Array ? req.body : new Uint8Array(0);
        const name = sessionName(body, req.headers['content-type']);
        const address = clientAddress(req);
        const wait = limiter.waitMs(name, address);
        if (wait > 0) return sendTooMany(res, wait);
        proxy(req, res, { body, onStatus: countSignIn(limiter, name, address) });
      });
    });
  } else {
    app.use('/couch', (_req, res) => notFound(res, 'CouchDB is not configured on this server'));
  }

  app.use(
    express.static(root, {
      index: false,
      setHeaders(res, filePath) {
        const urlPath = '/' + path.relative(root, filePath).split(path.sep).join('/');
        if (urlPath.startsWith('/_app/immutable/')) res.setHeader('Cache-Control', IMMUTABLE);
        else if (REVALIDATED.has(urlPath) || urlPath === '/_app/version.json') {
          res.setHeader('Cache-Control', NO_CACHE);
        }
      },
    }),
  );

  app.get(/.*/, (req, res, next) => {
    if (req.path.startsWith('/_app/') || FILE_LIKE.test(req.path)) {
      res.status(404).type('text/plain').send('Not found');
      return;
    }
    res.set('Cache-Control', NO_CACHE);
    // Relative to `root`: send refuses dot segments only inside it (dotfiles 'ignore'), so a
    // build under a dot-folder (~/.cache/..., .worktrees/) is served, and no dotfile inside it.
    res.sendFile('index.html', { root, cacheControl: false }, (error) => {
      if (error) next(error);
    });
  });

  const onError: ErrorRequestHandler = (error, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Bad input (a body that is not JSON or too large, a missing file): fixed words only.
      // Parser messages quote the body (it may hold a password); file errors name server paths.
      res
        .status(status)
        .set('Cache-Control', NO_CACHE)
        .json(clientError(status, (error as { type?: unknown }).type));
      return;
    }
    logger.error({ reqId: requestIdOf(res), err: (error as Error).message }, 'request failed');
    res.status(500).json({ error: 'internal_error', reason: 'The server could not answer.' });
  };
  app.use(onError);
  return app;
}

/** Starts {@link createApp} on host:port (port 0 picks a free one) and resolves once listening. */
export async function startServer({ port, host, buildDir }: ServerOptions): Promise<RunningServer> {
  const server = createServer(createApp({ buildDir }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: actualPort } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${actualPort}`,
    close: () =>
      (closed ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      })),
  };
}

/** An enrolment's answer as a metrics label. */
function enrolmentResult(status: number): EnrolmentResult {
  if (status === 401 || status === 403) return 'refused';
  return status >= 500 ? 'failed' : 'invalid';
}

/** The JSON answer for a request the server could not take (status 4xx), in fixed words. */
function clientError(status: number, type: unknown): { error: string; reason: string } {
  switch (type) {
    case 'entity.parse.failed':
      return { error: 'bad_request', reason: 'The request body is not valid JSON.' };
    case 'entity.too.large':
      return { error: 'too_large', reason: 'The request body is too large.' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { error: 'bad_request', reason: 'The request body must be JSON in UTF-8.' };
  }
  if (status === 404) return { error: 'not_found', reason: 'Not found.' };
  return { error: 'bad_request', reason: 'The request could not be read.' };
}

/** The message chain of an error and its causes, for the log. */
function describeCause(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e && parts.length < 5; e = (e as { cause?: unknown }).cause) {
    parts.push((e as Error).message ?? String(e));
  }
  return parts.join(' <- ');
}

/** The address a request came from (see `trust proxy` above). */
function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? '';
}

/** 429 for a sign-in that must wait, with `Retry-After` and CouchDB's error shape. */
/** Counts a proxied sign-in by CouchDB's answer: 401 failed, 2xx succeeded (others say nothing). */
function countSignIn(limiter: SignInLimiter, name: string, address: string) {
  return (status: number) => {
    if (status === 401) limiter.failed(name, address);
    else if (status >= 200 && status < 300) limiter.succeeded(name, address);
  };
}

function sendTooMany(res: Response, waitMs: number): void {
  const { retryAfterSeconds, body } = tooManySignIns(waitMs);
  res
    .status(429)
    .set('Retry-After', String(retryAfterSeconds))
    .set('Cache-Control', NO_CACHE)
    .json(body);
}

function notFound(res: Response, reason: string): void {
  res.status(404).set('Cache-Control', NO_CACHE).json({ error: 'not_found', reason });
}
