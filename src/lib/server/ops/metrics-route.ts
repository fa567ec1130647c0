/**
 * `GET /metrics`: never public. A scraper proves itself with the operator's bearer token
 * (OUTPOST_METRICS_TOKEN) or a CouchDB admin's name and password (Basic), which CouchDB itself
 * checks at `/_session` (the `_admin` role); a person who is no admin (a rep, a supervisor)
 * gets 403. Credentials are never logged, never kept.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sessionOf } from '../couch/session';
import type { Logger } from '../log';
import { requestIdOf } from '../log';
import type { OutpostMetrics } from './metrics';

export interface MetricsRouteOptions {
  metrics: OutpostMetrics;
  /** The operator's bearer token, if one is set. */
  token?: string;
  /** CouchDB's base URL (no credentials). */
  couchTarget: () => string;
  logger: Logger;
  fetchImpl?: typeof fetch;
}

type Refusal = { status: 401 | 403 | 503; error: string; reason: string };

const digest = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());

/** Whether `offered` is the operator's token (compared in constant time). */
function tokenMatches(offered: string, token: string | undefined): boolean {
  return !!token && timingSafeEqual(digest(offered), digest(token));
}

/** Refuses a Basic credential that is not a CouchDB admin's (CouchDB itself checks it); null: an admin. */
async function checkAdmin(
  authorization: string,
  couchTarget: string,
  fetchImpl: typeof fetch,
): Promise<Refusal | null> {
  const session = await sessionOf(couchTarget, authorization, fetchImpl);
  if (!session) {
    return { status: 503, error: 'unavailable', reason: 'CouchDB could not check the credential.' };
  }
  if (!session.name) {
    return { status: 401, error: 'unauthorized', reason: 'Name or password is incorrect.' };
  }
  if (!session.roles.includes('_admin')) {
    return { status: 403, error: 'forbidden', reason: 'Metrics are for admins only.' };
  }
  return null;
}

/** The route handler. */
export function metricsRoute(opts: MetricsRouteOptions): RequestHandler {
  const fetchImpl = opts.fetchImpl ?? fetch;
  return (req, res) => {
    res.set('Cache-Control', 'no-store');
    const refuse = (r: Refusal) => {
      if (r.status === 401)
        res.set('WWW-Authenticate', 'Basic realm="Outpost metrics", charset="UTF-8"');
      res.status(r.status).json({ error: r.error, reason: r.reason });
    };
    const authorization = req.get('authorization') ?? '';
    const [scheme, value = ''] = authorization.split(' ', 2);
    let check: Promise<Refusal | null>;
    if (/^bearer$/i.test(scheme)) {
      check = Promise.resolve(
        tokenMatches(value.trim(), opts.token)
          ? null
          : { status: 401, error: 'unauthorized', reason: 'The metrics token is not valid.' },
      );
    } else if (/^basic$/i.test(scheme) && value) {
      check = checkAdmin(authorization, opts.couchTarget(), fetchImpl);
    } else {
      check = Promise.resolve({
        status: 401,
        error: 'unauthorized',
        reason: 'Metrics need an admin name and password, or the operator token.',
      });
    }
    check
      .then(async (refusal) => {
        if (refusal) return refuse(refusal);
        const text = await opts.metrics.scrape();
        res.type(opts.metrics.contentType).send(text);
      })
      .catch((err: unknown) => {
        opts.logger.error(
          { reqId: requestIdOf(res), err: (err as Error).message },
          'metrics scrape failed',
        );
        if (!res.headersSent) {
          res
            .status(500)
            .json({ error: 'internal_error', reason: 'The metrics could not be read.' });
        }
      });
  };
}
