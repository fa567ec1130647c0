/**
 * The server's log: JSON lines through pino, one per request with a request id, never a
 * credential or a document body. Request lines name the method, the path without its query
 * string, the status, the time taken and the bytes sent; the request id comes from a sane
 * `X-Request-Id` header or is made here, and is sent back in the same header.
 */
import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Fields that may hold a secret, removed from any object logged by mistake. */
const REDACT = [
  'password',
  'secret',
  'token',
  'authorization',
  'cookie',
  '*.password',
  '*.secret',
  '*.token',
  '*.authorization',
  '*.cookie',
  'headers',
  '*.headers',
  'body',
  '*.body',
];

/** A logger writing JSON lines to `destination` (default stdout) from `level` up. */
export function createLogger(
  opts: { level?: string; destination?: DestinationStream } = {},
): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { app: 'outpost' },
      redact: { paths: REDACT, remove: true },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination ?? pino.destination({ sync: false }),
  );
}

/** A logger that writes nothing (tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** An incoming request id is kept when it looks like one (no room for log injection). */
const REQUEST_ID = /^[\w.:-]{1,64}$/;

/** The request id of a request handled by {@link requestLog}. */
export function requestIdOf(res: { locals: Record<string, unknown> }): string {
  return String(res.locals.requestId ?? '');
}

/**
 * Gives every request an id and logs one line when its answer is finished (or the client went
 * away): `{ reqId, method, path, status, ms, bytes }`. 5xx answers log at error level, 4xx at
 * warn, the rest at info.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const reqId =
      incoming && REQUEST_ID.test(incoming) ? incoming : randomBytes(8).toString('base64url');
    res.locals.requestId = reqId;
    res.setHeader('X-Request-Id', reqId);
    const started = process.hrtime.bigint();
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const status = res.headersSent ? res.statusCode : 0;
      const line = {
        reqId,
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status,
        ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
        bytes: Number(res.getHeader('content-length') ?? 0) || undefined,
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (status >= 500) logger.error(line, 'request failed');
      else if (status >= 400) logger.warn(line, 'request refused');
      else logger.info(line, 'request');
    };
    res.on('finish', done);
    res.on('close', done);
    next();
  };
}
