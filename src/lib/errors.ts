/** The one set of error codes Outpost uses; CouchDB's status/error/reason are kept when known. */
export type ErrorCode =
  | 'invalid' // input failed validation; `fields` says which and why
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'unauthorized'
  | 'quota' // the device ran out of storage
  | 'rate_limited' // too many tries (429): wait `retryAfterMs`, then try again
  | 'network'
  | 'internal';

const DEFAULT_STATUS: Record<ErrorCode, number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  unauthorized: 401,
  quota: 507,
  rate_limited: 429,
  network: 0,
  internal: 500,
};

const DEFAULT_MESSAGE: Record<ErrorCode, string> = {
  invalid: 'Some fields need attention.',
  not_found: 'That item no longer exists on this device.',
  conflict: 'Someone else changed this at the same time.',
  forbidden: 'You are not allowed to do that.',
  unauthorized: 'Please sign in again.',
  quota: 'This device is out of storage space. Your input is kept; free some space and try again.',
  rate_limited: 'Too many tries. Wait a moment, then try again.',
  network: 'No connection right now.',
  internal: 'Something went wrong.',
};

export interface OutpostErrorInit {
  message?: string;
  status?: number;
  /** CouchDB's `error` string, when the error came from a database. */
  error?: string;
  /** CouchDB's `reason` string, when the error came from a database. */
  reason?: string;
  /** Field-level messages for `invalid`. */
  fields?: Record<string, string>;
  /** For `rate_limited`: how long to wait before trying again (ms), from `Retry-After`. */
  retryAfterMs?: number;
  cause?: unknown;
}

/** An error with a short code, a human message and CouchDB's status/error/reason when known. */
export class OutpostError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly error?: string;
  readonly reason?: string;
  readonly fields: Record<string, string>;
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, init: OutpostErrorInit = {}) {
    super(init.message ?? DEFAULT_MESSAGE[code], { cause: init.cause });
    this.name = 'OutpostError';
    this.code = code;
    this.status = init.status ?? DEFAULT_STATUS[code];
    this.error = init.error;
    this.reason = init.reason;
    this.fields = init.fields ?? {};
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** Builds an OutpostError; the one constructor call sites use. */
export function createError(code: ErrorCode, init: OutpostErrorInit = {}): OutpostError {
  return new OutpostError(code, init);
}

interface PouchLikeError {
  status?: number;
  name?: string;
  error?: string | boolean;
  reason?: string;
  message?: string;
}

function isQuotaError(e: PouchLikeError): boolean {
  const text = `${e.name ?? ''} ${e.reason ?? ''} ${e.message ?? ''}`;
  if (/QuotaExceeded/i.test(text)) return true;
  // Storage layers word it differently ("quota exceeded", "over quota"); an HTTP 4xx never is one.
  return /\bquota\b/i.test(text) && (e.status === undefined || e.status >= 500);
}

/** Turns anything thrown by PouchDB, CouchDB or the browser into an OutpostError, keeping status/error/reason. */
export function toOutpostError(err: unknown): OutpostError {
  if (err instanceof OutpostError) return err;
  const e = (
    typeof err === 'object' && err !== null ? err : { message: String(err) }
  ) as PouchLikeError;
  const status = typeof e.status === 'number' ? e.status : undefined;
  const error = typeof e.error === 'string' ? e.error : e.name;
  const reason = e.reason ?? e.message;
  const init = { status, error, reason, cause: err };
  if (isQuotaError(e)) return createError('quota', init);
  switch (status) {
    case 400:
      return createError('invalid', { ...init, message: reason ?? DEFAULT_MESSAGE.invalid });
    case 401:
      return createError('unauthorized', init);
    case 403:
      return createError('forbidden', { ...init, message: reason ?? DEFAULT_MESSAGE.forbidden });
    case 404:
      return createError('not_found', init);
    case 409:
      return createError('conflict', init);
    case 429:
      return createError('rate_limited', init);
  }
  if (status === undefined && /fetch|network|ECONNREFUSED|ETIMEDOUT/i.test(reason ?? '')) {
    return createError('network', init);
  }
  return createError('internal', { ...init, status: status ?? 500 });
}
