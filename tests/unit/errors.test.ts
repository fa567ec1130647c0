import { afterEach, describe, expect, it } from 'vitest';
import { OutpostError, createError, toOutpostError, type ErrorCode } from '$lib/errors';
import { destroyMemoryDbs, memoryDb } from '../helpers/memory-db';

afterEach(destroyMemoryDbs);

/** The shape PouchDB gives its errors (pouchdb-errors). */
const pouchError = (status: number, name: string, reason: string) => ({
  status,
  name,
  error: true,
  reason,
  message: reason,
});

describe('createError / OutpostError', () => {
  it('is an Error with a code, a default message and a default status', () => {
    const e = createError('not_found');
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(OutpostError);
    expect(e.name).toBe('OutpostError');
    expect(e.code).toBe('not_found');
    expect(e.status).toBe(404);
    expect(e.message).toBe('That item no longer exists on this device.');
    expect(e.fields).toEqual({});
  });

  it('has a default status and message for every code', () => {
    const expected: Record<ErrorCode, number> = {
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
    for (const [code, status] of Object.entries(expected) as [ErrorCode, number][]) {
      const e = createError(code);
      expect(e.status).toBe(status);
      expect(e.message.length).toBeGreaterThan(5);
    }
  });

  it('keeps the fields, message, CouchDB details and cause it is given', () => {
    const cause = new Error('root');
    const e = createError('invalid', {
      message: 'Name is required.',
      fields: { name: 'Name is required.' },
      status: 422,
      error: 'bad_request',
      reason: 'why',
      cause,
    });
    expect(e.message).toBe('Name is required.');
    expect(e.fields).toEqual({ name: 'Name is required.' });
    expect(e.status).toBe(422);
    expect(e.error).toBe('bad_request');
    expect(e.reason).toBe('why');
    expect(e.cause).toBe(cause);
  });
});

describe('toOutpostError', () => {
  it('returns an OutpostError as the same instance', () => {
    const e = createError('quota');
    expect(toOutpostError(e)).toBe(e);
  });

  it('maps a 409 conflict, keeping status/error/reason', () => {
    const raw = pouchError(409, 'conflict', 'Document update conflict');
    const e = toOutpostError(raw);
    expect(e.code).toBe('conflict');
    expect(e.status).toBe(409);
    expect(e.error).toBe('conflict');
    expect(e.reason).toBe('Document update conflict');
    expect(e.cause).toBe(raw);
  });

  it('maps a 404 not_found', () => {
    const e = toOutpostError(pouchError(404, 'not_found', 'missing'));
    expect(e).toMatchObject({
      code: 'not_found',
      status: 404,
      error: 'not_found',
      reason: 'missing',
    });
  });

  it('maps a 401 to unauthorized with the default message and keeps the reason', () => {
    const e = toOutpostError({
      status: 401,
      error: 'unauthorized',
      reason: 'Name or password is incorrect.',
    });
    expect(e.code).toBe('unauthorized');
    expect(e.status).toBe(401);
    expect(e.error).toBe('unauthorized');
    expect(e.reason).toBe('Name or password is incorrect.');
    expect(e.message).toBe('Please sign in again.');
  });

  it('maps a 403 to forbidden and shows its reason', () => {
    const reason = 'You are not allowed to access this db.';
    const e = toOutpostError({ status: 403, error: 'forbidden', reason });
    expect(e.code).toBe('forbidden');
    expect(e.status).toBe(403);
    expect(e.error).toBe('forbidden');
    expect(e.reason).toBe(reason);
    expect(e.message).toBe(reason);
  });

  it('maps a 403 without a reason to the default message', () => {
    const e = toOutpostError({ status: 403, error: 'forbidden' });
    expect(e.code).toBe('forbidden');
    expect(e.message).toBe('You are not allowed to do that.');
  });

  it('maps a 400 to invalid and shows its reason', () => {
    const e = toOutpostError({ status: 400, error: 'bad_request', reason: 'Invalid rev format' });
    expect(e).toMatchObject({ code: 'invalid', status: 400, message: 'Invalid rev format' });
  });

  it("maps a QuotaExceededError by name to 'quota'", () => {
    const raw = { name: 'QuotaExceededError', message: 'The quota has been exceeded.' };
    const e = toOutpostError(raw);
    expect(e.code).toBe('quota');
    expect(e.error).toBe('QuotaExceededError');
    expect(e.reason).toBe('The quota has been exceeded.');
    expect(e.message).toMatch(/out of storage/);
  });

  it("maps a quota error reported inside a PouchDB error to 'quota'", () => {
    const e = toOutpostError({
      status: 500,
      name: 'indexed_db_went_bad',
      reason: 'QuotaExceededError',
    });
    expect(e.code).toBe('quota');
    expect(e.status).toBe(500);
  });

  it('maps a DOMException QuotaExceededError', () => {
    const e = toOutpostError(new DOMException('Storage full', 'QuotaExceededError'));
    expect(e.code).toBe('quota');
  });

  it('maps fetch failures without a status to network', () => {
    expect(toOutpostError(new TypeError('Failed to fetch')).code).toBe('network');
    expect(toOutpostError({ message: 'connect ECONNREFUSED 127.0.0.1:5984' }).code).toBe('network');
  });

  it('maps anything else to internal, keeping the status when there is one', () => {
    const e = toOutpostError({ status: 502, error: 'bad_gateway', reason: 'upstream' });
    expect(e).toMatchObject({
      code: 'internal',
      status: 502,
      error: 'bad_gateway',
      reason: 'upstream',
    });
    const plain = toOutpostError(new Error('kaboom'));
    expect(plain).toMatchObject({
      code: 'internal',
      status: 500,
      error: 'Error',
      reason: 'kaboom',
    });
  });

  it('handles thrown non-objects', () => {
    const e = toOutpostError('boom');
    expect(e.code).toBe('internal');
    expect(e.reason).toBe('boom');
    expect(toOutpostError(undefined).code).toBe('internal');
  });
});

describe('toOutpostError with real PouchDB errors', () => {
  it('maps a missing document to not_found', async () => {
    const db = memoryDb();
    const err = await db.get('stop:nope').catch((e: unknown) => e);
    const e = toOutpostError(err);
    expect(e.code).toBe('not_found');
    expect(e.status).toBe(404);
    expect(e.error).toBe('not_found');
  });

  it('maps an update with a stale rev to conflict', async () => {
    const db = memoryDb();
    const first = await db.put({ _id: 'note:n1', text: 'a' });
    await db.put({ _id: 'note:n1', _rev: first.rev, text: 'b' });
    const err = await db
      .put({ _id: 'note:n1', _rev: first.rev, text: 'c' })
      .catch((e: unknown) => e);
    const e = toOutpostError(err);
    expect(e.code).toBe('conflict');
    expect(e.status).toBe(409);
    expect(e.error).toBe('conflict');
  });
});
